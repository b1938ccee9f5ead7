package sandbox

import (
	"net/http"
	"time"

	"github.com/paykit-go/paykit/channel/internal/httpx"
	"github.com/paykit-go/paykit/pay"
)

// Option configures New. Options validate their argument and make New fail
// on a bad one.
type Option func(*config) error

type config struct {
	httpx.Settings
	name      string
	notifyURL string
	tolerance time.Duration
}

// WithName sets the channel's registry name (default "sandbox"), so a
// backend can register several sandbox channels ("sandbox-a", "sandbox-b").
// 1-64 characters of a-z A-Z 0-9 . _ -.
func WithName(name string) Option {
	return func(c *config) error {
		if !validName(name) {
			return configError("name", "WithName: the name must be 1-64 characters of a-z A-Z 0-9 . _ -")
		}
		c.name = name
		return nil
	}
}

func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// WithHTTPClient sets the client provider calls are sent with (default: a
// client with a 10 s timeout). Its timeout bounds each attempt.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error { return c.SetHTTPClient(hc) }
}

// WithRetryPolicy sets how provider calls are retried on network errors,
// 429 and 5xx (default: pay.DefaultRetryPolicy with a 20 ms base delay and
// a 1 s cap, since the sandbox is local). Every retry is signed afresh and
// is safe because every operation is idempotent by the merchant's ID.
func WithRetryPolicy(p pay.RetryPolicy) Option {
	return func(c *config) error { return c.SetRetryPolicy(p) }
}

// WithClock sets the clock requests are signed with and responses and
// callbacks are checked against (default: the system clock).
func WithClock(clk pay.Clock) Option {
	return func(c *config) error { return c.SetClock(clk) }
}

// WithNotifyURL sets where the provider posts callbacks for requests that
// name no notify URL of their own (refunds never do). It must be an
// absolute http(s) URL.
func WithNotifyURL(u string) Option {
	return func(c *config) error {
		if u == "" || !validURL(u) {
			return configError("notify_url", "WithNotifyURL: the notify URL must be an absolute http(s) URL")
		}
		c.notifyURL = u
		return nil
	}
}

// WithTolerance sets how far a response's or callback's signed timestamp may
// be from the clock (default DefaultTolerance, 300 s).
func WithTolerance(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return configError("tolerance", "WithTolerance: tolerance must be positive")
		}
		c.tolerance = d
		return nil
	}
}
