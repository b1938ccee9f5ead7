package pay

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-resty/resty/v2"
)

// Version is the version of the paykit SDK, sent in the User-Agent header.
const Version = "0.1.0"

const (
	// clientMaxResponseBytes bounds a 2xx body the Client decodes.
	clientMaxResponseBytes = 32 << 20
	// clientMaxErrorBytes bounds an error body the Client reads.
	clientMaxErrorBytes = 64 << 10
	// clientRedacted replaces a secret wherever one could be printed.
	clientRedacted = "[REDACTED]"
)

// Client is the HTTP transport every paykit domain client speaks through. It
// sends JSON to one backend, authenticates with a bearer API key, gives every
// non-GET call an Idempotency-Key that it reuses on each retry, retries
// network errors, 429 and 5xx (but 501) with capped, jittered exponential
// backoff, and turns error answers into *Error values that errors.Is matches
// against the sentinels (ErrInsufficientFunds …).
//
// A Client is safe for concurrent use by many goroutines; make one and share
// it. It never prints its API key: String, GoString, Format and LogValue
// redact it, and so do its errors and logs.
type Client struct {
	baseURL   string
	rc        *resty.Client
	apiKey    *clientSecret // a pointer, so even fmt on a Client value prints no key
	userAgent string
	timeout   time.Duration
	retry     RetryPolicy
	log       *slog.Logger

	// Test hooks: the wait between attempts and the clock Retry-After
	// dates are read against.
	sleep func(ctx context.Context, d time.Duration) error
	now   func() time.Time
}

// clientSharedTransport is the default transport of every Client: one
// connection pool with keep-alives, tuned for many calls to few hosts.
var clientSharedTransport = sync.OnceValue(func() *http.Transport {
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   30 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
})

// NewClient returns a Client for the backend at baseURL, an absolute http or
// https URL without credentials, query or fragment, such as
// "https://api.example.com" or "http://127.0.0.1:8080/prefix". Options are
// applied in order; the first that fails makes NewClient fail. All errors
// are *Error of kind ErrInvalidRequest.
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	base, err := clientParseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	cfg := defaultClientConfig()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}

	var hc http.Client
	if cfg.httpClient != nil {
		hc = *cfg.httpClient // copy: resty and we never touch the caller's client
	}
	if hc.Transport == nil {
		hc.Transport = clientSharedTransport()
	}
	rc := resty.NewWithClient(&hc)
	rc.SetLogger(clientNopLogger{})
	rc.SetDisableWarn(true)
	rc.SetDoNotParseResponse(true) // we read and close the body ourselves, once
	rc.Header.Set("User-Agent", cfg.userAgent)
	rc.Header.Set("Accept", "application/json")
	if cfg.apiKey != "" {
		rc.Header.Set("Authorization", "Bearer "+cfg.apiKey)
	}

	log := cfg.logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{
		baseURL:   base,
		rc:        rc,
		apiKey:    clientNewSecret(cfg.apiKey),
		userAgent: cfg.userAgent,
		timeout:   cfg.timeout,
		retry:     cfg.retry,
		log:       log,
		sleep:     Sleep,
		now:       time.Now,
	}, nil
}

