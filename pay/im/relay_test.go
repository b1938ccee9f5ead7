package im_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/im"
)

// hjRelayServer serves a MemRelay's routes on loopback and returns a
// client of them.
func hjRelayServer(t *testing.T, r *im.MemRelay) (*im.HTTPRelay, *pay.Client) {
	t.Helper()
	srv := httptest.NewServer(pay.NewMux(im.RelayRoutes(r)))
	t.Cleanup(srv.Close)
	pc := hjMust(pay.NewClient(srv.URL, pay.WithRetryPolicy(pay.NoRetries())))
	return im.NewHTTPRelay(pc), pc
}

// TestMemRelayStoresAndForwards: messages for recipients without a
// subscriber are stored in order, stamped with the clock, and fetched per
// recipient after a sequence number.
func TestMemRelayStoresAndForwards(t *testing.T) {
	clk := clock.NewFake(hjStart)
	r := hjMust(im.NewMemRelay(im.WithRelayClock(clk)))
	ctx := context.Background()
	for i, to := range []string{"a", "b", "a", "a", "b"} {
		clk.Advance(time.Second)
		m := hjMust(r.Deliver(ctx, "c1", to, "body-"+string(rune('0'+i))))
		if m.Seq != int64(i+1) || !m.At.Equal(clk.Now()) || m.To != to {
			t.Fatalf("message %d stored as %+v", i, m)
		}
	}
	if err := r.Post(ctx, "c2", "a", "elsewhere"); err != nil {
		t.Fatal(err)
	}
	bodies := func(ms []im.RelayedMessage) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Body)
		}
		return out
	}
	for _, tc := range []struct {
		conv, to string
		after    int64
		want     []string
	}{
		{"c1", "a", 0, []string{"body-0", "body-2", "body-3"}},
		{"c1", "a", 3, []string{"body-3"}},
		{"c1", "a", 4, nil},
		{"c1", "b", 0, []string{"body-1", "body-4"}},
		{"c1", "z", 0, nil},
		{"c2", "a", 0, []string{"elsewhere"}},
		{"c3", "a", 0, nil},
	} {
		got := hjMust(r.Fetch(ctx, tc.conv, tc.to, tc.after))
		if d := cmp.Diff(tc.want, bodies(got)); d != "" {
			t.Errorf("Fetch(%s, %s, %d) (-want +got):\n%s", tc.conv, tc.to, tc.after, d)
		}
	}
	if got := bodies(r.Messages("c1")); len(got) != 5 || got[4] != "body-4" {
		t.Fatalf("Messages = %v", got)
	}
	if d := cmp.Diff([]string{"c1", "c2"}, r.Conversations()); d != "" {
		t.Fatalf("Conversations (-want +got):\n%s", d)
	}
}

// TestMemRelayFetchPages: a fetch returns at most MaxFetch messages; the
// rest come after the last sequence number.
func TestMemRelayFetchPages(t *testing.T) {
	r := hjMust(im.NewMemRelay())
	ctx := context.Background()
	for range im.MaxFetch + 20 {
		if err := r.Post(ctx, "c", "a", "x"); err != nil {
			t.Fatal(err)
		}
	}
	first := hjMust(r.Fetch(ctx, "c", "a", 0))
	if len(first) != im.MaxFetch {
		t.Fatalf("first page %d", len(first))
	}
	rest := hjMust(r.Fetch(ctx, "c", "a", first[len(first)-1].Seq))
	if len(rest) != 20 || rest[0].Seq != im.MaxFetch+1 {
		t.Fatalf("second page %d from %d", len(rest), rest[0].Seq)
	}
}

