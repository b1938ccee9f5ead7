package vrauth

import "testing"

// A waiter that stops waiting leaves nothing behind; a wake reaches every
// current waiter and only them.
func TestWaitersReleaseAndWake(t *testing.T) {
	var w waiters
	w.init()
	c1, r1 := w.wait("a")
	c2, r2 := w.wait("a")
	r1()
	if len(w.ch) != 1 {
		t.Fatalf("entries after one of two released = %d, want 1", len(w.ch))
	}
	w.wake("a")
	for i, c := range []<-chan struct{}{c1, c2} {
		select {
		case <-c:
		default:
			t.Fatalf("waiter %d not woken", i)
		}
	}
	r2() // releasing after the wake must not disturb a new waiter
	c3, r3 := w.wait("a")
	r2()
	select {
	case <-c3:
		t.Fatal("a new waiter was woken by an old release")
	default:
	}
	r3()
	if len(w.ch) != 0 {
		t.Fatalf("entries left = %d, want 0", len(w.ch))
	}
}
