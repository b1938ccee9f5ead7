package passwd

import (
	"fmt"
	"runtime"
	"time"
)

// Clock tells the current time; internal/clock's System and Fake fit, as
// does any pay.Clock.
type Clock interface{ Now() time.Time }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Option configures a Store. Options validate their values; NewStore
// returns the first error.
type Option func(*Store) error

// Bounds of the options.
const (
	MaxMaxParallel = 1024
	MaxMaxFailures = 100
	MinLockout     = time.Second
	MaxLockout     = 30 * 24 * time.Hour
)

// WithClock sets the clock the lockout reads (the wall clock by default).
func WithClock(c Clock) Option {
	return func(s *Store) error {
		if c == nil {
			return fmt.Errorf("%w: nil clock", ErrParams)
		}
		s.clock = c
		return nil
	}
}

// WithParams sets the Argon2id parameters of new hashes (DefaultParams by
// default); hashes made with other parameters are rehashed on the next
// success. p must pass Validate.
func WithParams(p Params) Option {
	return func(s *Store) error {
		if err := p.Validate(); err != nil {
			return err
		}
		s.params = p
		return nil
	}
}

// WithMaxFailures sets how many consecutive wrong attempts lock a subject
// (5 by default; 1 to 100).
func WithMaxFailures(n int) Option {
	return func(s *Store) error {
		if n < 1 || n > MaxMaxFailures {
			return fmt.Errorf("%w: max failures %d not in [1, %d]", ErrParams, n, MaxMaxFailures)
		}
		s.maxFailures = n
		return nil
	}
}

// WithLockout sets how long a lock lasts (15 minutes by default; one
// second to 30 days).
func WithLockout(d time.Duration) Option {
	return func(s *Store) error {
		if d < MinLockout || d > MaxLockout {
			return fmt.Errorf("%w: lockout %v not in [%v, %v]", ErrParams, d, MinLockout, MaxLockout)
		}
		s.lockout = d
		return nil
	}
}

// WithRecords sets where records persist (NewMemRecords by default).
func WithRecords(r Records) Option {
	return func(s *Store) error {
		if r == nil {
			return fmt.Errorf("%w: nil records", ErrParams)
		}
		s.records = r
		return nil
	}
}

// WithRule replaces CheckNew as the rule new passwords must pass in Set,
// Change and Reset, for stores that keep something other than payment
// passwords (security answers, say). rule's errors should match ErrWeak
// and must not quote the password.
func WithRule(rule func(password string) error) Option {
	return func(s *Store) error {
		if rule == nil {
			return fmt.Errorf("%w: nil rule", ErrParams)
		}
		s.rule = rule
		return nil
	}
}

// DefaultMaxParallel is how many Argon2 computations a Store runs at once
// by default: twice GOMAXPROCS (at DefaultParams, 19 MiB each).
func DefaultMaxParallel() int { return 2 * runtime.GOMAXPROCS(0) }

// WithMaxParallel bounds how many Argon2 computations (attempts and new
// hashes, over all subjects) run at once; more wait their turn, or until
// their context ends. Each holds Params.Memory KiB, so n bounds the memory
// a burst of attempts can take. 1 to 1024; DefaultMaxParallel by default.
func WithMaxParallel(n int) Option {
	return func(s *Store) error {
		if n < 1 || n > MaxMaxParallel {
			return fmt.Errorf("%w: max parallel %d not in [1, %d]", ErrParams, n, MaxMaxParallel)
		}
		s.slots = make(chan struct{}, n)
		return nil
	}
}
