package pay

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// TestWebhookMemoryStoreEviction checks that the default replay store keeps
// IDs for the retention window and no longer, and never evicts an in-flight
// claim.
func TestWebhookMemoryStoreEviction(t *testing.T) {
	ctx := context.Background()
	s := newWebhookMemoryStore()
	t0 := time.Unix(1700000000, 0)
	const retain = 10 * time.Minute

	claim := func(id string, now time.Time) WebhookClaim {
		t.Helper()
		c, err := s.Claim(ctx, id, now, retain)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	for i := range 1000 {
		id := "evt_" + strconv.Itoa(i)
		if c := claim(id, t0.Add(time.Duration(i)*time.Millisecond)); c != WebhookClaimNew {
			t.Fatalf("first claim of %s = %v", id, c)
		}
		if err := s.Complete(ctx, id, t0.Add(time.Duration(i)*time.Millisecond), retain); err != nil {
			t.Fatal(err)
		}
	}
	if c := claim("evt_slow", t0); c != WebhookClaimNew {
		t.Fatalf("claim evt_slow = %v", c)
	}
	if c := claim("evt_0", t0.Add(retain-time.Second)); c != WebhookClaimDone {
		t.Fatalf("evt_0 within retention = %v, want done", c)
	}
	if c := claim("evt_slow", t0.Add(retain-time.Second)); c != WebhookClaimInFlight {
		t.Fatalf("evt_slow = %v, want in flight", c)
	}

	// Past the window: everything done is evicted, the in-flight claim stays.
	later := t0.Add(retain + 2*time.Second)
	if c := claim("evt_new", later); c != WebhookClaimNew {
		t.Fatalf("evt_new = %v", c)
	}
	if n := s.size(); n != 2 {
		t.Fatalf("store holds %d IDs after the window, want 2 (evt_slow, evt_new)", n)
	}
	if len(s.queue) > 2 {
		t.Fatalf("queue holds %d slots after the window", len(s.queue))
	}
	if c := claim("evt_slow", later); c != WebhookClaimInFlight {
		t.Fatalf("evt_slow after the window = %v, want still in flight", c)
	}
	if c := claim("evt_0", later); c != WebhookClaimNew {
		t.Fatalf("evt_0 after the window = %v, want new", c)
	}

	// Completing the slow claim keeps it for retain from completion.
	if err := s.Complete(ctx, "evt_slow", later, retain); err != nil {
		t.Fatal(err)
	}
	if c := claim("evt_slow", later.Add(retain-time.Second)); c != WebhookClaimDone {
		t.Fatalf("evt_slow after completion = %v, want done", c)
	}
	if c := claim("evt_x", later.Add(retain+time.Second)); c != WebhookClaimNew {
		t.Fatal(c)
	}
	if c := claim("evt_slow", later.Add(retain+time.Second)); c != WebhookClaimNew {
		t.Fatalf("evt_slow after its window = %v, want new", c)
	}

	// Release forgets at once; a stale queue slot of a released ID does not
	// evict its later claim.
	if err := s.Release(ctx, "evt_x"); err != nil {
		t.Fatal(err)
	}
	at := later.Add(retain + time.Second)
	if c := claim("evt_x", at.Add(time.Second)); c != WebhookClaimNew {
		t.Fatalf("evt_x after release = %v", c)
	}
	if err := s.Complete(ctx, "evt_x", at.Add(time.Second), retain); err != nil {
		t.Fatal(err)
	}
	if c := claim("evt_y", at.Add(retain)); c != WebhookClaimNew {
		t.Fatal(c)
	}
	if c := claim("evt_x", at.Add(retain)); c != WebhookClaimDone {
		t.Fatalf("evt_x evicted by its released predecessor's slot: %v", c)
	}
}
