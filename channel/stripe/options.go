package stripe

import (
	"net/http"
	"strings"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/channel/internal/httpx"
	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

// DefaultBaseURL is Stripe's production API endpoint. Test-mode and
// live-mode requests both go here; the key decides which mode is used.
const DefaultBaseURL = "https://api.stripe.com"

// DefaultTolerance is how far a webhook's signed timestamp may be from the
// channel's clock, in either direction, before it is refused as stale. It
// is the tolerance Stripe's own libraries use.
const DefaultTolerance = 300 * time.Second

// maxWebhookSecrets bounds how many signing secrets are tried per callback;
// it is also the most v1 signatures pay.SignWebhook makes at once.
const maxWebhookSecrets = 16

// config is what the options fill in before New builds the Channel.
type config struct {
	httpx.Settings
	secrets    []string
	tolerance  time.Duration
	apiVersion string
}

func defaultConfig() config {
	p := pay.DefaultRetryPolicy()
	p.BaseDelay = 50 * time.Millisecond
	return config{
		Settings: httpx.Settings{
			BaseURL: DefaultBaseURL,
			Client:  &http.Client{Timeout: 30 * time.Second},
			Policy:  p,
			Clock:   clock.System{},
		},
		tolerance: DefaultTolerance,
	}
}

// Option configures a Channel. Options validate their argument and make New
// fail on a bad one rather than the first call.
type Option func(*config) error

func optErr(param, format string, args ...any) error {
	return channel.Errorf(channel.ErrUnsupported, param, format, args...)
}

// WithBaseURL points the channel at another Stripe-compatible endpoint (a
// local fake, stripe-mock, a proxy) instead of DefaultBaseURL. The URL must
// be absolute http or https without query or fragment.
func WithBaseURL(raw string) Option {
	return func(c *config) error { return c.SetBaseURL(raw) }
}

// WithHTTPClient sends every API request through hc (timeouts, proxies,
// mTLS to an egress gateway). The default client has a 30 s timeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error { return c.SetHTTPClient(hc) }
}

// WithRetryPolicy replaces the default retry policy (pay.DefaultRetryPolicy
// with a 50 ms base delay). Retries reuse the request's Idempotency-Key, so
// Stripe performs a retried request at most once.
func WithRetryPolicy(p pay.RetryPolicy) Option {
	return func(c *config) error { return c.SetRetryPolicy(p) }
}

// WithClock sets the clock webhook timestamps are checked against (default:
// the system clock). Tests pass a fake clock.
func WithClock(clk pay.Clock) Option {
	return func(c *config) error { return c.SetClock(clk) }
}

// WithWebhookSecrets sets the endpoint signing secrets ("whsec_…") that
// callbacks are verified with. Pass the old and the new secret while
// rolling: a callback is accepted when any of its v1 signatures matches any
// secret. Without secrets, ParseCallback refuses every callback.
func WithWebhookSecrets(secrets ...string) Option {
	return func(c *config) error {
		if err := checkWebhookSecrets("WithWebhookSecrets", "webhook_secrets", secrets); err != nil {
			return err
		}
		c.secrets = append([]string(nil), secrets...)
		return nil
	}
}

// checkWebhookSecrets accepts 1 to maxWebhookSecrets whsec_ signing
// secrets; op names the caller in the error, param the argument.
func checkWebhookSecrets(op, param string, secrets []string) error {
	if len(secrets) == 0 || len(secrets) > maxWebhookSecrets {
		return optErr(param, "%s: need 1 to %d secrets, got %d", op, maxWebhookSecrets, len(secrets))
	}
	for i, s := range secrets {
		if !strings.HasPrefix(s, "whsec_") || len(s) <= len("whsec_") {
			return optErr(param, "%s: secret #%d is not a whsec_ signing secret", op, i+1)
		}
	}
	return nil
}

// WithTolerance sets how far a webhook's signed timestamp may be from now,
// in the past or the future (default DefaultTolerance). It bounds how long
// a captured delivery could be replayed; keep it short.
func WithTolerance(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 || d > time.Hour {
			return optErr("tolerance", "WithTolerance: tolerance must be in (0, 1h], got %v", d)
		}
		c.tolerance = d
		return nil
	}
}

// WithAPIVersion pins the Stripe API version sent as the Stripe-Version
// header ("2024-06-20", "2025-03-31.basil"). Without it the account's
// default version applies. The fields this package reads are the same in
// every version since 2022-11-15.
func WithAPIVersion(v string) Option {
	return func(c *config) error {
		if v == "" || len(v) > 64 {
			return optErr("api_version", "WithAPIVersion: version must be 1 to 64 characters")
		}
		for i := 0; i < len(v); i++ {
			b := v[i]
			if !(b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b == '-' || b == '.' || b == '_') {
				return optErr("api_version", "WithAPIVersion: version may contain only [0-9a-z._-]")
			}
		}
		c.apiVersion = v
		return nil
	}
}
