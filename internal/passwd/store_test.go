package passwd

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paykit-go/paykit/internal/clock"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const (
	pwRight = "902417"
	pwWrong = "902418"
	pwNew   = "531864"
)

// countingRecords counts writes and can fail on demand.
type countingRecords struct {
	Records
	puts    atomic.Int32
	failGet atomic.Bool
	failPut atomic.Bool
}

var errDisk = errors.New("disk on fire")

func (c *countingRecords) Get(ctx context.Context, subject string) (Record, bool, error) {
	if c.failGet.Load() {
		return Record{}, false, errDisk
	}
	return c.Records.Get(ctx, subject)
}

func (c *countingRecords) Put(ctx context.Context, subject string, r Record) error {
	if c.failPut.Load() {
		return errDisk
	}
	c.puts.Add(1)
	return c.Records.Put(ctx, subject, r)
}

// testStore returns a Store on a fake clock with counting records, and a
// counter of Argon2 evaluations of attempts.
func testStore(t *testing.T, opts ...Option) (*Store, *clock.Fake, *countingRecords, *atomic.Int32) {
	t.Helper()
	clk := clock.NewFake(t0)
	recs := &countingRecords{Records: NewMemRecords()}
	s, err := NewStore(append([]Option{WithClock(clk), WithRecords(recs)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	evals := new(atomic.Int32)
	s.onEvaluate = func() { evals.Add(1) }
	return s, clk, recs, evals
}

func wantStatus(t *testing.T, s *Store, subject string, want Status) {
	t.Helper()
	got, err := s.Status(context.Background(), subject)
	if err != nil {
		t.Fatal(err)
	}
	if !got.LockedUntil.Equal(want.LockedUntil) || got.Set != want.Set || got.Failures != want.Failures {
		t.Fatalf("Status(%q) = %+v, want %+v", subject, got, want)
	}
}

func wantWrong(t *testing.T, err error, remaining int) {
	t.Helper()
	var w *WrongError
	if !errors.As(err, &w) || !errors.Is(err, ErrWrong) || w.Remaining != remaining {
		t.Fatalf("err = %v, want *WrongError{Remaining: %d}", err, remaining)
	}
}

func wantLocked(t *testing.T, err error, until time.Time) {
	t.Helper()
	var l *LockedError
	if !errors.As(err, &l) || !errors.Is(err, ErrLocked) || !l.Until.Equal(until) {
		t.Fatalf("err = %v, want *LockedError{Until: %v}", err, until)
	}
}

func TestStoreSetCheck(t *testing.T) {
	s, _, _, evals := testStore(t)
	ctx := context.Background()
	if err := s.Check(ctx, "u1", pwRight); !errors.Is(err, ErrNotSet) {
		t.Fatalf("Check before Set = %v, want ErrNotSet", err)
	}
	wantStatus(t, s, "u1", Status{})
	if err := s.Set(ctx, "u1", pwRight); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, s, "u1", Status{Set: true})
	if err := s.Check(ctx, "u1", pwRight); err != nil {
		t.Fatalf("Check(right) = %v", err)
	}
	wantWrong(t, s.Check(ctx, "u1", pwWrong), 4)
	wantStatus(t, s, "u1", Status{Set: true, Failures: 1})
	if err := s.Set(ctx, "u1", pwNew); !errors.Is(err, ErrAlreadySet) {
		t.Fatalf("second Set = %v, want ErrAlreadySet", err)
	}
	if err := s.Check(ctx, "u1", pwRight); err != nil {
		t.Fatalf("Check(right) after second Set = %v (the second Set changed the password)", err)
	}
	wantStatus(t, s, "u1", Status{Set: true})
	if n := evals.Load(); n != 3 {
		t.Fatalf("evaluations = %d, want 3", n)
	}
	if err := s.Delete(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, s, "u1", Status{})
	if err := s.Check(ctx, "u1", pwRight); !errors.Is(err, ErrNotSet) {
		t.Fatalf("Check after Delete = %v, want ErrNotSet", err)
	}
	if err := s.Delete(ctx, "u1"); err != nil {
		t.Fatalf("second Delete = %v", err)
	}
}

// A right password resets the count: MaxFailures-1 wrong, right,
// MaxFailures-1 wrong never locks.
func TestStoreSuccessResetsFailures(t *testing.T) {
	s, _, _, _ := testStore(t, WithMaxFailures(3))
	ctx := context.Background()
	if err := s.Set(ctx, "u1", pwRight); err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 2; round++ {
		wantWrong(t, s.Check(ctx, "u1", pwWrong), 2)
		wantWrong(t, s.Check(ctx, "u1", pwWrong), 1)
		wantStatus(t, s, "u1", Status{Set: true, Failures: 2})
		if err := s.Check(ctx, "u1", pwRight); err != nil {
			t.Fatalf("round %d: Check(right) = %v", round, err)
		}
		wantStatus(t, s, "u1", Status{Set: true})
	}
}

// After MaxFailures wrong attempts the subject is locked for Lockout: every
// attempt is refused unevaluated, and nothing is written. Once the lock has
// passed, failures count from zero.
func TestStoreLockout(t *testing.T) {
	s, clk, recs, evals := testStore(t)
	ctx := context.Background()
	if err := s.Set(ctx, "u1", pwRight); err != nil {
		t.Fatal(err)
	}
	for i := 4; i >= 0; i-- {
		wantWrong(t, s.Check(ctx, "u1", pwWrong), i)
	}
	until := t0.Add(15 * time.Minute)
	wantStatus(t, s, "u1", Status{Set: true, Failures: 5, LockedUntil: until})
	puts := recs.puts.Load()
	clk.Advance(15*time.Minute - time.Nanosecond)
	wantLocked(t, s.Check(ctx, "u1", pwRight), until)
	wantLocked(t, s.Check(ctx, "u1", pwWrong), until)
	wantLocked(t, s.Change(ctx, "u1", pwRight, pwNew), until)
	if n, p := evals.Load(), recs.puts.Load(); n != 5 || p != puts {
		t.Fatalf("while locked: evaluations %d (want 5), writes %d (want %d)", n, p, puts)
	}
	clk.Advance(time.Nanosecond)
	wantStatus(t, s, "u1", Status{Set: true})
	wantWrong(t, s.Check(ctx, "u1", pwWrong), 4)
	wantStatus(t, s, "u1", Status{Set: true, Failures: 1})
	if err := s.Check(ctx, "u1", pwRight); err != nil {
		t.Fatalf("Check(right) after the lock = %v", err)
	}
}

func TestStoreChange(t *testing.T) {
	s, _, recs, evals := testStore(t)
	ctx := context.Background()
	if err := s.Change(ctx, "u1", pwRight, pwNew); !errors.Is(err, ErrNotSet) {
		t.Fatalf("Change before Set = %v, want ErrNotSet", err)
	}
	if err := s.Set(ctx, "u1", pwRight); err != nil {
		t.Fatal(err)
	}
	wantWrong(t, s.Change(ctx, "u1", pwWrong, pwNew), 4)
	wantStatus(t, s, "u1", Status{Set: true, Failures: 1})

	// A weak new password is refused before the old one is evaluated.
	puts, n := recs.puts.Load(), evals.Load()
	for _, weak := range []string{"123456", "111111", "12345", ""} {
		if err := s.Change(ctx, "u1", pwRight, weak); !errors.Is(err, ErrWeak) {
			t.Fatalf("Change to %q = %v, want ErrWeak", weak, err)
		}
	}
	if recs.puts.Load() != puts || evals.Load() != n {
		t.Fatal("a refused new password wrote a record or evaluated the old one")
	}
	wantStatus(t, s, "u1", Status{Set: true, Failures: 1})

	if err := s.Change(ctx, "u1", pwRight, pwNew); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, s, "u1", Status{Set: true})
	if err := s.Check(ctx, "u1", pwNew); err != nil {
		t.Fatalf("Check(new) = %v", err)
	}
	wantWrong(t, s.Check(ctx, "u1", pwRight), 4)
}

// Reset sets a new password without the old one and lifts a lock.
func TestStoreReset(t *testing.T) {
	s, _, recs, _ := testStore(t, WithMaxFailures(2))
	ctx := context.Background()
	if err := s.Reset(ctx, "u1", pwNew); !errors.Is(err, ErrNotSet) {
		t.Fatalf("Reset before Set = %v, want ErrNotSet", err)
	}
	if err := s.Set(ctx, "u1", pwRight); err != nil {
		t.Fatal(err)
	}
	wantWrong(t, s.Check(ctx, "u1", pwWrong), 1)
	wantWrong(t, s.Check(ctx, "u1", pwWrong), 0)
	until := t0.Add(15 * time.Minute)
	wantLocked(t, s.Check(ctx, "u1", pwRight), until)

	puts := recs.puts.Load()
	if err := s.Reset(ctx, "u1", "654321"); !errors.Is(err, ErrWeak) {
		t.Fatalf("Reset(weak) = %v, want ErrWeak", err)
	}
	if recs.puts.Load() != puts {
		t.Fatal("a weak Reset wrote a record")
	}
	wantStatus(t, s, "u1", Status{Set: true, Failures: 2, LockedUntil: until})

	if err := s.Reset(ctx, "u1", pwNew); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, s, "u1", Status{Set: true})
	if err := s.Check(ctx, "u1", pwNew); err != nil {
		t.Fatalf("Check(new) after Reset = %v", err)
	}
}

