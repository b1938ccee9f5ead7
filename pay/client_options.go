package pay

import (
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Option configures a Client. Options check their argument; NewClient
// returns the first error an Option reports, an *Error of kind
// ErrInvalidRequest whose Param names the option.
type Option func(*clientConfig) error

type clientConfig struct {
	apiKey     string
	httpClient *http.Client
	timeout    time.Duration
	retry      RetryPolicy
	logger     *slog.Logger
	userAgent  string
}

// defaultAttemptTimeout bounds each attempt unless WithTimeout says otherwise.
const defaultAttemptTimeout = 30 * time.Second

func defaultClientConfig() clientConfig {
	return clientConfig{
		timeout:   defaultAttemptTimeout,
		retry:     DefaultRetryPolicy(),
		userAgent: "paykit-go/" + Version,
	}
}

// WithAPIKey authenticates every request with "Authorization: Bearer <key>".
// The key must be non-empty and free of spaces and control characters. It
// never appears in errors, logs, or the Client's String, GoString or
// LogValue.
func WithAPIKey(key string) Option {
	return func(c *clientConfig) error {
		if key == "" {
			return Errorf(ErrInvalidRequest, "api_key", "WithAPIKey: API key must not be empty")
		}
		for i := 0; i < len(key); i++ {
			if b := key[i]; b <= ' ' || b == 0x7f {
				// Do not echo the key, or any part of it.
				return Errorf(ErrInvalidRequest, "api_key", "WithAPIKey: API key contains a space or control character")
			}
		}
		c.apiKey = key
		return nil
	}
}

// WithHTTPClient sends requests through hc instead of the Client's default,
// an *http.Client over a shared, tuned keep-alive transport. hc is copied,
// never modified; if its Transport is nil the shared transport is used.
// hc.Timeout, if set, applies on top of WithTimeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *clientConfig) error {
		if hc == nil {
			return Errorf(ErrInvalidRequest, "http_client", "WithHTTPClient: *http.Client must not be nil")
		}
		c.httpClient = hc
		return nil
	}
}

// WithTimeout bounds each attempt (request, response headers and body) to d.
// A timed-out attempt counts as a network error and is retried. The whole
// call is bounded only by its context. The default is 30 s.
func WithTimeout(d time.Duration) Option {
	return func(c *clientConfig) error {
		if d <= 0 {
			return Errorf(ErrInvalidRequest, "timeout", "WithTimeout: timeout must be positive, got %v", d)
		}
		c.timeout = d
		return nil
	}
}

// WithRetryPolicy replaces DefaultRetryPolicy. The policy must have
// MaxAttempts >= 1 and 0 < BaseDelay <= MaxDelay.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(c *clientConfig) error {
		if err := p.Validate(); err != nil {
			return err
		}
		c.retry = p
		return nil
	}
}

// WithLogger logs every attempt at slog.LevelDebug (method, path without
// query, status, attempt, duration, request ID, error) and every retry.
// Headers and bodies are never logged. Without this option the Client logs
// nothing.
func WithLogger(l *slog.Logger) Option {
	return func(c *clientConfig) error {
		if l == nil {
			return Errorf(ErrInvalidRequest, "logger", "WithLogger: *slog.Logger must not be nil")
		}
		c.logger = l
		return nil
	}
}

// WithUserAgent appends ua, after a space, to the User-Agent header
// "paykit-go/<Version>". Several WithUserAgent options append in order. ua
// must be non-empty and free of control characters.
func WithUserAgent(ua string) Option {
	return func(c *clientConfig) error {
		if strings.TrimSpace(ua) == "" {
			return Errorf(ErrInvalidRequest, "user_agent", "WithUserAgent: user agent must not be empty")
		}
		if !validHeaderValue(ua) {
			return Errorf(ErrInvalidRequest, "user_agent", "WithUserAgent: user agent %q contains a control character", clip(ua))
		}
		c.userAgent += " " + ua
		return nil
	}
}

// CallOption adjusts one call of Client.Do, Get, Post or Delete.
type CallOption func(*callConfig)

type callConfig struct {
	idempotencyKey string
	header         []string // canonical name, value, name, value …
	err            error
}

// WithIdempotencyKey sends key as the call's Idempotency-Key, on every
// attempt, instead of a generated one. It also sends it on GET and HEAD,
// which otherwise carry none. key must be 1 to 255 visible ASCII characters.
func WithIdempotencyKey(key string) CallOption {
	return func(cc *callConfig) {
		if !validIdempotencyKey(key) {
			cc.setErr(Errorf(ErrInvalidRequest, "Idempotency-Key", "WithIdempotencyKey: key must be 1 to 255 visible ASCII characters"))
			return
		}
		cc.idempotencyKey = key
	}
}

// WithHeader sets header k to v on the call, over the Client's own headers.
// Setting Idempotency-Key is the same as WithIdempotencyKey. Authorization,
// Host and Content-Length can't be set this way; a bad name or a value with
// control characters makes the call fail before anything is sent.
func WithHeader(k, v string) CallOption {
	return func(cc *callConfig) {
		if !validHeaderName(k) || !validHeaderValue(v) {
			cc.setErr(Errorf(ErrInvalidRequest, "header", "WithHeader: invalid header name or value for %q", clip(k)))
			return
		}
		k = http.CanonicalHeaderKey(k)
		switch k {
		case "Idempotency-Key":
			WithIdempotencyKey(v)(cc)
			return
		case "Authorization", "Host", "Content-Length":
			cc.setErr(Errorf(ErrInvalidRequest, "header", "WithHeader: header %s is set by the Client", k))
			return
		}
		cc.header = append(cc.header, k, v)
	}
}

func (cc *callConfig) setErr(err error) {
	if cc.err == nil {
		cc.err = err
	}
}

func validIdempotencyKey(k string) bool {
	if k == "" || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] <= ' ' || k[i] >= 0x7f {
			return false
		}
	}
	return true
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validHeaderValue reports whether s has no control characters but tab.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
