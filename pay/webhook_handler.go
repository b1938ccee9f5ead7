package pay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/paykit-go/paykit/internal/clock"
)

var webhookErrMethodNotAllowed = &Error{Code: "method_not_allowed", Message: "webhooks are delivered with POST", HTTPStatus: http.StatusMethodNotAllowed}

// WebhookHandler is the http.Handler a merchant mounts to receive paykit
// webhooks. For each delivery it:
//
//  1. accepts only POST (405 otherwise) and reads at most 1 MiB (413 beyond);
//  2. verifies the SignatureHeader with VerifyWebhook against its secrets
//     and tolerance (400 if malformed, 401 if unsigned, forged or stale);
//  3. decodes the Event strictly: unknown fields, trailing data, an ID that
//     is not an event ID or an empty Type are refused (400);
//  4. hands each event ID to onEvent at most once while the ID is
//     remembered (see below), answering 200 {"received":true}.
//
// Duplicates. Senders redeliver when a delivery times out or fails, and a
// captured delivery could be replayed by an attacker within the tolerance
// window; both carry a valid signature and an event ID seen before. Such a
// delivery is not handed to onEvent again and is answered 200
// {"received":true,"duplicate":true}, which tells the sender to stop
// retrying. While the first delivery of an ID is still being processed, a
// second one is answered 409 (the sender retries later) rather than 200, so
// that the event is not lost should the first processing fail. If onEvent
// returns an error (or panics) the ID is forgotten and the handler answers
// 500, so the sender's redelivery is processed.
//
// IDs are remembered for twice the tolerance after they were first seen:
// that outlives every replay of the same signed delivery, since a timestamp
// may be up to one tolerance in the future and is refused one tolerance
// after it. Memory is therefore bounded by the legitimate sender's event
// rate over that window (only authentic deliveries are remembered). A
// redelivery signed anew after the window is processed again, so onEvent
// should still be idempotent per event ID for long-running retries.
//
// The default store is in memory and per handler; several instances of a
// merchant backend should share one with WithWebhookReplayStore.
//
// Errors are answered as JSON {"error":{"code":…,"message":…}} with the
// status of the *Error; they never contain a secret or a signature.
type WebhookHandler struct {
	onEvent   func(ctx context.Context, e Event) error
	secrets   []string
	tolerance time.Duration
	clock     Clock
	store     WebhookReplayStore
}

// WebhookOption configures NewWebhookHandler.
type WebhookOption func(*webhookConfig) error

type webhookConfig struct {
	secrets   []string
	tolerance time.Duration
	clock     Clock
	store     WebhookReplayStore
}

// WithWebhookSecrets sets the secrets a delivery may be signed with
// (required). Give both the old and the new secret while rolling; a delivery
// signed with any of them is accepted. A later call replaces the secrets of
// an earlier one. Every secret must be non-empty.
func WithWebhookSecrets(secrets ...string) WebhookOption {
	s := append([]string(nil), secrets...)
	return func(c *webhookConfig) error {
		if err := webhookCheckSecrets("secrets", s); err != nil {
			return err
		}
		c.secrets = s
		return nil
	}
}

// WithWebhookTolerance sets how far a delivery's signed timestamp may be from
// the handler's clock (default DefaultWebhookTolerance). It must be positive.
// Event IDs are remembered for twice this long.
func WithWebhookTolerance(d time.Duration) WebhookOption {
	return func(c *webhookConfig) error {
		if d <= 0 {
			return Errorf(ErrInvalidRequest, "tolerance", "webhook tolerance must be positive")
		}
		c.tolerance = d
		return nil
	}
}

// WithWebhookClock sets the clock timestamps are checked against and IDs are
// expired by (default: the system clock). Tests use a fake clock to move time
// instead of sleeping.
func WithWebhookClock(c Clock) WebhookOption {
	return func(cfg *webhookConfig) error {
		if c == nil {
			return Errorf(ErrInvalidRequest, "clock", "webhook clock must not be nil")
		}
		cfg.clock = c
		return nil
	}
}

// WithWebhookReplayStore sets where seen event IDs are remembered (default:
// in memory, private to the handler). Use a shared store (e.g. backed by
// Redis or a database) when several processes receive the same webhooks, so
// that a duplicate is recognised whichever process it reaches.
func WithWebhookReplayStore(s WebhookReplayStore) WebhookOption {
	return func(c *webhookConfig) error {
		if s == nil {
			return Errorf(ErrInvalidRequest, "store", "webhook replay store must not be nil")
		}
		c.store = s
		return nil
	}
}

