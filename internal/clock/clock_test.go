package clock

import (
	"testing"
	"time"
)

func TestFakeAdvanceAndSet(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f := NewFake(start)
	if got := f.Advance(90 * time.Second); !got.Equal(start.Add(90 * time.Second)) {
		t.Fatalf("Advance = %v", got)
	}
	f.Set(start)
	if !f.Now().Equal(start) {
		t.Fatalf("Now after Set = %v", f.Now())
	}
	if d := time.Since(System{}.Now()); d < 0 || d > time.Minute {
		t.Fatalf("System clock off by %v", d)
	}
}