func clientParseBaseURL(raw string) (string, error) {
	bad := func(why string) (string, error) {
		// The URL itself is not echoed: it might carry credentials.
		return "", Errorf(ErrInvalidRequest, "base_url", "NewClient: base URL %s", why)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad("does not parse")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return bad("must be an absolute http or https URL")
	}
	if u.User != nil {
		return bad("must not contain credentials; use WithAPIKey")
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return bad("must not have a query or fragment")
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// BaseURL returns the backend URL the Client was made for, without a
// trailing slash.
func (c *Client) BaseURL() string { return c.baseURL }

// Get calls Do with GET and no request body.
func (c *Client) Get(ctx context.Context, path string, out any, opts ...CallOption) error {
	return c.Do(ctx, http.MethodGet, path, nil, out, opts...)
}

// Post calls Do with POST.
func (c *Client) Post(ctx context.Context, path string, in, out any, opts ...CallOption) error {
	return c.Do(ctx, http.MethodPost, path, in, out, opts...)
}

// Delete calls Do with DELETE and no request body.
func (c *Client) Delete(ctx context.Context, path string, out any, opts ...CallOption) error {
	return c.Do(ctx, http.MethodDelete, path, nil, out, opts...)
}

// Do sends one logical call: method (upper-cased) to the Client's base URL
// joined with path, which starts with "/" and may carry a query string.
//
// A non-nil in is encoded with encoding/json as the request body (GET and
// HEAD take none). A non-nil out receives the JSON body of a 2xx answer; an
// empty body leaves it untouched.
//
// Every method but GET and HEAD carries an Idempotency-Key header, made once
// per call from crypto/rand (or given by WithIdempotencyKey) and sent
// unchanged on every attempt, so the backend applies a retried call once.
//
// Errors:
//   - A non-2xx answer is an *Error decoded from the backend's
//     {"error":{…}} body, with HTTPStatus and RequestID (from the body or the
//     Request-Id header) set; a body that is not such JSON gives an *Error
//     whose kind follows the status (404 ErrNotFound, 502–504 ErrUnavailable
//     …). So errors.Is(err, ErrInsufficientFunds) works.
//   - When attempts run out on network errors or per-attempt timeouts, the
//     error is of kind ErrUnavailable and wraps the last cause.
//   - When ctx ends, during an attempt or while waiting to retry, the error
//     wraps ctx.Err() (errors.Is(err, context.Canceled) or
//     context.DeadlineExceeded holds) and, if an attempt failed before, that
//     attempt's error too. A per-attempt timeout never matches
//     context.DeadlineExceeded: only the caller's own context does.
//   - If the next wait would end after ctx's deadline, Do does not wait: it
//     returns the last attempt's error at once.
//   - Bad arguments (path, options, an unencodable in) fail before anything
//     is sent with an *Error of kind ErrInvalidRequest; an undecodable 2xx
//     body gives kind ErrInternal.
func (c *Client) Do(ctx context.Context, method, path string, in, out any, opts ...CallOption) error {
	if ctx == nil {
		return Errorf(ErrInvalidRequest, "", "Do: nil context")
	}
	method = strings.ToUpper(method)
	if !validHeaderName(method) {
		return Errorf(ErrInvalidRequest, "method", "Do: invalid HTTP method %q", clip(method))
	}
	if !clientValidPath(path) {
		return Errorf(ErrInvalidRequest, "path", "Do: path %q must start with \"/\" and hold no spaces, control characters or fragment", clip(path))
	}
	lp := clientLogPath(path)
	var cc callConfig
	if len(opts) > 0 {
		pcc := new(callConfig) // options see a pointer; keep the no-option path allocation-free
		for _, o := range opts {
			if o != nil {
				o(pcc)
			}
		}
		if pcc.err != nil {
			return pcc.err
		}
		cc = *pcc
	}
	readOnly := method == http.MethodGet || method == http.MethodHead
	var body []byte
	if in != nil {
		if readOnly {
			return Errorf(ErrInvalidRequest, "", "%s %s: a %s request carries no body", method, lp, method)
		}
		b, err := json.Marshal(in)
		if err != nil {
			e := Errorf(ErrInvalidRequest, "", "%s %s: encoding request body: %v", method, lp, err)
			e.Err = err
			return e
		}
		body = b
	}
	key := cc.idempotencyKey
	if key == "" && !readOnly {
		key = clientIdempotencyKey()
	}

	call := clientCall{
		method: method,
		url:    c.baseURL + path,
		path:   lp,
		body:   body,
		key:    key,
		header: cc.header,
		out:    out,
		debug:  c.log.Enabled(ctx, slog.LevelDebug),
	}
	var last error
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return clientCtxErr(method, lp, err, last)
		}
		r := c.attempt(ctx, &call, attempt)
		if r.err == nil {
			return nil
		}
		if r.ctxDone {
			return clientCtxErr(method, lp, ctx.Err(), last)
		}
		last = r.err
		if !r.retry || attempt >= c.retry.MaxAttempts {
			return r.err
		}
		delay := r.retryAfter
		if delay < 0 {
			delay = c.retry.Backoff(attempt - 1)
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < delay {
			if call.debug {
				c.log.LogAttrs(ctx, slog.LevelDebug, "paykit: not retrying, wait outlasts context deadline",
					slog.String("method", method), slog.String("path", lp),
					slog.Int("attempt", attempt), slog.Duration("delay", delay))
			}
			return last
		}
		if call.debug {
			c.log.LogAttrs(ctx, slog.LevelDebug, "paykit: retrying",
				slog.String("method", method), slog.String("path", lp),
				slog.Int("next_attempt", attempt+1), slog.Duration("delay", delay))
		}
		if err := c.sleep(ctx, delay); err != nil {
			return clientCtxErr(method, lp, err, last)
		}
	}
}

// clientIdempotencyKey returns "idk_" and 32 hex digits of crypto/rand: a
// well-formed NewID("idk") value made with a single allocation.
func clientIdempotencyKey() string {
	var raw [16]byte
	_, _ = rand.Read(raw[:]) // never fails (crypto/rand panics rather)
	var b [4 + 32]byte
	copy(b[:], "idk_")
	hex.Encode(b[4:], raw[:])
	return string(b[:])
}

// clientCall is one logical call, shared by its attempts.
type clientCall struct {
	method, url, path string
	body              []byte
	key               string
	header            []string
	out               any
	debug             bool
}

type attemptResult struct {
	err        error
	retry      bool
	retryAfter time.Duration // < 0: use the policy's backoff
	ctxDone    bool          // the caller's context ended
}

var clientJSONType = []string{"application/json"}

// attempt makes one HTTP exchange, bounded by the per-attempt timeout.
func (c *Client) attempt(ctx context.Context, call *clientCall, attempt int) (res attemptResult) {
	res.retryAfter = -1
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	var start time.Time
	status, rid := 0, ""
	if call.debug {
		start = time.Now()
		defer func() {
			attrs := []slog.Attr{
				slog.String("method", call.method), slog.String("path", call.path),
				slog.Int("attempt", attempt), slog.Int("status", status),
				slog.Duration("duration", time.Since(start)), slog.String("request_id", rid),
			}
			if res.err != nil {
				attrs = append(attrs, slog.String("error", res.err.Error()))
			}
			c.log.LogAttrs(ctx, slog.LevelDebug, "paykit: attempt", attrs...)
		}()
	}

	req := c.rc.R().SetContext(actx)
	if call.body != nil {
		req.Header["Content-Type"] = clientJSONType
		req.SetBody(bytes.NewReader(call.body))
	}
	if call.key != "" {
		req.Header["Idempotency-Key"] = []string{call.key}
	}
	for i := 0; i+1 < len(call.header); i += 2 {
		req.Header[call.header[i]] = []string{call.header[i+1]}
	}
	resp, err := req.Execute(call.method, call.url)
	if err != nil {
		return c.networkFailure(ctx, actx, call, err)
	}
	raw := resp.RawResponse
	defer raw.Body.Close()
	status, rid = raw.StatusCode, c.scrub(raw.Header.Get("Request-Id"))

	if status >= 200 && status <= 299 {
		if call.out == nil || call.method == http.MethodHead || status == http.StatusNoContent {
			// Drain a little so the connection can be reused.
			_, _ = io.CopyN(io.Discard, raw.Body, clientMaxErrorBytes)
			return res
		}
		buf := clientGetBuf()
		defer clientPutBuf(buf)
		if n := raw.ContentLength; n > 0 && n <= clientMaxResponseBytes {
			buf.Grow(int(n))
		}
		if _, err := buf.ReadFrom(io.LimitReader(raw.Body, clientMaxResponseBytes+1)); err != nil {
			return c.networkFailure(ctx, actx, call, err)
		}
		if buf.Len() > clientMaxResponseBytes {
			res.err = &Error{Code: ErrInternal.Code, HTTPStatus: ErrInternal.HTTPStatus, RequestID: rid,
				Message: fmt.Sprintf("%s %s: response body exceeds %d bytes", call.method, call.path, clientMaxResponseBytes)}
			return res
		}
		data := bytes.TrimSpace(buf.Bytes())
		if len(data) == 0 {
			return res
		}
		if err := json.Unmarshal(data, call.out); err != nil {
			res.err = &Error{Code: ErrInternal.Code, HTTPStatus: ErrInternal.HTTPStatus, RequestID: rid, Err: err,
				Message: fmt.Sprintf("%s %s: decoding %d response: %v", call.method, call.path, status, err)}
		}
		return res
	}

	buf := clientGetBuf()
	defer clientPutBuf(buf)
	_, _ = buf.ReadFrom(io.LimitReader(raw.Body, clientMaxErrorBytes)) // a cut-off body still yields an error
	res.err = c.decodeError(status, buf.Bytes(), rid)
	res.retry = retryableStatus(status)
	if res.retry && (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable) {
		if d, ok := parseRetryAfter(raw.Header.Get("Retry-After"), c.now()); ok {
			res.retryAfter = d
		}
	}
	return res
}

// networkFailure classifies an error from sending a request or reading its
// answer: the caller's context ending, a per-attempt timeout, or another
// network failure. All but certificate failures are worth another attempt.
func (c *Client) networkFailure(ctx, actx context.Context, call *clientCall, err error) attemptResult {
	if ctx.Err() != nil {
		return attemptResult{err: ctx.Err(), ctxDone: true, retryAfter: -1}
	}
	cause := err
	if errors.Is(actx.Err(), context.DeadlineExceeded) {
		cause = &clientAttemptTimeout{d: c.timeout}
	}
	// The message names the path without its query; a *url.Error would
	// repeat the whole URL.
	why := cause
	var ue *url.Error
	if errors.As(cause, &ue) && ue.Err != nil {
		why = ue.Err
	}
	e := &Error{
		Code:       ErrUnavailable.Code,
		HTTPStatus: ErrUnavailable.HTTPStatus,
		Message:    c.scrub(fmt.Sprintf("%s %s: %v", call.method, call.path, why)),
		Err:        cause,
	}
	return attemptResult{err: e, retry: !clientCertError(err), retryAfter: -1}
}

func clientCertError(err error) bool {
	var (
		verr *tls.CertificateVerificationError
		uerr x509.UnknownAuthorityError
		herr x509.HostnameError
		cerr x509.CertificateInvalidError
	)
	return errors.As(err, &verr) || errors.As(err, &uerr) || errors.As(err, &herr) || errors.As(err, &cerr)
}

// clientAttemptTimeout is the cause of an attempt that ran out of its
// per-attempt time. It deliberately does not match context.DeadlineExceeded,
// which is kept for the caller's own context.
type clientAttemptTimeout struct{ d time.Duration }

func (e *clientAttemptTimeout) Error() string { return "attempt timed out after " + e.d.String() }

// Timeout reports true, like a net.Error that timed out.
func (e *clientAttemptTimeout) Timeout() bool { return true }

func clientCtxErr(method, path string, ctxErr, last error) error {
	if last == nil {
		return fmt.Errorf("paykit: %s %s: %w", method, path, ctxErr)
	}
	return fmt.Errorf("paykit: %s %s: %w (last attempt: %w)", method, path, ctxErr, last)
}

// decodeError turns a non-2xx answer into an *Error.
func (c *Client) decodeError(status int, body []byte, rid string) *Error {
	if b := bytes.TrimSpace(body); len(b) > 0 && b[0] == '{' {
		var env errorBody
		if json.Unmarshal(b, &env) == nil && env.Error != nil && env.Error.Code != "" {
			e := env.Error
			e.HTTPStatus = status
			if e.RequestID == "" {
				e.RequestID = rid // already scrubbed
			} else {
				e.RequestID = c.scrub(e.RequestID)
			}
			e.Code = c.scrub(e.Code)
			e.Message = c.scrub(e.Message)
			e.Param = c.scrub(e.Param)
			return e
		}
	}
	kind := clientStatusKind(status)
	msg := "HTTP " + strconv.Itoa(status)
	if s := clientSnippet(body); s != "" {
		msg += ": " + s
	} else if t := http.StatusText(status); t != "" {
		msg += " " + t
	}
	return &Error{Code: kind.Code, HTTPStatus: status, RequestID: rid, Message: c.scrub(msg)}
}

// clientStatusKind is the error kind of an HTTP status without a readable
// error body.
func clientStatusKind(status int) *Error {
	switch status {
	case http.StatusBadRequest:
		return ErrInvalidRequest
	case http.StatusUnauthorized:
		return ErrUnauthorized
	case http.StatusForbidden:
		return ErrForbidden
	case http.StatusNotFound:
		return ErrNotFound
	case http.StatusConflict:
		return ErrConflict
	case http.StatusRequestEntityTooLarge:
		return ErrPayloadTooLarge
	case http.StatusTooManyRequests:
		return ErrRateLimited
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return ErrUnavailable
	}
	switch {
	case status >= 500:
		return ErrInternal
	case status >= 400:
		return ErrInvalidRequest
	default: // 1xx, 3xx: nothing a JSON API should answer
		return ErrInternal
	}
}

// clientSnippet makes a short, single-line, valid UTF-8 excerpt of an
// error body for a message.
func clientSnippet(b []byte) string {
	const n = 120
	cut := len(b) > n
	if cut {
		b = b[:n]
	}
	s := strings.ToValidUTF8(string(b), "")
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }), " ")
	if cut && s != "" {
		s += "…"
	}
	return s
}

