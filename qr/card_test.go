package qr

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"math"
	mrand "math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/token"
)

// h7NumericToken returns a Luhn-valid token of n digits drawn from rng.
func h7NumericToken(rng *mrand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + rng.IntN(10))
	}
	for d := byte('0'); d <= '9'; d++ {
		b[n-1] = d
		if token.LuhnValid(string(b)) {
			return string(b)
		}
	}
	panic("no Luhn digit")
}

// h7OpaqueToken returns an opaque token of 16 bytes drawn from rng.
func h7OpaqueToken(rng *mrand.Rand) string {
	var b [16]byte
	for i := range b {
		b[i] = byte(rng.IntN(256))
	}
	return token.OpaquePrefix + strings.ToLower(tokenEncoding.EncodeToString(b[:]))
}

// h7Card is a valid card with a 16-character holder and a 19-digit token.
func h7Card() Card {
	nb := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return Card{
		ID:        "svc_aaaqeayeaudao",
		Holder:    "Li Xiaoming 0042",
		Token:     "6250941006528599966",
		Balance:   pay.Money{Amount: 9_999_999, Currency: "CNY"},
		Uses:      50,
		NotBefore: nb,
		Expires:   nb.Add(365 * 24 * time.Hour),
		Seq:       10_000,
	}
}

// h7RandomCard returns a random valid card, exercising every field's range.
func h7RandomCard(rng *mrand.Rand) Card {
	var id [8]byte
	for i := range id {
		id[i] = byte(rng.IntN(256))
	}
	holder := func() string {
		const alphabet = "abcXYZ 019-_.张伟李娜é"
		var sb strings.Builder
		n := 1 + rng.IntN(20)
		for range n {
			r := []rune(alphabet)[rng.IntN(len([]rune(alphabet)))]
			if sb.Len()+len(string(r)) > MaxHolderLen {
				break
			}
			sb.WriteRune(r)
		}
		if sb.Len() == 0 {
			return "x"
		}
		return sb.String()
	}
	c := Card{
		ID:      formatCardID(id),
		KeyID:   rng.Uint32() >> uint(rng.IntN(32)),
		Holder:  holder(),
		Balance: pay.Money{Amount: rng.Int64() >> uint(rng.IntN(64)), Currency: []string{"CNY", "JPY", "KWD", "USD", "EUR", "HKD"}[rng.IntN(6)]},
		Uses:    rng.IntN(MaxUses+2) - 1,
		Seq:     rng.Uint64() >> uint(rng.IntN(64)),
	}
	if rng.IntN(2) == 0 {
		c.Token = h7NumericToken(rng, 16+rng.IntN(4))
	} else {
		c.Token = h7OpaqueToken(rng)
	}
	if rng.IntN(3) == 0 {
		c.PrevHolder = holder()
	}
	nb := rng.Int64N(maxUnix)
	c.NotBefore = time.Unix(nb, 0).UTC()
	c.Expires = time.Unix(nb+1+rng.Int64N(maxUnix-nb), 0).UTC()
	return c
}

func TestNewCardID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewCardID()
		if len(id) != 17 || !strings.HasPrefix(id, "svc_") {
			t.Fatalf("NewCardID() = %q, want svc_ and 13 characters", id)
		}
		if _, ok := parseCardID(id); !ok {
			t.Fatalf("parseCardID(%q) refused a fresh ID", id)
		}
		if seen[id] {
			t.Fatalf("NewCardID repeated %q", id)
		}
		seen[id] = true
	}
	if len(seen) != 1000 {
		t.Fatalf("%d distinct IDs, want 1000", len(seen))
	}
}

func TestParseCardIDStrict(t *testing.T) {
	for _, id := range []string{
		"", "svc_", "svc_aaaqeayeaudao2", "svc_aaaqeayeauda", "SVC_aaaqeayeaudao",
		"svc_AAAQEAYEAUDAO", "svc_aaaqeayeaudap", // last character carries a non-zero trailing bit
		"svc_aaaqeayeaudq1", "tok_aaaqeayeaudaq",
	} {
		if _, ok := parseCardID(id); ok {
			t.Errorf("parseCardID(%q) accepted", id)
		}
	}
	if b, ok := parseCardID("svc_aaaqeayeaudao"); !ok || b != [8]byte{0, 1, 2, 3, 4, 5, 6, 7} {
		t.Errorf("parseCardID(svc_aaaqeayeaudao) = %v, %v; want 0..7, true", b, ok)
	}
}

