package stripe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

// fakeStripe is an in-process Stripe API for tests. It speaks the real wire
// format independently of the package's own types (objects are plain maps
// rendered to JSON), so a field-name mistake on either side shows up:
//
//   - Bearer key check (401 otherwise, with the key echoed in the message
//     so tests can prove the channel scrubs it);
//   - form bodies parsed with bracket notation into nested maps, unknown
//     top-level parameters refused like Stripe does;
//   - Idempotency-Key: same key and parameters replay the stored answer,
//     same key with other parameters is a 400 idempotency_error;
//   - PaymentIntents, Checkout Sessions, Refunds, Customers, SetupIntents
//     and PaymentMethods with search and list endpoints;
//   - test payment methods that succeed and one that declines
//     (pm_card_chargeDeclined);
//   - fault injection: 503 before acting, or a torn 500 after acting;
//   - every state change recorded as a signed-able event.
type fakeStripe struct {
	t      *testing.T
	key    string
	secret string
	clock  *clock.Fake
	srv    *httptest.Server

	mu          sync.Mutex
	seq         int
	objects     map[string]map[string]any // id -> object
	order       []string                  // ids in creation order
	idem        map[string]idemEntry
	tear        map[string]int // path -> torn 500s left
	unavailable int            // 503s left
	searchLag   time.Duration  // objects younger than this are not searchable
	requests    []fakeRequest
	events      [][]byte
	mutate      func(path string, obj map[string]any) // tampers answers
}

type idemEntry struct {
	fingerprint string
	status      int
	body        []byte
}

type fakeRequest struct {
	Method, Path, Query, IdemKey, Version, ContentType, Body string
	Form                                                     url.Values
}

const (
	fakeKey    = "sk_test_51FakeKeyAbcDEF0123456789"
	fakeSecret = "whsec_fakeSigningSecret0123"
)

var fakeStart = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newFake(t *testing.T) *fakeStripe {
	t.Helper()
	f := &fakeStripe{
		t: t, key: fakeKey, secret: fakeSecret, clock: clock.NewFake(fakeStart),
		objects: map[string]map[string]any{}, idem: map[string]idemEntry{}, tear: map[string]int{},
	}
	f.seed()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/payment_intents", f.createIntent)
	mux.HandleFunc("GET /v1/payment_intents/search", f.search("payment_intent"))
	mux.HandleFunc("GET /v1/payment_intents/{id}", f.retrieve("payment_intent"))
	mux.HandleFunc("POST /v1/payment_intents/{id}/cancel", f.cancelIntent)
	mux.HandleFunc("POST /v1/checkout/sessions", f.createSession)
	mux.HandleFunc("GET /v1/checkout/sessions", f.list("checkout.session", "payment_intent"))
	mux.HandleFunc("GET /v1/checkout/sessions/{id}", f.retrieve("checkout.session"))
	mux.HandleFunc("POST /v1/checkout/sessions/{id}/expire", f.expireSession)
	mux.HandleFunc("POST /v1/refunds", f.createRefund)
	mux.HandleFunc("GET /v1/refunds", f.list("refund", "payment_intent"))
	mux.HandleFunc("GET /v1/refunds/{id}", f.retrieve("refund"))
	mux.HandleFunc("POST /v1/customers", f.createCustomer)
	mux.HandleFunc("GET /v1/customers/search", f.search("customer"))
	mux.HandleFunc("POST /v1/setup_intents", f.createSetup)
	mux.HandleFunc("GET /v1/setup_intents", f.list("setup_intent", "customer"))
	mux.HandleFunc("GET /v1/setup_intents/{id}", f.retrieve("setup_intent"))
	mux.HandleFunc("POST /v1/setup_intents/{id}/cancel", f.cancelSetup)
	mux.HandleFunc("GET /v1/payment_methods/{id}", f.retrieve("payment_method"))
	mux.HandleFunc("POST /v1/payment_methods/{id}/detach", f.detach)
	f.srv = httptest.NewServer(f.middleware(mux))
	t.Cleanup(f.srv.Close)
	return f
}

// seed creates a customer with a good and a declining saved card.
func (f *fakeStripe) seed() {
	f.put(map[string]any{"id": "cus_seed", "object": "customer", "metadata": map[string]any{}, "livemode": false})
	f.put(map[string]any{"id": "pm_seed_visa", "object": "payment_method", "customer": "cus_seed", "metadata": map[string]any{}, "livemode": false, "type": "card"})
	f.put(map[string]any{"id": "pm_card_chargeDeclined", "object": "payment_method", "customer": "cus_seed", "metadata": map[string]any{}, "livemode": false, "type": "card", "decline": true})
}

// channel returns a Channel pointed at the fake with fast retries.
func (f *fakeStripe) channel(opts ...Option) *Channel {
	f.t.Helper()
	base := []Option{
		WithBaseURL(f.srv.URL),
		WithRetryPolicy(pay.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}),
		WithClock(f.clock),
		WithWebhookSecrets(f.secret),
	}
	c, err := New(f.key, append(base, opts...)...)
	if err != nil {
		f.t.Fatalf("New: %v", err)
	}
	return c
}

func (f *fakeStripe) nextID(prefix string) string {
	f.seq++
	return fmt.Sprintf("%s_test%04d", prefix, f.seq)
}

func (f *fakeStripe) put(obj map[string]any) {
	id := obj["id"].(string)
	if _, ok := f.objects[id]; !ok {
		f.order = append(f.order, id)
	}
	if _, ok := obj["created"]; !ok {
		obj["created"] = f.clock.Now().Unix()
	}
	f.objects[id] = obj
}