// WebhookClaim is the state a WebhookReplayStore reports for an event ID.
type WebhookClaim int

const (
	// WebhookClaimNew: the ID was unknown and is now claimed by the caller,
	// which must later call Complete or Release.
	WebhookClaimNew WebhookClaim = iota
	// WebhookClaimInFlight: another delivery of the ID is being processed.
	WebhookClaimInFlight
	// WebhookClaimDone: the ID has been processed.
	WebhookClaimDone
)

// WebhookReplayStore remembers which event IDs a WebhookHandler has
// processed, so that a duplicate delivery is not processed twice. All
// methods must be safe for concurrent use, and Claim must be atomic: of
// concurrent Claims of one ID exactly one may report WebhookClaimNew.
type WebhookReplayStore interface {
	// Claim records that processing of id starts at now and reports the ID's
	// state before the call. A new or in-flight claim must be remembered for
	// at least retain after now.
	Claim(ctx context.Context, id string, now time.Time, retain time.Duration) (WebhookClaim, error)
	// Complete marks a claimed id as processed at now; it must then be
	// reported as WebhookClaimDone for at least retain after now.
	Complete(ctx context.Context, id string, now time.Time, retain time.Duration) error
	// Release forgets a claimed id whose processing failed, so that the next
	// delivery of it is reported as WebhookClaimNew.
	Release(ctx context.Context, id string) error
}

// NewWebhookHandler returns a handler that verifies deliveries and calls
// onEvent once per event ID (see WebhookHandler). onEvent runs on the
// request's goroutine with the request's context; it returns an error to
// have the sender redeliver. WithWebhookSecrets is required.
func NewWebhookHandler(onEvent func(ctx context.Context, e Event) error, opts ...WebhookOption) (*WebhookHandler, error) {
	if onEvent == nil {
		return nil, Errorf(ErrInvalidRequest, "onEvent", "webhook onEvent callback is required")
	}
	cfg := webhookConfig{tolerance: DefaultWebhookTolerance, clock: clock.System{}}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if len(cfg.secrets) == 0 {
		return nil, Errorf(ErrInvalidRequest, "secrets", "WithWebhookSecrets is required")
	}
	if cfg.store == nil {
		cfg.store = newWebhookMemoryStore()
	}
	return &WebhookHandler{onEvent: onEvent, secrets: cfg.secrets, tolerance: cfg.tolerance, clock: cfg.clock, store: cfg.store}, nil
}

// ServeHTTP handles one webhook delivery as described on WebhookHandler.
func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		WriteError(w, r, webhookErrMethodNotAllowed)
		return
	}
	if r.ContentLength > MaxBodyBytes {
		WriteError(w, r, Errorf(ErrPayloadTooLarge, "body", "webhook body is larger than %d bytes", MaxBodyBytes))
		return
	}
	if r.Body == nil {
		r.Body = http.NoBody
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			WriteError(w, r, Errorf(ErrPayloadTooLarge, "body", "webhook body is larger than %d bytes", MaxBodyBytes).Wrap(err))
		} else {
			WriteError(w, r, Errorf(ErrInvalidRequest, "body", "cannot read webhook body").Wrap(err))
		}
		return
	}

	header := ""
	switch v := r.Header.Values(SignatureHeader); len(v) {
	case 0:
	case 1:
		header = v[0]
	default:
		WriteError(w, r, webhookMalformed("%s header is repeated", SignatureHeader))
		return
	}
	if _, err := VerifyWebhook(header, body, h.clock.Now(), h.tolerance, h.secrets...); err != nil {
		WriteError(w, r, webhookAsError(err))
		return
	}

	ev, err := webhookDecodeEvent(body)
	if err != nil {
		WriteError(w, r, webhookAsError(err))
		return
	}

	ctx := r.Context()
	retain := 2 * h.tolerance
	state, err := h.store.Claim(ctx, ev.ID, h.clock.Now(), retain)
	if err != nil {
		WriteError(w, r, Errorf(ErrUnavailable, "", "webhook replay store unavailable; retry later").Wrap(err))
		return
	}
	switch state {
	case WebhookClaimNew:
	case WebhookClaimDone:
		WriteJSON(w, http.StatusOK, webhookAck{Received: true, Duplicate: true})
		return
	case WebhookClaimInFlight:
		WriteError(w, r, Errorf(ErrConflict, "id", "event %s is already being processed; retry later", ev.ID))
		return
	default:
		WriteError(w, r, Errorf(ErrInternal, "", "webhook replay store returned an unknown state"))
		return
	}

	settled := false
	defer func() {
		// onEvent panicked: forget the claim so a redelivery is processed,
		// and let the panic continue to net/http.
		if !settled {
			_ = h.store.Release(context.WithoutCancel(ctx), ev.ID)
		}
	}()
	if err := h.onEvent(ctx, ev); err != nil {
		settled = true
		// Release before answering, so that a redelivery prompted by the
		// 500 finds the ID free.
		_ = h.store.Release(context.WithoutCancel(ctx), ev.ID)
		WriteError(w, r, Errorf(ErrInternal, "", "processing event %s failed; redeliver later", ev.ID).Wrap(err))
		return
	}
	settled = true
	// A failure to record completion leaves the claim in flight until it
	// expires; the event was processed, so it is still acknowledged.
	_ = h.store.Complete(context.WithoutCancel(ctx), ev.ID, h.clock.Now(), retain)
	WriteJSON(w, http.StatusOK, webhookAck{Received: true})
}

