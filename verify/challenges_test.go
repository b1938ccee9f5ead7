package verify

import (
	"bytes"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paykit-go/paykit/internal/randid"
)

func TestChallengesIssueAndTakeOnce(t *testing.T) {
	c := hbClock()
	cs := NewChallenges(c, 0)
	if cs.TTL() != DefaultChallengeTTL || DefaultChallengeTTL != 2*time.Minute {
		t.Fatalf("TTL = %v", cs.TTL())
	}
	ch := cs.Issue(hbAlice, MethodBiometric)
	if !randid.Valid(ch.ID, "vch") || len(ch.Nonce) != NonceSize || ch.Method != MethodBiometric || !ch.ExpiresAt.Equal(hbStart.Add(2*time.Minute)) {
		t.Fatalf("challenge = %+v", ch)
	}
	nonce := bytes.Clone(ch.Nonce)
	ch.Nonce[0] ^= 0xff // the caller's copy; the store keeps its own

	c.Advance(2*time.Minute - time.Nanosecond)
	got, err := cs.Take(hbAlice, MethodBiometric, ch.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != ch.ID || !bytes.Equal(got.Nonce, nonce) {
		t.Fatalf("Take = %+v, want nonce %x", got, nonce)
	}
	_, err = cs.Take(hbAlice, MethodBiometric, ch.ID)
	hbIsMsg(t, err, ErrReplayed, "already answered")
}

func TestChallengesNoncesDiffer(t *testing.T) {
	cs := NewChallenges(hbClock(), time.Minute)
	a, b := cs.Issue(hbAlice, MethodBiometric), cs.Issue(hbAlice, MethodBiometric)
	if a.ID == b.ID || bytes.Equal(a.Nonce, b.Nonce) {
		t.Fatalf("two challenges share an ID or nonce: %+v %+v", a, b)
	}
}

func TestChallengesRefusals(t *testing.T) {
	c := hbClock()
	cs := NewChallenges(c, time.Minute)

	_, err := cs.Take(hbAlice, MethodBiometric, "vch_unknown")
	hbIsMsg(t, err, ErrFailed, "unknown")

	// Expired exactly at ExpiresAt; still consumed.
	exp := cs.Issue(hbAlice, MethodBiometric)
	c.Advance(time.Minute)
	_, err = cs.Take(hbAlice, MethodBiometric, exp.ID)
	hbIsMsg(t, err, ErrExpired, "expired")
	_, err = cs.Take(hbAlice, MethodBiometric, exp.ID)
	hbIs(t, err, ErrReplayed)

	// Another subject (same user, other device) fails and consumes it.
	other := cs.Issue(hbAlice, MethodBiometric)
	_, err = cs.Take(hbAlicePhone2, MethodBiometric, other.ID)
	hbIsMsg(t, err, ErrFailed, "another user or device")
	_, err = cs.Take(hbAlice, MethodBiometric, other.ID)
	hbIs(t, err, ErrReplayed)

	// Another method fails and consumes it.
	pres := cs.Issue(hbAlice, MethodDevicePresence)
	_, err = cs.Take(hbAlice, MethodBiometric, pres.ID)
	hbIsMsg(t, err, ErrFailed, "not issued for biometric")
	_, err = cs.Take(hbAlice, MethodDevicePresence, pres.ID)
	hbIs(t, err, ErrReplayed)
}

func TestChallengesPruneAndForget(t *testing.T) {
	c := hbClock()
	cs := NewChallenges(c, time.Minute)
	taken := cs.Issue(hbAlice, MethodBiometric)
	if _, err := cs.Take(hbAlice, MethodBiometric, taken.ID); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		cs.Issue(hbBob, MethodBiometric)
	}
	if open, tk := cs.size(); open != 3 || tk != 1 {
		t.Fatalf("size = %d open, %d taken; want 3, 1", open, tk)
	}
	// Within expiry + ttl the taken ID is still a replay.
	c.Advance(2 * time.Minute)
	_, err := cs.Take(hbAlice, MethodBiometric, taken.ID)
	hbIs(t, err, ErrReplayed)
	// Pruning runs at most once per half lifetime; a lifetime later
	// everything is pruned and the old ID is merely unknown.
	c.Advance(time.Minute)
	cs.Issue(hbBob, MethodCertificate)
	if open, tk := cs.size(); open != 1 || tk != 0 {
		t.Fatalf("after pruning: %d open, %d taken; want 1, 0", open, tk)
	}
	_, err = cs.Take(hbAlice, MethodBiometric, taken.ID)
	hbIsMsg(t, err, ErrFailed, "unknown")
}

func TestChallengesCapPerUser(t *testing.T) {
	cs := NewChallenges(hbClock(), time.Minute)
	var ids []string
	for range maxOpenPerUser + 1 {
		ids = append(ids, cs.Issue(hbAlice, MethodBiometric).ID)
	}
	cs.Issue(hbBob, MethodBiometric) // another user's challenges don't count
	if open, _ := cs.size(); open != maxOpenPerUser+1 {
		t.Fatalf("open = %d, want %d", open, maxOpenPerUser+1)
	}
	_, err := cs.Take(hbAlice, MethodBiometric, ids[0])
	hbIsMsg(t, err, ErrFailed, "unknown")
	for _, id := range ids[1:] {
		if _, err := cs.Take(hbAlice, MethodBiometric, id); err != nil {
			t.Fatal(err)
		}
	}
}

// 64 goroutines answer one challenge: exactly one takes it, 63 see a replay.
func TestChallengesConcurrentTake(t *testing.T) {
	cs := NewChallenges(hbClock(), time.Minute)
	ch := cs.Issue(hbAlice, MethodBiometric)
	var ok, replayed, other atomic.Int32
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			_, err := cs.Take(hbAlice, MethodBiometric, ch.ID)
			switch {
			case err == nil:
				ok.Add(1)
			case isCode(err, ErrReplayed.Code):
				replayed.Add(1)
			default:
				other.Add(1)
			}
		})
	}
	// Meanwhile 64 issues for other users all get distinct IDs.
	ids := make([]string, 64)
	for i := range ids {
		wg.Go(func() { ids[i] = cs.Issue(Subject{UserID: "u" + string(rune('A'+i))}, MethodBiometric).ID })
	}
	wg.Wait()
	if ok.Load() != 1 || replayed.Load() != 63 || other.Load() != 0 {
		t.Fatalf("ok %d replayed %d other %d; want 1, 63, 0", ok.Load(), replayed.Load(), other.Load())
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] || !randid.Valid(id, "vch") {
			t.Fatalf("bad or duplicate ID %q", id)
		}
		seen[id] = true
	}
}
