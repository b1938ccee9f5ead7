package pay_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/paykit-go/paykit/pay"
)

func fastSender(t *testing.T) *pay.WebhookSender {
	t.Helper()
	s, err := pay.NewWebhookSender(pay.WithSenderRetryPolicy(pay.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func TestWebhookSenderRoundTrip(t *testing.T) {
	s := fastSender(t)
	var mu sync.Mutex
	var types []string
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	defer srv.Close()
	ep, err := s.AddEndpoint(srv.URL + "/hook")
	if err != nil {
		t.Fatal(err)
	}
	if ep.Secret == "" || ep.ID == "" {
		t.Fatalf("endpoint = %+v", ep)
	}
	handler, err = pay.NewWebhookHandler(func(_ context.Context, e pay.Event) error {
		mu.Lock()
		defer mu.Unlock()
		types = append(types, e.Type)
		return nil
	}, pay.WithWebhookSecrets(ep.Secret))
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"payment.succeeded", "payment.refunded", "payment.closed"} {
		e, err := pay.NewEvent(typ, time.Now(), map[string]string{"id": "pay_x"})
		if err != nil {
			t.Fatal(err)
		}
		s.Notify(context.Background(), e)
	}
	s.Flush()
	mu.Lock()
	defer mu.Unlock()
	if len(types) != 3 || types[0] != "payment.succeeded" || types[1] != "payment.refunded" || types[2] != "payment.closed" {
		t.Errorf("received %v, want the three events in order", types)
	}
	for _, d := range s.Deliveries() {
		if !d.Delivered || d.Attempts != 1 {
			t.Errorf("delivery %+v", d)
		}
	}
	if eps := s.Endpoints(); len(eps) != 1 || eps[0].Secret != "" {
		t.Errorf("Endpoints() = %+v, want one without its secret", eps)
	}
}

func TestWebhookSenderRetriesThenGivesUp(t *testing.T) {
	s := fastSender(t)
	var mu sync.Mutex
	calls := 0
	status := http.StatusServiceUnavailable
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 2 && status == http.StatusServiceUnavailable {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	if _, err := s.AddEndpoint(srv.URL); err != nil {
		t.Fatal(err)
	}
	e, _ := pay.NewEvent("payment.succeeded", time.Now(), map[string]int{})
	s.Notify(context.Background(), e)
	s.Flush()
	mu.Lock()
	status = http.StatusBadRequest
	mu.Unlock()
	s.Notify(context.Background(), e)
	s.Flush()
	d := s.Deliveries()
	if len(d) != 2 || !d[0].Delivered || d[0].Attempts != 2 || d[1].Delivered || d[1].Attempts != 1 || d[1].Status != 400 {
		t.Errorf("deliveries = %+v; want 503→200 delivered in 2, then 400 given up after 1", d)
	}
}

func TestWebhookSenderRejectsBadEndpoints(t *testing.T) {
	s := fastSender(t)
	for _, u := range []string{"", "ftp://x", "/relative", "http://", "::"} {
		if _, err := s.AddEndpoint(u); err == nil {
			t.Errorf("AddEndpoint(%q) succeeded", u)
		}
	}
	if err := s.RemoveEndpoint("we_nope"); err == nil {
		t.Error("RemoveEndpoint of an unknown ID succeeded")
	}
}