// A hash made with other parameters is replaced on the next right
// password, not on a wrong one.
func TestStoreRehash(t *testing.T) {
	ctx := context.Background()
	recs := NewMemRecords()
	old, err := NewStore(WithRecords(recs))
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Set(ctx, "u1", pwRight); err != nil {
		t.Fatal(err)
	}
	stronger := Params{Memory: 19456, Time: 3, Threads: 1, SaltLen: 16, KeyLen: 32}
	s, err := NewStore(WithRecords(recs), WithParams(stronger))
	if err != nil {
		t.Fatal(err)
	}
	phc := func() string {
		r, _, _ := recs.Get(ctx, "u1")
		return r.PHC
	}
	before := phc()
	wantWrong(t, s.Check(ctx, "u1", pwWrong), 4)
	if !strings.HasPrefix(phc(), "$argon2id$v=19$m=19456,t=2,p=1$") || !strings.HasSuffix(phc(), before[len(before)-43:]) {
		t.Fatalf("a wrong password changed the hash: %q", phc())
	}
	if err := s.Check(ctx, "u1", pwRight); err != nil {
		t.Fatal(err)
	}
	if got := phc(); !strings.HasPrefix(got, "$argon2id$v=19$m=19456,t=3,p=1$") || NeedsRehash(got, stronger) {
		t.Fatalf("after success the hash is %q, want t=3", got)
	}
	if err := s.Check(ctx, "u1", pwRight); err != nil {
		t.Fatalf("Check(right) after rehash = %v", err)
	}
}