type webhookAck struct {
	Received  bool `json:"received"`
	Duplicate bool `json:"duplicate,omitempty"`
}

// webhookDecodeEvent decodes exactly one JSON Event object with no unknown
// fields and checks its ID and Type.
func webhookDecodeEvent(body []byte) (Event, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var ev Event
	if err := dec.Decode(&ev); err != nil {
		return Event{}, Errorf(ErrInvalidRequest, "body", "webhook body is not a valid event: %v", err).Wrap(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Event{}, Errorf(ErrInvalidRequest, "body", "webhook body has data after the event")
	}
	if err := ev.validate(); err != nil {
		return Event{}, err
	}
	return ev, nil
}

func webhookAsError(err error) *Error {
	if pe, ok := errors.AsType[*Error](err); ok {
		return pe
	}
	return ErrInternal.Wrap(err)
}

// webhookMemoryStore is the default WebhookReplayStore: a map of IDs plus a
// queue in order of expiry for eviction, swept on every Claim.
type webhookMemoryStore struct {
	mu      sync.Mutex
	entries map[string]*webhookEntry
	queue   []webhookQueued
}

type webhookEntry struct {
	done    bool
	expires time.Time
}

// webhookQueued is a queue slot: the entry e of id, due for a look at at.
type webhookQueued struct {
	id string
	e  *webhookEntry
	at time.Time
}

func newWebhookMemoryStore() *webhookMemoryStore {
	return &webhookMemoryStore{entries: make(map[string]*webhookEntry)}
}

func (s *webhookMemoryStore) Claim(_ context.Context, id string, now time.Time, retain time.Duration) (WebhookClaim, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now)
	if e, ok := s.entries[id]; ok {
		if e.done {
			return WebhookClaimDone, nil
		}
		return WebhookClaimInFlight, nil
	}
	e := &webhookEntry{expires: now.Add(retain)}
	s.entries[id] = e
	s.queue = append(s.queue, webhookQueued{id, e, e.expires})
	return WebhookClaimNew, nil
}

func (s *webhookMemoryStore) Complete(_ context.Context, id string, now time.Time, retain time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[id]
	if !ok {
		e = &webhookEntry{}
		s.entries[id] = e
	}
	e.done = true
	if exp := now.Add(retain); exp.After(e.expires) {
		e.expires = exp
	}
	// Queued again under its new expiry; sweep skips the earlier slot
	// because the entry's expiry has moved past it.
	s.queue = append(s.queue, webhookQueued{id, e, e.expires})
	return nil
}

func (s *webhookMemoryStore) Release(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.entries, id)
	return nil
}

// sweep pops the queue slots that are due and deletes their entries if
// they are done and expired. In-flight entries are kept in the map: Complete
// queues them again and Release deletes them, so a slow onEvent never loses
// its claim. Slots are queued in order of time, so sweep stops at the first
// slot not yet due (a clock set backwards only delays eviction).
func (s *webhookMemoryStore) sweep(now time.Time) {
	n := 0
	for _, q := range s.queue {
		if q.at.After(now) {
			break
		}
		n++
		if cur, ok := s.entries[q.id]; ok && cur == q.e && q.e.done && !q.e.expires.After(now) {
			delete(s.entries, q.id)
		}
	}
	if n > 0 {
		clear(s.queue[:n])
		s.queue = s.queue[n:]
	}
}

// size returns the number of remembered IDs.
func (s *webhookMemoryStore) size() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}