// TestMemRelaySubscriber: a message for a subscriber is pushed to it; if
// accepted it is stored before the answers the subscriber posted; if
// refused, Post returns the subscriber's error and nothing is stored (not
// even the conversation). Unsubscribing stores messages again.
func TestMemRelaySubscriber(t *testing.T) {
	r := hjMust(im.NewMemRelay())
	ctx := context.Background()
	refuse := pay.Errorf(im.ErrOpen, "", "no")
	var pushed []string
	r.Subscribe("sub", func(ctx context.Context, conv, body string) error {
		pushed = append(pushed, conv+"/"+body)
		if body == "bad" {
			return refuse
		}
		return r.Post(ctx, conv, "dev", "answer to "+body)
	})
	if err := r.Post(ctx, "c", "sub", "good"); err != nil {
		t.Fatal(err)
	}
	got := r.Messages("c")
	if len(got) != 2 || got[0].Body != "good" || got[0].To != "sub" || got[1].Body != "answer to good" || got[0].Seq >= got[1].Seq {
		t.Fatalf("stored %+v", got)
	}
	err := r.Post(ctx, "c", "sub", "bad")
	if err != refuse {
		t.Fatalf("refused post: %v", err)
	}
	err = r.Post(ctx, "fresh", "sub", "bad")
	hjIs(t, "refused post in a new conversation", err, im.ErrOpen)
	if len(r.Messages("c")) != 2 || r.Messages("fresh") != nil {
		t.Fatalf("a refused message was stored: %+v %+v", r.Messages("c"), r.Messages("fresh"))
	}
	if d := cmp.Diff([]string{"c"}, r.Conversations()); d != "" {
		t.Fatalf("conversations (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"c/good", "c/bad", "fresh/bad"}, pushed); d != "" {
		t.Fatalf("pushed (-want +got):\n%s", d)
	}
	r.Subscribe("sub", nil)
	if err := r.Post(ctx, "c", "sub", "bad"); err != nil || len(r.Messages("c")) != 3 {
		t.Fatalf("after unsubscribing: %v, %d stored", err, len(r.Messages("c")))
	}
}

// TestMemRelayRejectsBadInput: bad names, empty or oversized bodies, a
// negative after and a full conversation are refused, storing nothing.
func TestMemRelayRejectsBadInput(t *testing.T) {
	r := hjMust(im.NewMemRelay())
	ctx := context.Background()
	for _, tc := range []struct {
		name           string
		conv, to, body string
		kind           *pay.Error
		param          string
	}{
		{"empty conversation", "", "a", "x", pay.ErrInvalidRequest, "conversation_id"},
		{"conversation with a slash", "a/b", "a", "x", pay.ErrInvalidRequest, "conversation_id"},
		{"conversation with a space", "a b", "a", "x", pay.ErrInvalidRequest, "conversation_id"},
		{"conversation too long", strings.Repeat("c", 129), "a", "x", pay.ErrInvalidRequest, "conversation_id"},
		{"empty recipient", "c", "", "x", pay.ErrInvalidRequest, "to"},
		{"recipient with a newline", "c", "a\nb", "x", pay.ErrInvalidRequest, "to"},
		{"empty body", "c", "a", "", pay.ErrInvalidRequest, "body"},
		{"body too large", "c", "a", strings.Repeat("x", im.MaxRelayBody+1), pay.ErrPayloadTooLarge, "body"},
	} {
		err := r.Post(ctx, tc.conv, tc.to, tc.body)
		var pe *pay.Error
		if !errors.Is(err, tc.kind) || !errors.As(err, &pe) || pe.Param != tc.param {
			t.Errorf("%s: %v, want %s on %s", tc.name, err, tc.kind.Code, tc.param)
		}
	}
	if len(r.Conversations()) != 0 {
		t.Fatalf("stored %v", r.Conversations())
	}
	_, err := r.Fetch(ctx, "c", "a", -1)
	hjIs(t, "negative after", err, pay.ErrInvalidRequest)
	_, err = r.Fetch(ctx, "c/d", "a", 0)
	hjIs(t, "bad conversation", err, pay.ErrInvalidRequest)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := r.Post(cancelled, "c", "a", "x"); !errors.Is(err, context.Canceled) {
		t.Fatalf("post with a cancelled context: %v", err)
	}

	for range im.MaxConversationMessages {
		if err := r.Post(ctx, "full", "a", "x"); err != nil {
			t.Fatal(err)
		}
	}
	hjIs(t, "post to a full conversation", r.Post(ctx, "full", "a", "x"), pay.ErrConflict)
	if n := len(r.Messages("full")); n != im.MaxConversationMessages {
		t.Fatalf("full conversation holds %d", n)
	}
}

// TestRelayOverHTTP: the relay routes post and fetch through HTTPRelay;
// a subscriber's refusal reaches the poster as its sentinel with its
// status; bad input is a 4xx naming the field.
func TestRelayOverHTTP(t *testing.T) {
	r := hjMust(im.NewMemRelay())
	r.Subscribe("sub", func(_ context.Context, _, body string) error {
		if body == "tampered" {
			return pay.Errorf(im.ErrOpen, "", "does not open")
		}
		return nil
	})
	hr, pc := hjRelayServer(t, r)
	ctx := context.Background()
	if err := hr.Post(ctx, "c", "dev", "hello"); err != nil {
		t.Fatal(err)
	}
	if err := hr.Post(ctx, "c", "sub", "fine"); err != nil {
		t.Fatal(err)
	}
	got := hjMust(hr.Fetch(ctx, "c", "dev", 0))
	if len(got) != 1 || got[0].Body != "hello" || got[0].Seq != 1 {
		t.Fatalf("fetched %+v", got)
	}
	err := hr.Post(ctx, "c", "sub", "tampered")
	var pe *pay.Error
	if !errors.Is(err, im.ErrOpen) || !errors.As(err, &pe) || pe.HTTPStatus != http.StatusBadRequest {
		t.Fatalf("refused post: %v", err)
	}
	if n := len(r.Messages("c")); n != 2 {
		t.Fatalf("stored %d messages", n)
	}
	for _, tc := range []struct {
		path  string
		kind  *pay.Error
		param string
	}{
		{"/v1/im/conversations/c/messages?to=dev&after=-1", pay.ErrInvalidRequest, "after"},
		{"/v1/im/conversations/c/messages?to=dev&after=x", pay.ErrInvalidRequest, "after"},
		{"/v1/im/conversations/c/messages", pay.ErrInvalidRequest, "to"},
		{"/v1/im/conversations/a%20b/messages?to=dev", pay.ErrInvalidRequest, "conversation_id"},
	} {
		err := pc.Get(ctx, tc.path, nil)
		if !errors.Is(err, tc.kind) || !errors.As(err, &pe) || pe.Param != tc.param {
			t.Errorf("GET %s: %v, want %s on %s", tc.path, err, tc.kind.Code, tc.param)
		}
	}
	err = pc.Post(ctx, "/v1/im/conversations/c/messages", map[string]any{"to": "dev", "body": "x", "extra": 1}, nil)
	hjIs(t, "unknown field", err, pay.ErrInvalidRequest)
	err = hr.Post(ctx, "c", "dev", strings.Repeat("x", im.MaxRelayBody+1))
	hjIs(t, "oversized body", err, pay.ErrPayloadTooLarge)
}