// scrub removes the API key from text that came from the network.
func (c *Client) scrub(s string) string {
	if c.apiKey == nil {
		return s
	}
	if k := string(*c.apiKey); strings.Contains(s, k) {
		return strings.ReplaceAll(s, k, clientRedacted)
	}
	return s
}

// clientValidPath reports whether path can be joined to a base URL.
func clientValidPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || c == 0x7f || c == '#' {
			return false
		}
	}
	return true
}

// clientLogPath is path without its query, which may hold personal data.
func clientLogPath(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i]
	}
	return p
}

var clientBufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func clientGetBuf() *bytes.Buffer { return clientBufPool.Get().(*bytes.Buffer) }

func clientPutBuf(b *bytes.Buffer) {
	if b.Cap() > 1<<20 {
		return // let big buffers go
	}
	b.Reset()
	clientBufPool.Put(b)
}

// String describes the Client without its API key.
func (c *Client) String() string {
	key := "none"
	if c.apiKey != nil {
		key = clientRedacted
	}
	return fmt.Sprintf("pay.Client{baseURL: %q, apiKey: %s, userAgent: %q, timeout: %v, retry: {MaxAttempts: %d, BaseDelay: %v, MaxDelay: %v}}",
		c.baseURL, key, c.userAgent, c.timeout, c.retry.MaxAttempts, c.retry.BaseDelay, c.retry.MaxDelay)
}

