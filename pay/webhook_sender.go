package pay

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/internal/randid"
)

// WebhookEndpoint is a merchant URL that receives signed events.
type WebhookEndpoint struct {
	ID  string `json:"id"`
	URL string `json:"url"`
	// Secret signs deliveries to this endpoint. Returned once, when the
	// endpoint is created; listings leave it empty.
	Secret    string    `json:"secret,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// WebhookDelivery records the outcome of delivering one event to one
// endpoint, for operators and tests.
type WebhookDelivery struct {
	EventID    string `json:"event_id"`
	Type       string `json:"type"`
	EndpointID string `json:"endpoint_id"`
	Attempts   int    `json:"attempts"`
	// Status is the last HTTP status received, 0 if none.
	Status    int  `json:"status"`
	Delivered bool `json:"delivered"`
}

// WebhookSender delivers events to registered endpoints, signed with each
// endpoint's secret (SignedWebhookRequest, re-signed per attempt). Each
// endpoint has its own queue and worker, so events reach an endpoint in the
// order they were sent, and a slow endpoint doesn't hold up the others.
// Non-2xx answers and network errors are retried with the RetryPolicy's
// capped, jittered backoff; 4xx other than 408 and 429 are not.
type WebhookSender struct {
	hc    *http.Client
	retry RetryPolicy
	clock Clock
	log   *slog.Logger

	mu         sync.Mutex
	endpoints  map[string]*endpointQueue
	deliveries []WebhookDelivery
	closed     bool
	wg         sync.WaitGroup
	pending    sync.WaitGroup
}

type endpointQueue struct {
	ep WebhookEndpoint
	q  chan Event
}

// WebhookSenderOption configures a WebhookSender.
type WebhookSenderOption func(*WebhookSender) error

// WithSenderHTTPClient sets the HTTP client deliveries use (default: 10 s timeout).
func WithSenderHTTPClient(hc *http.Client) WebhookSenderOption {
	return func(s *WebhookSender) error {
		if hc == nil {
			return Errorf(ErrInvalidRequest, "http_client", "WithSenderHTTPClient: nil client")
		}
		s.hc = hc
		return nil
	}
}

// WithSenderRetryPolicy sets how often and how patiently a delivery is retried.
func WithSenderRetryPolicy(p RetryPolicy) WebhookSenderOption {
	return func(s *WebhookSender) error {
		if err := p.Validate(); err != nil {
			return err
		}
		s.retry = p
		return nil
	}
}

// WithSenderClock sets the clock deliveries are signed with.
func WithSenderClock(c Clock) WebhookSenderOption {
	return func(s *WebhookSender) error {
		if c == nil {
			return Errorf(ErrInvalidRequest, "clock", "WithSenderClock: nil clock")
		}
		s.clock = c
		return nil
	}
}

// WithSenderLogger logs failed deliveries. Off by default.
func WithSenderLogger(l *slog.Logger) WebhookSenderOption {
	return func(s *WebhookSender) error {
		if l == nil {
			return Errorf(ErrInvalidRequest, "logger", "WithSenderLogger: nil logger")
		}
		s.log = l
		return nil
	}
}

// maxQueuedEvents bounds each endpoint's queue; events beyond it are
// dropped and recorded as undelivered.
const maxQueuedEvents = 1024

// maxDeliveryLog bounds the delivery records kept.
const maxDeliveryLog = 1000

// NewWebhookSender returns a sender with no endpoints.
func NewWebhookSender(opts ...WebhookSenderOption) (*WebhookSender, error) {
	s := &WebhookSender{
		hc:        &http.Client{Timeout: 10 * time.Second},
		retry:     RetryPolicy{MaxAttempts: 5, BaseDelay: 200 * time.Millisecond, MaxDelay: 10 * time.Second},
		clock:     clock.System{},
		log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		endpoints: map[string]*endpointQueue{},
	}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// AddEndpoint registers an http or https URL and returns it with its new
// signing secret ("whsec_…", from crypto/rand).
func (s *WebhookSender) AddEndpoint(rawURL string) (WebhookEndpoint, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(rawURL) > 2048 {
		return WebhookEndpoint{}, Errorf(ErrInvalidRequest, "url", "url must be an absolute http or https URL of at most 2048 bytes")
	}
	ep := WebhookEndpoint{ID: randid.New("we"), URL: rawURL, Secret: randid.New("whsec"), CreatedAt: s.clock.Now().UTC()}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return WebhookEndpoint{}, Errorf(ErrUnavailable, "", "webhook sender is closed")
	}
	eq := &endpointQueue{ep: ep, q: make(chan Event, maxQueuedEvents)}
	s.endpoints[ep.ID] = eq
	s.wg.Add(1)
	go s.work(eq)
	return ep, nil
}

// RemoveEndpoint unregisters an endpoint; events already queued for it are
// still delivered.
func (s *WebhookSender) RemoveEndpoint(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	eq, ok := s.endpoints[id]
	if !ok {
		return Errorf(ErrNotFound, "id", "no webhook endpoint %q", id)
	}
	delete(s.endpoints, id)
	close(eq.q)
	return nil
}

// Endpoints lists the registered endpoints, without their secrets.
func (s *WebhookSender) Endpoints() []WebhookEndpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]WebhookEndpoint, 0, len(s.endpoints))
	for _, eq := range s.endpoints {
		ep := eq.ep
		ep.Secret = ""
		out = append(out, ep)
	}
	slices.SortFunc(out, func(a, b WebhookEndpoint) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out
}

// Notify queues e for every endpoint and returns at once.
func (s *WebhookSender) Notify(_ context.Context, e Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	for _, eq := range s.endpoints {
		s.pending.Add(1)
		select {
		case eq.q <- e:
		default:
			s.pending.Done()
			s.record(WebhookDelivery{EventID: e.ID, Type: e.Type, EndpointID: eq.ep.ID})
			s.log.Error("pay: webhook queue full; event dropped", "endpoint", eq.ep.ID, "event", e.ID)
		}
	}
}

// Flush waits until every event queued so far has been delivered or given up on.
func (s *WebhookSender) Flush() { s.pending.Wait() }

// Close stops accepting events, delivers what is queued, and waits.
func (s *WebhookSender) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		for id, eq := range s.endpoints {
			close(eq.q)
			delete(s.endpoints, id)
		}
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// Deliveries returns the most recent delivery records, oldest first.
func (s *WebhookSender) Deliveries() []WebhookDelivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.deliveries)
}

func (s *WebhookSender) record(d WebhookDelivery) {
	if len(s.deliveries) == maxDeliveryLog {
		s.deliveries = slices.Delete(s.deliveries, 0, 1)
	}
	s.deliveries = append(s.deliveries, d)
}

func (s *WebhookSender) work(eq *endpointQueue) {
	defer s.wg.Done()
	for e := range eq.q {
		d := s.deliver(eq.ep, e)
		s.mu.Lock()
		s.record(d)
		s.mu.Unlock()
		s.pending.Done()
	}
}

func (s *WebhookSender) deliver(ep WebhookEndpoint, e Event) WebhookDelivery {
	d := WebhookDelivery{EventID: e.ID, Type: e.Type, EndpointID: ep.ID}
	for d.Attempts < s.retry.MaxAttempts {
		if d.Attempts > 0 {
			time.Sleep(s.retry.Backoff(d.Attempts - 1))
		}
		d.Attempts++
		req, err := SignedWebhookRequest(context.Background(), ep.URL, e, s.clock.Now(), ep.Secret)
		if err != nil {
			s.log.Error("pay: building webhook request", "endpoint", ep.ID, "err", err)
			return d
		}
		resp, err := s.hc.Do(req)
		if err != nil {
			continue
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		d.Status = resp.StatusCode
		if resp.StatusCode/100 == 2 {
			d.Delivered = true
			return d
		}
		if resp.StatusCode/100 == 4 && resp.StatusCode != http.StatusRequestTimeout && resp.StatusCode != http.StatusTooManyRequests {
			break
		}
	}
	s.log.Warn("pay: webhook not delivered", "endpoint", ep.ID, "event", e.ID, "attempts", d.Attempts, "status", d.Status)
	return d
}
