// Package httpx sends provider API requests for the channel adapters: each
// attempt is built (and signed) afresh, transient failures are retried with
// pay.RetryPolicy's capped full-jitter backoff, and failures are classified
// by whether the provider may have accepted the request, which the
// aggregator's failover depends on.
package httpx

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

// MaxResponseBytes bounds a provider response body.
const MaxResponseBytes = 1 << 20

// Response is a provider's answer, read in full.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Doer sends requests with retries. The zero value is not usable; set
// Client and Policy.
type Doer struct {
	// Client sends each attempt.
	Client *http.Client
	// Policy says how many attempts and how long to wait between them.
	Policy pay.RetryPolicy
	// Sleep waits between attempts; nil means a timer that ends with ctx.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Do sends the request build returns, building it again for each attempt so
// every attempt carries a fresh signature, timestamp and nonce. It retries
// network errors, 429 and 5xx other than 501, and returns the first other
// answer (any status) as a Response.
//
// When no attempt produced a usable answer, the error wraps
// channel.ErrUnavailable if no attempt can have reached the provider (every
// failure was a dial error, or the provider answered only 429 or 503), and
// channel.ErrOutcomeUnknown otherwise (a timeout after sending, a torn body,
// a 500). Provider operations are idempotent by merchant order or refund
// number, so retrying an ambiguous attempt cannot charge twice.
func (d Doer) Do(ctx context.Context, op string, build func(ctx context.Context) (*http.Request, error)) (Response, error) {
	attempts := max(d.Policy.MaxAttempts, 1)
	mayHaveReached := false
	var last error
	for attempt := 0; attempt < attempts; attempt++ {
		if attempt > 0 {
			if err := d.sleep(ctx, d.Policy.Backoff(attempt-1)); err != nil {
				break
			}
		}
		req, err := build(ctx)
		if err != nil {
			return Response{}, err
		}
		resp, err := d.Client.Do(req)
		if err != nil {
			if !notSent(err) {
				mayHaveReached = true
			}
			last = err
			if ctx.Err() != nil {
				break
			}
			continue
		}
		body, rerr := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
		resp.Body.Close()
		if rerr != nil || len(body) > MaxResponseBytes {
			mayHaveReached = true
			last = errors.New("response body unreadable or too large")
			continue
		}
		r := Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
		if retryable(resp.StatusCode) {
			if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
				mayHaveReached = true
			}
			last = errors.New(http.StatusText(resp.StatusCode))
			continue
		}
		return r, nil
	}
	if mayHaveReached {
		return Response{}, channel.Errorf(channel.ErrOutcomeUnknown, "", "%s: provider may have accepted the request: %v", op, redact(last))
	}
	return Response{}, channel.Errorf(channel.ErrUnavailable, "", "%s: provider unavailable: %v", op, redact(last))
}

func (d Doer) sleep(ctx context.Context, dur time.Duration) error {
	if d.Sleep != nil {
		return d.Sleep(ctx, dur)
	}
	return pay.Sleep(ctx, dur)
}

func retryable(status int) bool {
	return status == http.StatusTooManyRequests || (status >= 500 && status != http.StatusNotImplemented)
}

// notSent reports whether err proves the request never left this machine:
// the connection could not be opened at all.
func notSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// redact keeps only the error's kind, not URLs with query strings that may
// carry signed parameters.
func redact(err error) string {
	if err == nil {
		return "no attempt made"
	}
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			return inner.Error()
		}
	}
	return err.Error()
}