// GoString is String, so %#v redacts the API key too.
func (c *Client) GoString() string { return c.String() }

// Format prints String for every verb, so no verb reaches the fields.
func (c *Client) Format(f fmt.State, verb rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue describes the Client to log/slog without its API key.
func (c *Client) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("base_url", c.baseURL),
		slog.Bool("api_key_set", c.apiKey != nil),
		slog.String("user_agent", c.userAgent),
	)
}

// clientSecret holds the API key and prints as [REDACTED] however printed.
type clientSecret string

func clientNewSecret(s string) *clientSecret {
	if s == "" {
		return nil
	}
	k := clientSecret(s)
	return &k
}

func (clientSecret) String() string               { return clientRedacted }
func (clientSecret) GoString() string             { return clientRedacted }
func (clientSecret) Format(f fmt.State, _ rune)   { _, _ = io.WriteString(f, clientRedacted) }
func (clientSecret) LogValue() slog.Value         { return slog.StringValue(clientRedacted) }
func (clientSecret) MarshalText() ([]byte, error) { return []byte(clientRedacted), nil }

// clientNopLogger silences resty's own logger: the Client logs through slog.
type clientNopLogger struct{}

func (clientNopLogger) Errorf(string, ...any) {}
func (clientNopLogger) Warnf(string, ...any)  {}
func (clientNopLogger) Debugf(string, ...any) {}