// Bad input is refused with a clear error and changes nothing.
func TestStoreBadInput(t *testing.T) {
	s, _, recs, evals := testStore(t)
	ctx := context.Background()
	long := strings.Repeat("u", MaxSubjectBytes+1)
	for _, subject := range []string{"", long} {
		for name, err := range map[string]error{
			"Set":    s.Set(ctx, subject, pwRight),
			"Check":  s.Check(ctx, subject, pwRight),
			"Change": s.Change(ctx, subject, pwRight, pwNew),
			"Reset":  s.Reset(ctx, subject, pwNew),
			"Delete": s.Delete(ctx, subject),
		} {
			if !errors.Is(err, ErrSubject) {
				t.Errorf("%s(subject of %d bytes) = %v, want ErrSubject", name, len(subject), err)
			}
		}
		if _, err := s.Status(ctx, subject); !errors.Is(err, ErrSubject) {
			t.Errorf("Status(subject of %d bytes) = %v, want ErrSubject", len(subject), err)
		}
	}
	for _, weak := range []string{"123456", "000000", "12345", strings.Repeat("x", MaxBytes+1)} {
		if err := s.Set(ctx, "u1", weak); !errors.Is(err, ErrWeak) {
			t.Errorf("Set(weak) = %v, want ErrWeak", err)
		}
	}
	if recs.puts.Load() != 0 || evals.Load() != 0 {
		t.Fatalf("bad input wrote %d records, evaluated %d attempts", recs.puts.Load(), evals.Load())
	}
	wantStatus(t, s, "u1", Status{})
}

