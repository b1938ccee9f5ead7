package verify

import (
	"crypto/rand"
	"slices"
	"sync"
	"time"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/internal/randid"
	"github.com/paykit-go/paykit/pay"
)

// DefaultChallengeTTL is how long a challenge stays answerable unless
// NewChallenges is given another lifetime.
const DefaultChallengeTTL = 2 * time.Minute

// NonceSize is the length of a challenge's random nonce.
const NonceSize = 32

// maxOpenPerUser bounds the challenges one user can hold open at once;
// issuing one more forgets the oldest, so a flood of requests cannot grow
// the store without bound.
const maxOpenPerUser = 16

// Challenges is a single-use challenge store for the methods whose proofs
// answer a server challenge (biometric, device presence, certificate). A
// challenge is bound to the subject and method it was issued for, answers
// once (Take removes it, on success and failure alike), and expires after
// the store's lifetime. Taken IDs are remembered until their challenge's
// expiry plus one more lifetime, so a replay within that time is reported as
// ErrReplayed rather than as an unknown ID. Expired entries are pruned
// lazily. It is safe for concurrent use; state is in memory.
type Challenges struct {
	clock pay.Clock
	ttl   time.Duration

	mu        sync.Mutex
	open      map[string]*openChallenge
	taken     map[string]time.Time // ID -> when to forget it
	perUser   map[string][]string  // user ID -> open IDs, oldest first
	nextPrune time.Time
}

type openChallenge struct {
	subject Subject
	ch      Challenge
}

// NewChallenges returns an empty store whose challenges live for ttl
// (DefaultChallengeTTL when ttl <= 0), timed by c (the system clock when c
// is nil).
func NewChallenges(c pay.Clock, ttl time.Duration) *Challenges {
	if c == nil {
		c = clock.System{}
	}
	if ttl <= 0 {
		ttl = DefaultChallengeTTL
	}
	return &Challenges{
		clock:   c,
		ttl:     ttl,
		open:    map[string]*openChallenge{},
		taken:   map[string]time.Time{},
		perUser: map[string][]string{},
	}
}

// TTL returns how long a challenge stays answerable.
func (cs *Challenges) TTL() time.Duration { return cs.ttl }

// Issue returns a fresh challenge for s and m: an ID from randid ("vch_…")
// and a 32-byte nonce from crypto/rand, valid until now + TTL (exclusive).
func (cs *Challenges) Issue(s Subject, m Method) Challenge {
	nonce := make([]byte, NonceSize)
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails (it panics instead)
	now := cs.clock.Now()
	ch := Challenge{ID: randid.New("vch"), Method: m, Nonce: nonce, ExpiresAt: now.Add(cs.ttl)}

	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.pruneLocked(now)
	ids := cs.perUser[s.UserID]
	if len(ids) >= maxOpenPerUser {
		delete(cs.open, ids[0])
		ids = ids[1:]
	}
	cs.perUser[s.UserID] = append(ids, ch.ID)
	cs.open[ch.ID] = &openChallenge{subject: s, ch: ch}
	out := ch
	out.Nonce = slices.Clone(nonce)
	return out
}

// Take consumes challenge id, answered by s for method m, and returns it.
// An unknown ID is ErrFailed, an ID already taken ErrReplayed, a challenge
// past its expiry ErrExpired, and one issued to another subject or method
// ErrFailed; every one of these except the unknown ID consumes the
// challenge, so a challenge is never answered twice.
func (cs *Challenges) Take(s Subject, m Method, id string) (Challenge, error) {
	now := cs.clock.Now()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.pruneLocked(now)
	if _, ok := cs.taken[id]; ok {
		return Challenge{}, pay.Errorf(ErrReplayed, "challenge_id", "%s challenge was already answered", m)
	}
	oc, ok := cs.open[id]
	if !ok {
		return Challenge{}, pay.Errorf(ErrFailed, "challenge_id", "unknown %s challenge", m)
	}
	cs.removeLocked(id, oc)
	cs.taken[id] = oc.ch.ExpiresAt.Add(cs.ttl)
	switch {
	case !now.Before(oc.ch.ExpiresAt):
		return Challenge{}, pay.Errorf(ErrExpired, "challenge_id", "%s challenge expired", m)
	case oc.ch.Method != m:
		return Challenge{}, pay.Errorf(ErrFailed, "challenge_id", "the challenge was not issued for %s", m)
	case oc.subject != s:
		return Challenge{}, pay.Errorf(ErrFailed, "challenge_id", "the %s challenge was issued to another user or device", m)
	}
	return oc.ch, nil
}

// removeLocked forgets an open challenge.
func (cs *Challenges) removeLocked(id string, oc *openChallenge) {
	delete(cs.open, id)
	user := oc.subject.UserID
	ids := slices.DeleteFunc(cs.perUser[user], func(x string) bool { return x == id })
	if len(ids) == 0 {
		delete(cs.perUser, user)
	} else {
		cs.perUser[user] = ids
	}
}

// pruneLocked drops, at most once per half lifetime, open challenges
// expired for a whole lifetime (until then Take still reports them as
// expired) and taken IDs past their forget time.
func (cs *Challenges) pruneLocked(now time.Time) {
	if now.Before(cs.nextPrune) {
		return
	}
	cs.nextPrune = now.Add(cs.ttl / 2)
	for id, oc := range cs.open {
		if now.After(oc.ch.ExpiresAt.Add(cs.ttl)) {
			cs.removeLocked(id, oc)
		}
	}
	for id, forget := range cs.taken {
		if now.After(forget) {
			delete(cs.taken, id)
		}
	}
}

// size reports how many open and taken IDs the store holds (for tests).
func (cs *Challenges) size() (open, taken int) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return len(cs.open), len(cs.taken)
}
