package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

// maxRequestBytes bounds a request body the provider reads.
const maxRequestBytes = 64 << 10

// Provider is the simulated payment provider, an http.Handler serving the
// API described in the package documentation. It is safe for concurrent
// use. Control endpoints (all signed like the API):
//
//	POST /control/charges/{charge_id}/pay        the payer pays a pending charge
//	POST /control/charges/{charge_id}/decline    {"reason"}: the payer's bank refuses it
//	POST /control/charges/{charge_id}/pay-late   a closed charge is paid anyway
//	POST /control/agreements/{agreement_id}/sign the payer signs an agreement
//	POST /control/faults                         {"op","kind","times","delay_ms","reason"}
//	POST /control/callbacks/hold                 {"hold":bool}
//	GET  /control/callbacks                      every callback generated, in order
//	POST /control/callbacks/{event_id}/deliver   post a callback now (again)
//
// Call Close when done, to stop background callbacks.
type Provider struct {
	providerConfig // as NewProvider's options left it; never changes

	mux *http.ServeMux

	ctx       context.Context // ends on Close
	cancel    context.CancelFunc
	wg        sync.WaitGroup // background goroutines
	closeOnce sync.Once

	mu                   sync.Mutex
	closed               bool
	charges              map[string]*chargeRecord // by charge_id
	chargesByProvider    map[string]*chargeRecord
	refunds              map[string]*refundRecord // by refund_id
	agreements           map[string]*agreementRecord
	agreementsByProvider map[string]*agreementRecord
	callbacks            []*callbackRecord
	callbackByID         map[string]*callbackRecord
	faults               map[Op][]Fault
	hold                 bool
}

// NewProvider returns a running simulated provider. Serve it with
// httptest.NewServer(p) or any http.Server, and point an adapter at it with
// New(serverURL, p.Secret()).
func NewProvider(opts ...ProviderOption) (*Provider, error) {
	cfg := providerConfig{
		clock:      clock.System{},
		client:     &http.Client{Timeout: 10 * time.Second},
		cbAttempts: 5,
		cbInterval: 50 * time.Millisecond,
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.secret == "" {
		cfg.secret = "sbsec_" + strings.ToLower(rand.Text())
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Provider{
		providerConfig:       cfg,
		ctx:                  ctx,
		cancel:               cancel,
		charges:              map[string]*chargeRecord{},
		chargesByProvider:    map[string]*chargeRecord{},
		refunds:              map[string]*refundRecord{},
		agreements:           map[string]*agreementRecord{},
		agreementsByProvider: map[string]*agreementRecord{},
		callbackByID:         map[string]*callbackRecord{},
		faults:               map[Op][]Fault{},
	}
	p.routes()
	return p, nil
}

func (p *Provider) routes() {
	m := http.NewServeMux()
	api := map[string]func(http.ResponseWriter, *http.Request, []byte){
		"POST /v1/charges":                                p.handleCreateCharge,
		"GET /v1/charges/{charge_id}":                     p.handleQueryCharge,
		"POST /v1/charges/{charge_id}/close":              p.handleCloseCharge,
		"POST /v1/refunds":                                p.handleCreateRefund,
		"GET /v1/charges/{charge_id}/refunds/{refund_id}": p.handleQueryRefund,
		"POST /v1/agreements":                             p.handleCreateAgreement,
		"GET /v1/agreements/{agreement_id}":               p.handleQueryAgreement,
		"POST /v1/agreements/{agreement_id}/terminate":    p.handleTerminateAgreement,
		"POST /control/charges/{charge_id}/pay":           p.handleControlPay,
		"POST /control/charges/{charge_id}/decline":       p.handleControlDecline,
		"POST /control/charges/{charge_id}/pay-late":      p.handleControlPayLate,
		"POST /control/agreements/{agreement_id}/sign":    p.handleControlSign,
		"POST /control/faults":                            p.handleControlFault,
		"POST /control/callbacks/hold":                    p.handleControlHold,
		"GET /control/callbacks":                          p.handleControlCallbacks,
		"POST /control/callbacks/{event_id}/deliver":      p.handleControlDeliver,
		"/": func(w http.ResponseWriter, r *http.Request, _ []byte) {
			p.fail(w, r, http.StatusNotFound, "not_found", "no such endpoint")
		},
	}
	for pattern, h := range api {
		m.Handle(pattern, p.signed(h))
	}
	m.HandleFunc("GET /pay/{provider_id}", p.handlePayPage)
	m.HandleFunc("POST /pay/{provider_id}", p.handlePayPage)
	m.HandleFunc("GET /sign/{provider_id}", p.handleSignPage)
	m.HandleFunc("POST /sign/{provider_id}", p.handleSignPage)
	p.mux = m
}

// ServeHTTP serves the provider API, the control endpoints and the payer's
// pages.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.mux.ServeHTTP(w, r) }

// Secret returns the HMAC secret adapters must sign with.
func (p *Provider) Secret() string { return p.secret }

// Close stops background work (callback deliveries, automatic payments,
// refund settlement) and waits for it to end. Later state changes are still
// recorded in Callbacks but no longer posted. Close is idempotent.
func (p *Provider) Close() {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		p.cancel()
		p.wg.Wait()
	})
}

