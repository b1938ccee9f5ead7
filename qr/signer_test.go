package qr

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/paykit-go/paykit/pay"
)

func TestSoftwareSigner(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSoftwareSigner(9, priv)
	if err != nil {
		t.Fatal(err)
	}
	if s.KeyID() != 9 || !pub.Equal(s.Public()) {
		t.Fatalf("KeyID/Public = %d/%x, want 9/%x", s.KeyID(), s.Public(), pub)
	}
	priv[0] ^= 1 // the signer keeps its own copy
	sig, err := s.Sign(context.Background(), []byte("msg"))
	if err != nil || !ed25519.Verify(pub, []byte("msg"), sig) {
		t.Fatalf("Sign = %x, %v; does not verify", sig, err)
	}
	s.Public()[0] ^= 1 // Public returns a copy
	if !pub.Equal(s.Public()) {
		t.Fatal("Public returned the signer's own slice")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Sign(ctx, []byte("msg")); !errors.Is(err, context.Canceled) {
		t.Errorf("Sign(cancelled) = %v, want context.Canceled", err)
	}
	// A private key whose public half doesn't match its seed, and a short one.
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	mixed := append(append([]byte(nil), priv.Seed()...), other.Public().(ed25519.PublicKey)...)
	for name, k := range map[string]ed25519.PrivateKey{"mismatched": mixed, "short": priv[:32], "nil": nil} {
		if _, err := NewSoftwareSigner(1, k); !errors.Is(err, pay.ErrInvalidRequest) {
			t.Errorf("NewSoftwareSigner(%s) = %v, want invalid_request", name, err)
		} else if strings.Contains(err.Error(), string(priv.Seed())) {
			t.Errorf("error echoes the key")
		}
	}
	g1, err1 := GenerateSigner(3)
	g2, err2 := GenerateSigner(3)
	if err1 != nil || err2 != nil || g1.KeyID() != 3 || g1.Public().Equal(g2.Public()) {
		t.Errorf("GenerateSigner: %v %v, equal keys %v", err1, err2, g1.Public().Equal(g2.Public()))
	}
}

func TestKeySet(t *testing.T) {
	a, _ := GenerateSigner(1)
	b, _ := GenerateSigner(1)
	k := NewKeySet()
	if _, ok := k.Key(1); ok {
		t.Fatal("empty KeySet has key 1")
	}
	if err := k.Add(1, a.Public()); err != nil {
		t.Fatal(err)
	}
	if err := k.Add(1, a.Public()); err != nil {
		t.Fatalf("re-adding the same key = %v, want nil", err)
	}
	if err := k.Add(1, b.Public()); !errors.Is(err, pay.ErrConflict) {
		t.Fatalf("Add(different key under ID 1) = %v, want conflict", err)
	}
	if got, _ := k.Key(1); !got.Equal(a.Public()) {
		t.Fatal("the refused Add replaced the key")
	}
	if err := k.Add(2, a.Public()[:31]); !errors.Is(err, pay.ErrInvalidRequest) {
		t.Fatalf("Add(31-byte key) = %v, want invalid_request", err)
	}
	got, _ := k.Key(1)
	got[0] ^= 1
	if again, _ := k.Key(1); !again.Equal(a.Public()) {
		t.Fatal("Key returned the set's own slice")
	}
	pub := a.Public()
	if err := k.Add(3, pub); err != nil {
		t.Fatal(err)
	}
	pub[0] ^= 1
	if got, _ := k.Key(3); !got.Equal(a.Public()) {
		t.Fatal("Add kept the caller's slice")
	}
	k.Remove(1)
	k.Remove(99)
	if _, ok := k.Key(1); ok {
		t.Fatal("removed key still there")
	}
	if err := k.Add(1, b.Public()); err != nil {
		t.Fatalf("Add after Remove = %v", err)
	}
}

func TestKeySetConcurrent(t *testing.T) {
	k := NewKeySet()
	signers := make([]*SoftwareSigner, 8)
	for i := range signers {
		signers[i], _ = GenerateSigner(uint32(i))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	added, conflicts := 0, 0
	for g := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Goroutines g and g+8 race to put different keys under ID g%8... only
			// the first wins; everyone else with a different key is refused.
			s := signers[g%8]
			other := signers[(g+1)%8]
			pub := s.Public()
			if g/8%2 == 1 {
				pub = other.Public()
			}
			err := k.Add(uint32(g%8), pub)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				added++
			case errors.Is(err, pay.ErrConflict):
				conflicts++
			default:
				t.Errorf("Add: %v", err)
			}
			_, _ = k.Key(uint32(g % 8))
		}()
	}
	wg.Wait()
	if added+conflicts != 64 {
		t.Fatalf("added %d + conflicts %d, want 64", added, conflicts)
	}
	// Each ID got 8 calls, 4 with each of two keys; the first key to land
	// takes all 4 of its calls, the other key's 4 are refused.
	if added != 32 || conflicts != 32 {
		t.Fatalf("added %d, conflicts %d; want 32, 32", added, conflicts)
	}
	for i := range 8 {
		if _, ok := k.Key(uint32(i)); !ok {
			t.Errorf("key %d missing", i)
		}
	}
}

// Keys lists in key ID order and hands out copies; KeySetOf rebuilds the
// same set and refuses a list that names one ID twice with two keys.
func TestKeySetKeysAndKeySetOf(t *testing.T) {
	ks := NewKeySet()
	var signers []*SoftwareSigner
	for _, id := range []uint32{9, 2, 5} {
		s, err := GenerateSigner(id)
		if err != nil {
			t.Fatal(err)
		}
		signers = append(signers, s)
		if err := ks.Add(id, s.Public()); err != nil {
			t.Fatal(err)
		}
	}
	list := ks.Keys()
	if len(list) != 3 || list[0].KeyID != 2 || list[1].KeyID != 5 || list[2].KeyID != 9 {
		t.Fatalf("Keys() = %+v; want IDs 2, 5, 9", list)
	}
	list[0].PublicKey[0] ^= 0xff
	if k, _ := ks.Key(2); k.Equal(list[0].PublicKey) {
		t.Fatal("Keys() shares its key bytes with the set")
	}
	list[0].PublicKey[0] ^= 0xff
	again, err := KeySetOf(list)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range signers {
		if k, ok := again.Key(s.KeyID()); !ok || !k.Equal(s.Public()) {
			t.Fatalf("KeySetOf lost key %d", s.KeyID())
		}
	}
	dup := append(list, TrustedKey{KeyID: 2, PublicKey: signers[0].Public()})
	if _, err := KeySetOf(dup); err == nil {
		t.Fatal("KeySetOf accepted two keys under one ID")
	}
}