func TestValidate(t *testing.T) {
	if err := h7Card().Validate(); err != nil {
		t.Fatalf("valid card refused: %v", err)
	}
	tests := []struct {
		name  string
		edit  func(*Card)
		param string
	}{
		{"bad id", func(c *Card) { c.ID = "svc_x" }, "id"},
		{"empty id", func(c *Card) { c.ID = "" }, "id"},
		{"empty holder", func(c *Card) { c.Holder = "" }, "holder"},
		{"33-byte holder", func(c *Card) { c.Holder = strings.Repeat("a", 33) }, "holder"},
		{"holder not UTF-8", func(c *Card) { c.Holder = "ab\xffcd" }, "holder"},
		{"holder with newline", func(c *Card) { c.Holder = "ab\ncd" }, "holder"},
		{"33-byte prev holder", func(c *Card) { c.PrevHolder = strings.Repeat("é", 16) + "a" }, "prev_holder"},
		{"prev holder not UTF-8", func(c *Card) { c.PrevHolder = "\xc3" }, "prev_holder"},
		{"empty token", func(c *Card) { c.Token = "" }, "token"},
		{"15-digit PAN-like token", func(c *Card) { c.Token = "378282246310005" }, "token"},
		{"non-Luhn token", func(c *Card) { c.Token = "6250941006528599967" }, "token"},
		{"20-digit token", func(c *Card) { c.Token = "62509410065285999660" }, "token"},
		{"upper-case opaque token", func(c *Card) { c.Token = "ptk_AAAAAAAAAAAAAAAAAAAAAAAAAA" }, "token"},
		{"negative balance", func(c *Card) { c.Balance.Amount = -1 }, "balance.amount"},
		{"unknown currency", func(c *Card) { c.Balance.Currency = "XYZ" }, "balance.currency"},
		{"lower-case currency", func(c *Card) { c.Balance.Currency = "cny" }, "balance.currency"},
		{"empty currency", func(c *Card) { c.Balance.Currency = "" }, "balance.currency"},
		{"uses -2", func(c *Card) { c.Uses = -2 }, "uses"},
		{"uses over max", func(c *Card) { c.Uses = MaxUses + 1 }, "uses"},
		{"expires = not-before", func(c *Card) { c.Expires = c.NotBefore }, "expires"},
		{"expires within the same second", func(c *Card) { c.Expires = c.NotBefore.Add(999 * time.Millisecond) }, "expires"},
		{"expires before not-before", func(c *Card) { c.Expires = c.NotBefore.Add(-time.Hour) }, "expires"},
		{"zero not-before", func(c *Card) { c.NotBefore = time.Time{} }, "not_before"},
		{"not-before before 1970", func(c *Card) { c.NotBefore = time.Unix(-1, 0) }, "not_before"},
		{"expires after 9999", func(c *Card) { c.Expires = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "expires"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := h7Card()
			tt.edit(&c)
			err := c.Validate()
			var pe *pay.Error
			if !errors.As(err, &pe) || !errors.Is(err, pay.ErrInvalidRequest) {
				t.Fatalf("Validate() = %v, want a pay.ErrInvalidRequest", err)
			}
			if pe.Param != tt.param {
				t.Errorf("Param = %q, want %q", pe.Param, tt.param)
			}
			if strings.Contains(err.Error(), c.Token) && c.Token != "" {
				t.Errorf("error %q echoes the token", err)
			}
			if _, merr := MarshalCard(c); merr == nil {
				t.Errorf("MarshalCard accepted a card Validate refuses")
			}
		})
	}
	// Edges that are valid.
	for name, edit := range map[string]func(*Card){
		"unlimited uses":      func(c *Card) { c.Uses = UnlimitedUses },
		"zero uses":           func(c *Card) { c.Uses = 0 },
		"max uses":            func(c *Card) { c.Uses = MaxUses },
		"zero balance":        func(c *Card) { c.Balance.Amount = 0 },
		"max balance":         func(c *Card) { c.Balance.Amount = math.MaxInt64 },
		"32-byte holder":      func(c *Card) { c.Holder = strings.Repeat("张", 10) + "ab" },
		"one-second window":   func(c *Card) { c.Expires = c.NotBefore.Add(time.Second) },
		"16-digit token":      func(c *Card) { c.Token = "4111111111111111" },
		"opaque token":        func(c *Card) { c.Token = "ptk_aaaaaaaaaaaaaaaaaaaaaaaaaa" },
		"epoch not-before":    func(c *Card) { c.NotBefore = time.Unix(0, 0) },
		"last second of 9999": func(c *Card) { c.Expires = time.Unix(maxUnix, 0) },
		"prev holder":         func(c *Card) { c.PrevHolder = "Wang Fang" },
	} {
		c := h7Card()
		edit(&c)
		if err := c.Validate(); err != nil {
			t.Errorf("%s: Validate() = %v, want nil", name, err)
		}
	}
}

