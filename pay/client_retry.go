package pay

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy says how often and how patiently a Client retries a call that
// failed in a way worth retrying: a network error or per-attempt timeout, a
// 429, or a 5xx other than 501. Other 4xx answers are never retried.
//
// Between attempts the Client waits a random delay in
// [0, min(MaxDelay, BaseDelay·2ⁿ)] after the n-th failure (n from 0): capped
// exponential backoff with full jitter. A 429 or 503 that carries Retry-After
// (seconds or an HTTP date) is waited out instead, up to 60 s, and not capped
// by MaxDelay. No wait outlasts the call's context.
type RetryPolicy struct {
	// MaxAttempts is the total number of attempts per call, including the
	// first; 1 means no retries. Must be >= 1.
	MaxAttempts int
	// BaseDelay is the backoff cap for the first retry. Must be > 0.
	BaseDelay time.Duration
	// MaxDelay caps every backoff delay. Must be >= BaseDelay.
	MaxDelay time.Duration
}

// DefaultRetryPolicy returns the policy a Client uses unless told otherwise:
// 4 attempts, 100 ms base delay, 5 s cap.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 4, BaseDelay: 100 * time.Millisecond, MaxDelay: 5 * time.Second}
}

// NoRetries returns a policy that makes exactly one attempt per call.
func NoRetries() RetryPolicy {
	p := DefaultRetryPolicy()
	p.MaxAttempts = 1
	return p
}

// maxRetryAfter is the longest Retry-After a Client honours.
const maxRetryAfter = 60 * time.Second

// Validate reports whether p is usable: MaxAttempts >= 1, BaseDelay > 0,
// MaxDelay >= BaseDelay. Otherwise it returns an invalid_request *Error
// naming retry_policy.
func (p RetryPolicy) Validate() error {
	switch {
	case p.MaxAttempts < 1:
		return Errorf(ErrInvalidRequest, "retry_policy", "WithRetryPolicy: MaxAttempts must be >= 1, got %d", p.MaxAttempts)
	case p.BaseDelay <= 0:
		return Errorf(ErrInvalidRequest, "retry_policy", "WithRetryPolicy: BaseDelay must be > 0, got %v", p.BaseDelay)
	case p.MaxDelay < p.BaseDelay:
		return Errorf(ErrInvalidRequest, "retry_policy", "WithRetryPolicy: MaxDelay (%v) must be >= BaseDelay (%v)", p.MaxDelay, p.BaseDelay)
	}
	return nil
}

// backoffCap returns min(MaxDelay, BaseDelay·2^retry) without overflowing.
func (p RetryPolicy) backoffCap(retry int) time.Duration {
	d := p.BaseDelay
	for i := 0; i < retry && d < p.MaxDelay; i++ {
		if d > p.MaxDelay/2 {
			return p.MaxDelay
		}
		d *= 2
	}
	return min(d, p.MaxDelay)
}

// Backoff returns the full-jitter delay before retry number retry (from 0):
// uniformly random in [0, backoffCap(retry)].
func (p RetryPolicy) Backoff(retry int) time.Duration {
	c := p.backoffCap(retry)
	if c <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(c) + 1))
}

// retryableStatus reports whether an HTTP status is worth another attempt:
// 429 and every 5xx except 501 Not Implemented.
func retryableStatus(code int) bool {
	return code == http.StatusTooManyRequests || (code >= 500 && code <= 599 && code != http.StatusNotImplemented)
}

// parseRetryAfter reads a Retry-After header value: delta-seconds or an
// HTTP-date. It reports false for an absent or unreadable value. The result
// is clamped to [0, maxRetryAfter].
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return maxRetryAfter, true
			}
			return 0, false
		}
		if secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter, true
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	return min(max(d, 0), maxRetryAfter), true
}

// Sleep waits d or until ctx ends, whichever is first, and returns
// ctx.Err() if ctx ended: the wait between retries of every paykit sender.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
