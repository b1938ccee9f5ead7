package passwd

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// MaxSubjectBytes is the longest subject a Store accepts.
const MaxSubjectBytes = 512

// Defaults of NewStore.
const (
	DefaultMaxFailures = 5
	DefaultLockout     = 15 * time.Minute
)

// Store keeps one Argon2id-hashed password per subject with a lockout after
// consecutive failures. It is safe for concurrent use; attempts on one
// subject are evaluated one at a time, different subjects in parallel.
type Store struct {
	clock       Clock
	params      Params
	maxFailures int
	lockout     time.Duration
	records     Records
	rule        func(string) error

	mu    sync.Mutex
	gates map[string]*gate
	slots chan struct{} // Argon2 computations in progress, all subjects

	// onEvaluate, when set (by tests), runs before each Argon2 evaluation
	// of an attempt.
	onEvaluate func()
}

// Status is a subject's state as an attempt would see it now: a lock that
// has passed shows as no lock and no failures.
type Status struct {
	// Set reports whether the subject has a password.
	Set bool
	// Failures counts consecutive wrong attempts.
	Failures int
	// LockedUntil is when the current lock ends; zero when not locked.
	LockedUntil time.Time
}

// NewStore returns a Store with DefaultParams, 5 failures, a 15-minute
// lockout, the wall clock, in-memory records, CheckNew as the rule and
// DefaultMaxParallel Argon2 computations at once, each replaceable by an
// option.
func NewStore(opts ...Option) (*Store, error) {
	s := &Store{
		clock:       systemClock{},
		params:      DefaultParams,
		maxFailures: DefaultMaxFailures,
		lockout:     DefaultLockout,
		rule:        CheckNew,
		gates:       make(map[string]*gate),
	}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	if s.records == nil {
		s.records = NewMemRecords()
	}
	if s.slots == nil {
		s.slots = make(chan struct{}, DefaultMaxParallel())
	}
	return s, nil
}

func checkSubject(subject string) error {
	if subject == "" || len(subject) > MaxSubjectBytes {
		return fmt.Errorf("%w: empty or longer than %d bytes", ErrSubject, MaxSubjectBytes)
	}
	return nil
}

// prepare checks subject and the new password before anything is locked
// or changed.
func (s *Store) prepare(subject, newPassword string) error {
	if err := checkSubject(subject); err != nil {
		return err
	}
	if len(newPassword) > MaxBytes {
		return fmt.Errorf("%w: longer than %d bytes", ErrWeak, MaxBytes)
	}
	return s.rule(newPassword)
}

func (s *Store) get(ctx context.Context, subject string) (Record, bool, error) {
	r, ok, err := s.records.Get(ctx, subject)
	if err != nil {
		return Record{}, false, fmt.Errorf("passwd: reading record: %w", err)
	}
	return r, ok, nil
}

func (s *Store) put(ctx context.Context, subject string, r Record) error {
	if err := s.records.Put(ctx, subject, r); err != nil {
		return fmt.Errorf("passwd: writing record: %w", err)
	}
	return nil
}

// Set gives subject its first password. It returns ErrAlreadySet when one
// is set (Change or Reset replaces it) and the rule's error (ErrWeak) for a
// password the rule refuses; neither changes anything.
func (s *Store) Set(ctx context.Context, subject, password string) error {
	return s.replace(ctx, subject, password, func() error {
		if _, ok, err := s.get(ctx, subject); err != nil {
			return err
		} else if ok {
			return ErrAlreadySet
		}
		return nil
	})
}

// Check returns nil when password is subject's password. Otherwise it
// returns a *WrongError (matching ErrWrong) with the attempts left, a
// *LockedError (matching ErrLocked) while the subject is locked — then
// without evaluating the password, right or wrong, and without changing
// anything — or ErrNotSet. A success resets the failures and rehashes a
// hash made with other parameters than the store's. If ctx ends while the
// attempt waits for the subject or for an Argon2 slot, Check returns ctx's
// error and nothing changes.
func (s *Store) Check(ctx context.Context, subject, password string) error {
	if err := checkSubject(subject); err != nil {
		return err
	}
	release, err := s.acquire(ctx, subject)
	if err != nil {
		return err
	}
	defer release()
	rec, dirty, err := s.attempt(ctx, subject, password)
	if err != nil {
		return err
	}
	dirty = dirty || rec.Failures != 0
	rec.Failures = 0
	if NeedsRehash(rec.PHC, s.params) {
		if phc, err := s.hash(ctx, password); err == nil {
			rec.PHC, dirty = phc, true
		}
	}
	if dirty {
		return s.put(ctx, subject, rec)
	}
	return nil
}