func TestMarshalRoundTripRandom(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(7, 7))
	for i := range 5000 {
		c := h7RandomCard(rng)
		b, err := MarshalCard(c)
		if err != nil {
			t.Fatalf("card %d: MarshalCard: %v", i, err)
		}
		got, err := UnmarshalCard(b)
		if err != nil {
			t.Fatalf("card %d: UnmarshalCard: %v", i, err)
		}
		if d := cmp.Diff(c, got); d != "" {
			t.Fatalf("card %d round trip (-want +got):\n%s", i, d)
		}
	}
}

func TestMarshalDropsSubSeconds(t *testing.T) {
	c := h7Card()
	c.NotBefore = c.NotBefore.Add(400 * time.Millisecond).In(time.FixedZone("CST", 8*3600))
	c.Expires = c.Expires.Add(900 * time.Millisecond)
	b, err := MarshalCard(c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalCard(b)
	if err != nil {
		t.Fatal(err)
	}
	want := h7Card()
	if !got.NotBefore.Equal(want.NotBefore) || !got.Expires.Equal(want.Expires) || got.NotBefore.Location() != time.UTC {
		t.Errorf("times = %v, %v; want %v, %v in UTC", got.NotBefore, got.Expires, want.NotBefore, want.Expires)
	}
}

func TestLayoutBytes(t *testing.T) {
	// The layout of h7Card, byte by byte: a change here is a new layout version.
	c := h7Card()
	c.KeyID = 1
	b, err := MarshalCard(c)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{1, 0, 1, 2, 3, 4, 5, 6, 7, 15<<3 | 3, 1}
	want = append(want, "Li Xiaoming 0042"...)
	want = binary.BigEndian.AppendUint64(want, 6250941006528599966)
	want = append(want, byte(('C'-'A')<<2|('N'-'A')>>3), byte(('N'-'A')<<5&0xFF|('Y'-'A')))
	want = binary.AppendUvarint(want, 9_999_999)
	want = append(want, 51)
	want = binary.AppendUvarint(want, uint64(c.NotBefore.Unix()))
	want = binary.AppendUvarint(want, 365*24*3600)
	want = binary.AppendUvarint(want, 10_000)
	if d := cmp.Diff(want, b); d != "" {
		t.Fatalf("layout (-want +got):\n%s", d)
	}
	if len(b) != 53 {
		t.Errorf("layout is %d bytes, want 53", len(b))
	}
}

// h7Layout returns the unsigned layout of c.
func h7Layout(t *testing.T, c Card) []byte {
	t.Helper()
	b, err := MarshalCard(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestUnmarshalStrict(t *testing.T) {
	base := h7Layout(t, h7Card())
	const tokAt = 1 + 8 + 1 + 1 + 16 // version, id, shape, key ID, holder
	const curAt = tokAt + 8
	const balAt = curAt + 2
	const usesAt = balAt + 4
	const nbAt = usesAt + 1
	const expAt = nbAt + 5
	const seqAt = expAt + 4
	edit := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), base...)) }
	withPrev := func() Card { c := h7Card(); c.PrevHolder = "Wang"; return c }()
	prev := h7Layout(t, withPrev)
	tests := []struct {
		name  string
		b     []byte
		param string
	}{
		{"empty", nil, "version"},
		{"version 0", edit(func(b []byte) []byte { b[0] = 0; return b }), "version"},
		{"version 2", edit(func(b []byte) []byte { b[0] = 2; return b }), "version"},
		{"trailing byte", append(append([]byte(nil), base...), 0), ""},
		{"token form 5", edit(func(b []byte) []byte { b[9] = b[9]&^7 | 5; return b }), "token"},
		{"token form 7", edit(func(b []byte) []byte { b[9] |= 7; return b }), "token"},
		{"non-minimal key ID", append(append(append([]byte(nil), base[:10]...), 0x81, 0x00), base[11:]...), "key_id"},
		{"key ID over 32 bits", append(append(append([]byte(nil), base[:10]...), binary.AppendUvarint(nil, 1<<32)...), base[11:]...), "key_id"},
		{"holder not UTF-8", edit(func(b []byte) []byte { b[11] = 0xff; return b }), "holder"},
		{"holder with NUL", edit(func(b []byte) []byte { b[11] = 0; return b }), "holder"},
		{"token over 19 digits", edit(func(b []byte) []byte {
			binary.BigEndian.PutUint64(b[tokAt:], 10_000_000_000_000_000_000) // 10^19
			return b
		}), "token"},
		{"token over 16 digits", edit(func(b []byte) []byte {
			b[9] &^= 7 // token form 0: 16 digits
			binary.BigEndian.PutUint64(b[tokAt:], 10_000_000_000_000_000)
			return b
		}), "token"},
		{"token check digit", edit(func(b []byte) []byte { b[tokAt+7] ^= 1; return b }), "token"},
		{"currency letter 26", edit(func(b []byte) []byte { b[curAt+1] = b[curAt+1]&^31 | 26; return b }), "balance.currency"},
		{"unknown currency XYZ", edit(func(b []byte) []byte {
			binary.BigEndian.PutUint16(b[curAt:], uint16('X'-'A')<<10|uint16('Y'-'A')<<5|uint16('Z'-'A'))
			return b
		}), "balance.currency"},
		{"non-minimal balance", append(append(append([]byte(nil), base[:balAt]...), 0xff, 0xad, 0xe2, 0x84, 0x00), base[balAt+4:]...), "balance.amount"},
		{"balance over int64", append(append(append([]byte(nil), base[:balAt]...), binary.AppendUvarint(nil, 1<<63)...), base[balAt+4:]...), "balance.amount"},
		{"varint overflows 64 bits", append(append([]byte(nil), base[:balAt]...), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), "balance.amount"},
		{"uses over max", append(append(append([]byte(nil), base[:usesAt]...), binary.AppendUvarint(nil, MaxUses+2)...), base[usesAt+1:]...), "uses"},
		{"zero validity", append(append(append([]byte(nil), base[:expAt]...), 0), base[expAt+4:]...), "expires"},
		{"not-before after 9999", append(append(append([]byte(nil), base[:nbAt]...), binary.AppendUvarint(nil, maxUnix+1)...), base[nbAt+5:]...), "not_before"},
		{"expiry after 9999", append(append(append([]byte(nil), base[:expAt]...), binary.AppendUvarint(nil, maxUnix)...), base[expAt+4:]...), "expires"},
		{"seq missing", base[:seqAt], "seq"},
		{"prev flag without holder", edit(func(b []byte) []byte { b[curAt] |= 0x80; return b }), "prev_holder"},
		{"prev holder length 0", append(edit(func(b []byte) []byte { b[curAt] |= 0x80; return b }), 0), "prev_holder"},
		{"prev holder length 33", append(append(edit(func(b []byte) []byte { b[curAt] |= 0x80; return b }), 33), strings.Repeat("a", 33)...), "prev_holder"},
		{"prev holder truncated", prev[:len(prev)-1], "prev_holder"},
		{"prev holder not UTF-8", func() []byte { b := append([]byte(nil), prev...); b[len(b)-1] = 0xff; return b }(), "prev_holder"},
		{"prev holder trailing", append(append([]byte(nil), prev...), 'x'), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := UnmarshalCard(tt.b)
			var pe *pay.Error
			if !errors.Is(err, ErrCardMalformed) || !errors.As(err, &pe) {
				t.Fatalf("UnmarshalCard = %+v, %v; want ErrCardMalformed", c, err)
			}
			if pe.Param != tt.param {
				t.Errorf("Param = %q, want %q (%v)", pe.Param, tt.param, err)
			}
			if c != (Card{}) {
				t.Errorf("UnmarshalCard returned %+v with its error", c)
			}
		})
	}
	// The base and the previous-holder layouts themselves are fine.
	for _, b := range [][]byte{base, prev} {
		if _, err := UnmarshalCard(b); err != nil {
			t.Fatalf("UnmarshalCard(valid) = %v", err)
		}
	}
}

func TestUnmarshalTruncatedEveryLength(t *testing.T) {
	c := h7Card()
	c.PrevHolder = "Wang Fang"
	c.Token = h7OpaqueToken(mrand.New(mrand.NewPCG(1, 2)))
	b := h7Layout(t, c)
	for n := range len(b) {
		if _, err := UnmarshalCard(b[:n]); !errors.Is(err, ErrCardMalformed) {
			t.Fatalf("UnmarshalCard(first %d of %d bytes) = %v, want ErrCardMalformed", n, len(b), err)
		}
	}
}

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