// goLocked runs fn in a background goroutine that Close waits for, unless
// the provider is closed. p.mu must be held.
func (p *Provider) goLocked(fn func()) {
	if p.closed {
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		fn()
	}()
}

// signed wraps an API handler: it reads the body (at most 64 KiB) and
// refuses, with 401, a request whose signature is missing, wrong or stale.
func (p *Provider) signed(h func(http.ResponseWriter, *http.Request, []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBytes))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				p.fail(w, r, http.StatusRequestEntityTooLarge, "too_large", "request body is larger than %d bytes", maxRequestBytes)
				return
			}
			p.fail(w, r, http.StatusBadRequest, "invalid_request", "request body unreadable")
			return
		}
		payload := requestPayload(r.Method, requestTarget(r), body)
		if _, err := pay.VerifyWebhook(r.Header.Get(SignatureHeader), payload, p.clock.Now(), DefaultTolerance, p.secret); err != nil {
			msg := "request signature is missing, malformed or does not match"
			if errors.Is(err, pay.ErrWebhookTooOld) {
				msg = "request signature is outside the freshness window"
			}
			p.fail(w, r, http.StatusUnauthorized, "unauthorized", "%s", msg)
			return
		}
		h(w, r, body)
	})
}

// reply writes v as JSON with status, signed for the request's path.
func (p *Provider) reply(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":{"code":"server_error","message":"cannot encode the answer"}}`)
	}
	h := w.Header()
	if sig, err := pay.SignWebhook(responsePayload(targetPath(requestTarget(r)), body), p.clock.Now(), p.secret); err == nil {
		h.Set(SignatureHeader, sig)
	}
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// fail writes a signed error answer.
func (p *Provider) fail(w http.ResponseWriter, r *http.Request, status int, code, format string, args ...any) {
	var e errorWire
	e.Error.Code = code
	e.Error.Message = fmt.Sprintf(format, args...)
	p.reply(w, r, status, e)
}

// answer writes the result of an operation the way fault f (may be nil)
// dictates: a 500 instead of the result, or the result after a delay.
func (p *Provider) answer(w http.ResponseWriter, r *http.Request, f *Fault, status int, v any) {
	switch {
	case f.is(FaultServerError):
		p.fail(w, r, http.StatusInternalServerError, "server_error", "internal error")
		return
	case f.is(FaultTimeout):
		if !p.wait(r.Context(), f.Delay) {
			return
		}
	}
	p.reply(w, r, status, v)
}

// decodeBody strictly decodes a request body, answering 400 on failure.
func (p *Provider) decodeBody(w http.ResponseWriter, r *http.Request, body []byte, v any) bool {
	if err := decodeStrict(body, v); err != nil {
		p.fail(w, r, http.StatusBadRequest, "invalid_request", "request body is not the expected JSON object")
		return false
	}
	return true
}

// decodeOptional decodes an optional body: empty means the zero value.
func (p *Provider) decodeOptional(w http.ResponseWriter, r *http.Request, body []byte, v any) bool {
	if len(bytes.TrimSpace(body)) == 0 {
		return true
	}
	return p.decodeBody(w, r, body, v)
}

// decodeRequest strictly decodes a create request and checks its fields,
// answering 400 on failure.
func (p *Provider) decodeRequest(w http.ResponseWriter, r *http.Request, body []byte, in interface{ check() string }) bool {
	if !p.decodeBody(w, r, body, in) {
		return false
	}
	if msg := in.check(); msg != "" {
		p.fail(w, r, http.StatusBadRequest, "invalid_request", "%s", msg)
		return false
	}
	return true
}

// takeFaultOr503 consumes the next fault queued for op. When it is
// FaultUnavailable it answers 503 at once and returns false.
func (p *Provider) takeFaultOr503(w http.ResponseWriter, r *http.Request, op Op) (*Fault, bool) {
	f := p.takeFault(op)
	if f.is(FaultUnavailable) {
		p.fail(w, r, http.StatusServiceUnavailable, "unavailable", "the provider is unavailable")
		return nil, false
	}
	return f, true
}

// query answers a GET of one stored object (OpQuery faults apply): view
// returns the object's wire form under p.mu, or false when there is none,
// which answers 404 with notFound.
func (p *Provider) query(w http.ResponseWriter, r *http.Request, notFound string, view func() (any, bool)) {
	f, ok := p.takeFaultOr503(w, r, OpQuery)
	if !ok {
		return
	}
	p.mu.Lock()
	v, found := view()
	p.mu.Unlock()
	if !found {
		p.answer(w, r, f, http.StatusNotFound, errAnswer("not_found", notFound))
		return
	}
	p.answer(w, r, f, http.StatusOK, v)
}

// baseURL is the provider's URL as the client addressed it: scheme, host
// and any prefix the provider is mounted under.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	prefix := ""
	if raw := targetPath(requestTarget(r)); strings.HasSuffix(raw, r.URL.Path) {
		prefix = raw[:len(raw)-len(r.URL.Path)]
	}
	return scheme + "://" + r.Host + prefix
}
