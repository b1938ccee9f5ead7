package sandbox

import (
	"net/http"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

// ProviderOption configures NewProvider. Options validate their argument and
// make NewProvider fail on a bad one.
type ProviderOption func(*providerConfig) error

type providerConfig struct {
	secret       string
	clock        pay.Clock
	client       *http.Client
	cbAttempts   int
	cbInterval   time.Duration
	cbDelay      time.Duration
	autoPay      bool
	autoPayDelay time.Duration
}

func configError(param, format string, args ...any) error {
	return channel.Errorf(channel.ErrMalformed, param, format, args...)
}

// WithSecret sets the HMAC secret the provider shares with its adapters (at
// least 16 bytes). By default the provider makes a random one; read it back
// with Secret.
func WithSecret(secret string) ProviderOption {
	return func(c *providerConfig) error {
		if len(secret) < minSecretLen {
			return configError("secret", "WithSecret: the secret must be at least %d bytes", minSecretLen)
		}
		c.secret = secret
		return nil
	}
}

// WithProviderClock sets the clock the provider signs with, checks request
// freshness against and stamps charges with (default: the system clock).
func WithProviderClock(clk pay.Clock) ProviderOption {
	return func(c *providerConfig) error {
		if clk == nil {
			return configError("clock", "WithProviderClock: clock is nil")
		}
		c.clock = clk
		return nil
	}
}

// WithCallbackClient sets the HTTP client callbacks are posted with
// (default: a client with a 10 s timeout).
func WithCallbackClient(hc *http.Client) ProviderOption {
	return func(c *providerConfig) error {
		if hc == nil {
			return configError("client", "WithCallbackClient: client is nil")
		}
		c.client = hc
		return nil
	}
}

// WithCallbackRetries sets how many times a callback is posted at most while
// the receiver answers 5xx or cannot be reached, and the pause between
// attempts (default 5 attempts, 50 ms apart). A 2xx or 4xx answer ends the
// retries.
func WithCallbackRetries(attempts int, interval time.Duration) ProviderOption {
	return func(c *providerConfig) error {
		if attempts < 1 {
			return configError("attempts", "WithCallbackRetries: attempts must be >= 1, got %d", attempts)
		}
		if interval < 0 {
			return configError("interval", "WithCallbackRetries: interval must not be negative")
		}
		c.cbAttempts, c.cbInterval = attempts, interval
		return nil
	}
}

// WithAutoPay makes the simulated payer pay every pending QR, in-app and web
// charge delay after it was created, as if a phone scanned it (off by
// default; tests then pay explicitly with Pay).
func WithAutoPay(delay time.Duration) ProviderOption {
	return func(c *providerConfig) error {
		if delay < 0 {
			return configError("delay", "WithAutoPay: delay must not be negative")
		}
		c.autoPay, c.autoPayDelay = true, delay
		return nil
	}
}

// WithCallbackDelay makes the provider wait d before posting each callback
// in the background (default 0), so callbacks can arrive after the caller
// has already queried the result.
func WithCallbackDelay(d time.Duration) ProviderOption {
	return func(c *providerConfig) error {
		if d < 0 {
			return configError("delay", "WithCallbackDelay: delay must not be negative")
		}
		c.cbDelay = d
		return nil
	}
}