// A stored hash below the floor is refused as malformed without counting a
// failure; records that fail to read or write surface their error and the
// attempt is not approved.
func TestStoreBadRecords(t *testing.T) {
	s, _, recs, _ := testStore(t)
	ctx := context.Background()
	weak := "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
	if err := recs.Records.Put(ctx, "u1", Record{PHC: weak}); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(ctx, "u1", "password"); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Check against an 8-byte-salt hash = %v, want ErrMalformed", err)
	}
	wantStatus(t, s, "u1", Status{Set: true})

	if err := s.Set(ctx, "u2", pwRight); err != nil {
		t.Fatal(err)
	}
	recs.failPut.Store(true)
	if err := s.Check(ctx, "u2", pwWrong); !errors.Is(err, errDisk) || errors.Is(err, ErrWrong) {
		t.Fatalf("Check(wrong) with failing writes = %v, want the write error", err)
	}
	recs.failPut.Store(false)
	recs.failGet.Store(true)
	if err := s.Check(ctx, "u2", pwRight); !errors.Is(err, errDisk) {
		t.Fatalf("Check(right) with failing reads = %v, want the read error", err)
	}
	if _, err := s.Status(ctx, "u2"); !errors.Is(err, errDisk) {
		t.Fatalf("Status with failing reads = %v, want the read error", err)
	}
}

func TestNewStoreOptions(t *testing.T) {
	for name, o := range map[string]Option{
		"nil clock":         WithClock(nil),
		"nil records":       WithRecords(nil),
		"nil rule":          WithRule(nil),
		"weak params":       WithParams(Params{Memory: 4096, Time: 3, Threads: 1, SaltLen: 16, KeyLen: 32}),
		"zero failures":     WithMaxFailures(0),
		"101 failures":      WithMaxFailures(101),
		"lockout 0":         WithLockout(0),
		"lockout 999ms":     WithLockout(999 * time.Millisecond),
		"lockout 31 days":   WithLockout(31 * 24 * time.Hour),
		"negative lockout":  WithLockout(-time.Minute),
		"absurd params":     WithParams(Params{Memory: 1 << 21, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}),
		"threads 0 params":  WithParams(Params{Memory: 19456, Time: 2, SaltLen: 16, KeyLen: 32}),
		"short salt params": WithParams(Params{Memory: 19456, Time: 2, Threads: 1, SaltLen: 8, KeyLen: 32}),
		"parallel 0":        WithMaxParallel(0),
		"parallel 1025":     WithMaxParallel(1025),
	} {
		if s, err := NewStore(o); !errors.Is(err, ErrParams) || s != nil {
			t.Errorf("%s: NewStore = %v, %v; want ErrParams", name, s, err)
		}
	}
	s, err := NewStore(WithMaxFailures(1), WithLockout(time.Second), WithLockout(30*24*time.Hour), WithMaxParallel(3))
	if err != nil || s.maxFailures != 1 || s.lockout != 30*24*time.Hour || s.params != DefaultParams || cap(s.slots) != 3 {
		t.Fatalf("NewStore = %+v, %v", s, err)
	}
}

// WithRule replaces CheckNew.
func TestStoreWithRule(t *testing.T) {
	rule := func(pw string) error {
		if len(pw) < 2 {
			return ErrWeak
		}
		return nil
	}
	s, _, _, _ := testStore(t, WithRule(rule))
	ctx := context.Background()
	if err := s.Set(ctx, "q", "x"); !errors.Is(err, ErrWeak) {
		t.Fatalf("Set(1 char) = %v, want ErrWeak", err)
	}
	if err := s.Set(ctx, "q", "12"); err != nil {
		t.Fatalf("Set under a custom rule = %v", err)
	}
	if err := s.Check(ctx, "q", "12"); err != nil {
		t.Fatal(err)
	}
}

