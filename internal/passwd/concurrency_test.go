package passwd

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// 64 concurrent wrong passwords: exactly 5 are evaluated (each writes one
// failure, leaving 4, 3, 2, 1, 0 attempts) and the other 59 are refused as
// locked without Argon2. The right password is refused while locked and
// accepted once the clock passes 15 minutes.
func TestConcurrentWrongPasswords(t *testing.T) {
	s, clk, recs, evals := testStore(t)
	ctx := context.Background()
	if err := s.Set(ctx, "u1", pwRight); err != nil {
		t.Fatal(err)
	}
	puts := recs.puts.Load()

	const n = 64
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.Check(ctx, "u1", pwWrong)
		})
	}
	close(start)
	wg.Wait()

	until := t0.Add(15 * time.Minute)
	remaining := map[int]int{}
	locked := 0
	for _, err := range errs {
		var w *WrongError
		var l *LockedError
		switch {
		case errors.As(err, &w):
			remaining[w.Remaining]++
		case errors.As(err, &l) && l.Until.Equal(until):
			locked++
		default:
			t.Fatalf("unexpected result %v", err)
		}
	}
	if len(remaining) != 5 || locked != n-5 {
		t.Fatalf("wrong %v, locked %d; want remaining 4,3,2,1,0 once each and %d locked", remaining, locked, n-5)
	}
	for r := range 5 {
		if remaining[r] != 1 {
			t.Fatalf("remaining %d seen %d times, want once", r, remaining[r])
		}
	}
	if got := evals.Load(); got != 5 {
		t.Fatalf("evaluated %d attempts, want 5", got)
	}
	if got := recs.puts.Load() - puts; got != 5 {
		t.Fatalf("%d record writes, want 5", got)
	}
	wantStatus(t, s, "u1", Status{Set: true, Failures: 5, LockedUntil: until})

	wantLocked(t, s.Check(ctx, "u1", pwRight), until)
	clk.Advance(15*time.Minute - time.Second)
	wantLocked(t, s.Check(ctx, "u1", pwRight), until)
	if got := evals.Load(); got != 5 {
		t.Fatalf("the right password was evaluated while locked (%d evaluations)", got)
	}
	clk.Advance(time.Second)
	if err := s.Check(ctx, "u1", pwRight); err != nil {
		t.Fatalf("Check(right) after 15 minutes = %v", err)
	}
	if got := evals.Load(); got != 6 {
		t.Fatalf("evaluations = %d, want 6", got)
	}
	wantStatus(t, s, "u1", Status{Set: true})
	if r, _, _ := recs.Get(ctx, "u1"); r.Failures != 0 || !r.LockedUntil.IsZero() {
		t.Fatalf("stored record after success = %+v, want the lock cleared", r)
	}
}

// Subjects lock independently under concurrency: 3 subjects × 16
// concurrent wrong guesses with a limit of 2 evaluate exactly 2 per
// subject, and a fourth subject's right password still passes.
func TestConcurrentSubjectsLockIndependently(t *testing.T) {
	s, _, _, evals := testStore(t, WithMaxFailures(2))
	ctx := context.Background()
	subjects := []string{"u1", "u2", "u3", "u4"}
	for _, u := range subjects {
		if err := s.Set(ctx, u, pwRight); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	wrong := map[string]int{}
	locked := map[string]int{}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 48 {
		u := subjects[i%3]
		wg.Go(func() {
			<-start
			err := s.Check(ctx, u, pwWrong)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, ErrWrong):
				wrong[u]++
			case errors.Is(err, ErrLocked):
				locked[u]++
			default:
				t.Errorf("%s: %v", u, err)
			}
		})
	}
	wg.Go(func() {
		<-start
		if err := s.Check(ctx, "u4", pwRight); err != nil {
			t.Errorf("u4 Check(right) = %v", err)
		}
	})
	close(start)
	wg.Wait()
	for _, u := range subjects[:3] {
		if wrong[u] != 2 || locked[u] != 14 {
			t.Errorf("%s: %d wrong, %d locked; want 2 and 14", u, wrong[u], locked[u])
		}
	}
	if got := evals.Load(); got != 7 {
		t.Fatalf("evaluations = %d, want 7 (2 per locked subject and u4's)", got)
	}
	wantStatus(t, s, "u4", Status{Set: true})
}