func (f *fakeStripe) emit(typ string, obj map[string]any) {
	snap, _ := json.Marshal(strip(obj))
	var copyObj any
	_ = json.Unmarshal(snap, &copyObj)
	ev := map[string]any{
		"id": f.nextID("evt"), "object": "event", "api_version": "2024-06-20", "created": f.clock.Now().Unix(),
		"livemode": false, "pending_webhooks": 1, "request": map[string]any{"id": nil, "idempotency_key": nil},
		"type": typ, "data": map[string]any{"object": copyObj},
	}
	b, _ := json.Marshal(ev)
	f.events = append(f.events, b)
}

// lastEvent returns the newest event of typ.
func (f *fakeStripe) lastEvent(typ string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.events) - 1; i >= 0; i-- {
		var e struct{ Type string }
		_ = json.Unmarshal(f.events[i], &e)
		if e.Type == typ {
			return f.events[i]
		}
	}
	f.t.Fatalf("fake: no %s event", typ)
	return nil
}

// signedRequest is a webhook delivery of body signed now by the fake.
func (f *fakeStripe) signedRequest(body []byte) *http.Request {
	f.t.Helper()
	h, err := SignWebhook(body, f.clock.Now(), f.secret)
	if err != nil {
		f.t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/v1/callbacks/stripe", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(SignatureHeader, h)
	return r
}

// deliver POSTs a signed event to url the way Stripe does and returns the
// HTTP status and body of the answer.
func (f *fakeStripe) deliver(target string, body []byte) (int, string) {
	f.t.Helper()
	h, err := SignWebhook(body, f.clock.Now(), f.secret)
	if err != nil {
		f.t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
	req.Header.Set(SignatureHeader, h)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.String()
}

// count returns how many objects of a type exist.
func (f *fakeStripe) count(object string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, o := range f.objects {
		if o["object"] == object {
			n++
		}
	}
	return n
}

func (f *fakeStripe) object(id string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.objects[id]
}

func (f *fakeStripe) lastRequest(method, path string) fakeRequest {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.requests) - 1; i >= 0; i-- {
		if r := f.requests[i]; r.Method == method && r.Path == path {
			return r
		}
	}
	f.t.Fatalf("fake: no %s %s request", method, path)
	return fakeRequest{}
}

func (f *fakeStripe) requestCount(method, path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

// ---- middleware: auth, faults, idempotency ----

func (f *fakeStripe) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		var body bytes.Buffer
		_, _ = body.ReadFrom(r.Body)
		form, err := url.ParseQuery(body.String())
		if err != nil {
			writeErr(w, 400, "invalid_request_error", "", "Invalid request body", "")
			return
		}
		if r.Method == http.MethodGet {
			form = r.URL.Query()
		}
		f.requests = append(f.requests, fakeRequest{
			Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, IdemKey: r.Header.Get("Idempotency-Key"),
			Version: r.Header.Get("Stripe-Version"), ContentType: r.Header.Get("Content-Type"), Body: body.String(), Form: form,
		})
		if got := r.Header.Get("Authorization"); got != "Bearer "+f.key {
			writeErr(w, 401, "invalid_request_error", "", "Invalid API Key provided: "+strings.TrimPrefix(got, "Bearer "), "")
			return
		}
		if f.unavailable > 0 {
			f.unavailable--
			writeErr(w, 503, "api_error", "", "Stripe is temporarily unavailable", "")
			return
		}
		if r.Method == http.MethodPost && r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			writeErr(w, 400, "invalid_request_error", "", "Content-Type must be application/x-www-form-urlencoded", "")
			return
		}
		r.Form = form
		key := r.Header.Get("Idempotency-Key")
		fp := r.Method + " " + r.URL.Path + "?" + form.Encode()
		if key != "" && r.Method == http.MethodPost {
			if e, ok := f.idem[key]; ok {
				if e.fingerprint != fp {
					writeErr(w, 400, "idempotency_error", "", "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '"+key+"' if you meant to execute a different request.", "")
					return
				}
				if f.tear[r.URL.Path] > 0 {
					f.tear[r.URL.Path]--
					writeErr(w, 500, "api_error", "", "An unknown error occurred", "")
					return
				}
				w.Header().Set("Idempotent-Replayed", "true")
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(e.status)
				_, _ = w.Write(e.body)
				return
			}
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		if key != "" && r.Method == http.MethodPost {
			f.idem[key] = idemEntry{fingerprint: fp, status: rec.Code, body: rec.Body.Bytes()}
		}
		if f.tear[r.URL.Path] > 0 {
			f.tear[r.URL.Path]--
			writeErr(w, 500, "api_error", "", "An unknown error occurred", "")
			return
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

func writeErr(w http.ResponseWriter, status int, typ, code, msg, param string, extra ...any) {
	e := map[string]any{"type": typ, "message": msg}
	if code != "" {
		e["code"] = code
	}
	if param != "" {
		e["param"] = param
	}
	for i := 0; i+1 < len(extra); i += 2 {
		e[extra[i].(string)] = extra[i+1]
	}
	writeJSON(w, status, map[string]any{"error": e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// answer writes obj, through the tamper hook when set.
func (f *fakeStripe) answer(w http.ResponseWriter, r *http.Request, obj map[string]any) {
	out := obj
	if f.mutate != nil {
		b, _ := json.Marshal(obj)
		out = map[string]any{}
		_ = json.Unmarshal(b, &out)
		f.mutate(r.URL.Path, out)
	}
	writeJSON(w, 200, strip(out))
}

// private are the fake's bookkeeping fields, never sent.
var private = map[string]bool{"decline": true, "from_session": true, "pi_metadata": true}

// strip returns a copy of obj without the fake's bookkeeping fields.
func strip(obj map[string]any) map[string]any {
	c := make(map[string]any, len(obj))
	for k, v := range obj {
		if !private[k] {
			c[k] = v
		}
	}
	return c
}
