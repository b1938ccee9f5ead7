package sandbox

import (
	"net/http"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/channel/internal/httpx"
	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

// DefaultName is the registry name of a sandbox channel.
const DefaultName = "sandbox"

// Channel is the sandbox adapter: a channel.AgreementChannel speaking the
// sandbox provider's API. It is safe for concurrent use.
//
// Errors follow the channel contract. Provider answers map as: 402 and
// every other refusal (400 invalid or declined, 409 conflict, 413) to
// ErrDeclined — a 409 means the charge, refund or agreement ID was used
// before with a different request, or the object is in a state that does
// not allow the operation; 404 to ErrUnknownCharge (also for unknown
// refunds and agreements); 401 (the provider refused our signature, so
// accepted nothing) to ErrUnavailable; 503 after the retries to
// ErrUnavailable; 500, timeouts and any unexpected status to
// ErrOutcomeUnknown. A response without a valid signature is ErrBadSignature
// (ErrStale when authentic but outside the tolerance), and one that does not
// describe what was asked for is ErrMalformed.
type Channel struct {
	name      string
	base      string
	secret    string
	doer      httpx.Doer
	clock     pay.Clock
	notifyURL string
	tolerance time.Duration
}

var _ channel.AgreementChannel = (*Channel)(nil)

// New returns an adapter for the sandbox provider at baseURL (an absolute
// http(s) URL, e.g. an httptest.Server's URL) sharing secret (at least 16
// bytes, Provider.Secret) with it.
func New(baseURL, secret string, opts ...Option) (*Channel, error) {
	policy := pay.DefaultRetryPolicy()
	policy.BaseDelay, policy.MaxDelay = 20*time.Millisecond, time.Second
	cfg := config{
		Settings: httpx.Settings{
			Client: &http.Client{Timeout: 10 * time.Second},
			Policy: policy,
			Clock:  clock.System{},
		},
		name:      DefaultName,
		tolerance: DefaultTolerance,
	}
	if cfg.SetBaseURL(baseURL) != nil {
		return nil, configError("base_url", "the base URL must be an absolute http(s) URL without user info, query or fragment")
	}
	if len(secret) < minSecretLen {
		return nil, configError("secret", "the secret must be at least %d bytes", minSecretLen)
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	return &Channel{
		name:      cfg.name,
		base:      cfg.BaseURL,
		secret:    secret,
		doer:      cfg.Doer(),
		clock:     cfg.Clock,
		notifyURL: cfg.notifyURL,
		tolerance: cfg.tolerance,
	}, nil
}

// Name returns the channel's registry name.
func (c *Channel) Name() string { return c.name }

// Capabilities reports that the sandbox serves every scenario in any
// currency, with full and partial refunds and standing agreements.
func (c *Channel) Capabilities() channel.Capabilities {
	return channel.Capabilities{
		Scenarios:      append([]channel.Scenario(nil), channel.Scenarios...),
		Refunds:        true,
		PartialRefunds: true,
		Agreements:     true,
	}
}