// attempt evaluates password against subject's record; the caller holds
// the subject's gate. On success it returns the record with a passed lock
// cleared, and whether that clearing still has to be written; on a wrong
// password it records the failure.
func (s *Store) attempt(ctx context.Context, subject, password string) (rec Record, dirty bool, err error) {
	rec, ok, err := s.get(ctx, subject)
	if err != nil {
		return Record{}, false, err
	}
	if !ok {
		return Record{}, false, ErrNotSet
	}
	now := s.clock.Now()
	if !rec.LockedUntil.IsZero() {
		if now.Before(rec.LockedUntil) {
			return Record{}, false, &LockedError{Until: rec.LockedUntil}
		}
		rec.Failures, rec.LockedUntil, dirty = 0, time.Time{}, true
	}
	release, err := s.work(ctx)
	if err != nil {
		return Record{}, false, err
	}
	if s.onEvaluate != nil {
		s.onEvaluate()
	}
	match, err := Verify(rec.PHC, password)
	release()
	if err != nil {
		return Record{}, false, err
	}
	if match {
		return rec, dirty, nil
	}
	rec.Failures++
	if rec.Failures >= s.maxFailures {
		rec.LockedUntil = now.Add(s.lockout)
	}
	if err := s.put(ctx, subject, rec); err != nil {
		return Record{}, false, err
	}
	return Record{}, false, &WrongError{Remaining: max(s.maxFailures-rec.Failures, 0)}
}

// Change replaces subject's password after checking old through the same
// lockout as Check (a wrong old password counts as a failure; while locked
// it is not evaluated). A new password the rule refuses is reported before
// old is looked at, and changes nothing.
func (s *Store) Change(ctx context.Context, subject, oldPassword, newPassword string) error {
	return s.replace(ctx, subject, newPassword, func() error {
		_, _, err := s.attempt(ctx, subject, oldPassword)
		return err
	})
}

// Reset replaces subject's password without the old one and clears its
// failures and lock. The caller must have proved the user's identity
// another way (a fresh SMS code, say). It returns ErrNotSet when no
// password is set (Set gives the first one).
func (s *Store) Reset(ctx context.Context, subject, newPassword string) error {
	return s.replace(ctx, subject, newPassword, func() error {
		if _, ok, err := s.get(ctx, subject); err != nil {
			return err
		} else if !ok {
			return ErrNotSet
		}
		return nil
	})
}

// replace stores a new password for subject, holding the subject's gate,
// once the rule accepted it and allowed (which sees the current record)
// returned nil; otherwise nothing changes.
func (s *Store) replace(ctx context.Context, subject, newPassword string, allowed func() error) error {
	if err := s.prepare(subject, newPassword); err != nil {
		return err
	}
	release, err := s.acquire(ctx, subject)
	if err != nil {
		return err
	}
	defer release()
	if err := allowed(); err != nil {
		return err
	}
	phc, err := s.hash(ctx, newPassword)
	if err != nil {
		return err
	}
	return s.put(ctx, subject, Record{PHC: phc})
}

// MaxFailures is how many consecutive failures lock a subject, so callers
// can say how many attempts are left.
func (s *Store) MaxFailures() int { return s.maxFailures }

// Status reports whether subject has a password, its consecutive failures
// and the end of its lock, as the next attempt would see them.
func (s *Store) Status(ctx context.Context, subject string) (Status, error) {
	if err := checkSubject(subject); err != nil {
		return Status{}, err
	}
	if err := ctx.Err(); err != nil {
		return Status{}, err
	}
	rec, ok, err := s.get(ctx, subject)
	if err != nil || !ok {
		return Status{}, err
	}
	if !rec.LockedUntil.IsZero() && !s.clock.Now().Before(rec.LockedUntil) {
		return Status{Set: true}, nil
	}
	return Status{Set: true, Failures: rec.Failures, LockedUntil: rec.LockedUntil}, nil
}

// Delete removes subject's password, failures and lock. Deleting a subject
// without a password is not an error.
func (s *Store) Delete(ctx context.Context, subject string) error {
	if err := checkSubject(subject); err != nil {
		return err
	}
	release, err := s.acquire(ctx, subject)
	if err != nil {
		return err
	}
	defer release()
	if err := s.records.Delete(ctx, subject); err != nil {
		return fmt.Errorf("passwd: deleting record: %w", err)
	}
	return nil
}

// work waits for one of the store's Argon2 slots, or for ctx to end. Each
// computation holds Params.Memory KiB, so the slots bound the memory a
// burst of attempts on many subjects can take.
func (s *Store) work(ctx context.Context) (release func(), err error) {
	select {
	case s.slots <- struct{}{}:
		return func() { <-s.slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// hash is Hash at the store's parameters, in one of the store's slots.
func (s *Store) hash(ctx context.Context, password string) (string, error) {
	release, err := s.work(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return Hash(password, s.params)
}