// A caller waiting for a busy subject gives up when its context ends, and
// changes nothing; other subjects are not held up by the busy one.
func TestStoreWaitHonoursContext(t *testing.T) {
	s, _, recs, evals := testStore(t)
	ctx := context.Background()
	if err := s.Set(ctx, "u1", pwRight); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "u2", pwRight); err != nil {
		t.Fatal(err)
	}
	release, err := s.acquire(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	puts := recs.puts.Load()

	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := s.Check(short, "u1", pwWrong); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Check while busy = %v, want DeadlineExceeded", err)
	}
	done, stop := context.WithCancel(ctx)
	stop()
	if err := s.Set(done, "u3", pwRight); !errors.Is(err, context.Canceled) {
		t.Fatalf("Set with a cancelled context = %v, want Canceled", err)
	}
	if err := s.Check(ctx, "u2", pwRight); err != nil {
		t.Fatalf("Check on another subject while u1 is busy = %v", err)
	}
	if evals.Load() != 1 || recs.puts.Load() != puts {
		t.Fatalf("evaluations %d (want 1), writes %d (want %d)", evals.Load(), recs.puts.Load(), puts)
	}
	release()
	wantStatus(t, s, "u1", Status{Set: true})
	s.mu.Lock()
	n := len(s.gates)
	s.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d gates left after every caller finished", n)
	}
}

// Argon2 work is bounded across subjects: with one slot taken, an attempt
// or a new hash on any subject waits, gives up when its context ends, and
// changes nothing.
func TestStoreMaxParallel(t *testing.T) {
	s, _, recs, evals := testStore(t, WithMaxParallel(1))
	ctx := context.Background()
	if err := s.Set(ctx, "u1", pwRight); err != nil {
		t.Fatal(err)
	}
	release, err := s.work(ctx)
	if err != nil {
		t.Fatal(err)
	}
	puts := recs.puts.Load()
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := s.Check(short, "u1", pwWrong); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Check with no slot free = %v, want DeadlineExceeded", err)
	}
	if err := s.Set(short, "u2", pwRight); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Set with no slot free = %v, want DeadlineExceeded", err)
	}
	if evals.Load() != 0 || recs.puts.Load() != puts {
		t.Fatalf("evaluations %d, writes %d; want none", evals.Load(), recs.puts.Load()-puts)
	}
	wantStatus(t, s, "u1", Status{Set: true})
	wantStatus(t, s, "u2", Status{})
	release()
	wantWrong(t, s.Check(ctx, "u1", pwWrong), 4)
}

// A lock that has passed is cleared in the stored record by the next right
// password.
func TestStoreClearsPassedLock(t *testing.T) {
	s, clk, recs, _ := testStore(t, WithMaxFailures(1))
	ctx := context.Background()
	if err := s.Set(ctx, "u1", pwRight); err != nil {
		t.Fatal(err)
	}
	wantWrong(t, s.Check(ctx, "u1", pwWrong), 0)
	clk.Advance(15 * time.Minute)
	if err := s.Check(ctx, "u1", pwRight); err != nil {
		t.Fatal(err)
	}
	if r, _, _ := recs.Get(ctx, "u1"); r.Failures != 0 || !r.LockedUntil.IsZero() {
		t.Fatalf("stored record = %+v, want the passed lock cleared", r)
	}
}

// MemRecords keeps the last write per subject under concurrent use (run
// with -race): 64 writers over 8 subjects leave 8 records, each from one of
// its writers, and 8 concurrent deletes leave none.
func TestMemRecordsConcurrent(t *testing.T) {
	m := NewMemRecords()
	ctx := context.Background()
	subject := func(i int) string { return string(rune('a' + i%8)) }
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			_ = m.Put(ctx, subject(i), Record{Failures: i})
			if _, ok, _ := m.Get(ctx, subject(i)); !ok {
				t.Errorf("Get(%s) after Put: missing", subject(i))
			}
		})
	}
	wg.Wait()
	for i := range 8 {
		r, ok, err := m.Get(ctx, subject(i))
		if !ok || err != nil || r.Failures%8 != i {
			t.Fatalf("Get(%s) = %+v, %v, %v", subject(i), r, ok, err)
		}
	}
	for i := range 8 {
		wg.Go(func() { _ = m.Delete(ctx, subject(i)) })
	}
	wg.Wait()
	if len(m.m) != 0 {
		t.Fatalf("%d records left after deleting all", len(m.m))
	}
}
