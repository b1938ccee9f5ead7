package httpx

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

// Settings are the transport settings every adapter takes as options,
// validated in one place. An adapter fills in its own defaults, lets its
// WithBaseURL, WithHTTPClient, WithRetryPolicy and WithClock options call
// the setters, and builds its Doer from the result.
//
// Each setter leaves s unchanged and returns a *pay.Error of kind
// invalid_request matching channel.ErrMalformed, naming the parameter, when
// its argument is unusable.
type Settings struct {
	// BaseURL is the provider endpoint, without a trailing "/".
	BaseURL string
	// Client sends each attempt.
	Client *http.Client
	// Policy says how many attempts and how long to wait between them.
	Policy pay.RetryPolicy
	// Clock is the source of time for signatures and freshness checks.
	Clock pay.Clock
}

// SetBaseURL sets BaseURL to raw with any trailing "/" trimmed. raw must be
// an absolute http or https URL with a host and without user info, query
// or fragment; it may have a path.
func (s *Settings) SetBaseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return channel.Errorf(channel.ErrMalformed, "base_url", "WithBaseURL: the URL must be absolute http or https with a host and without user info, query or fragment")
	}
	s.BaseURL = strings.TrimRight(raw, "/")
	return nil
}

// SetHTTPClient sets Client to hc, which must not be nil.
func (s *Settings) SetHTTPClient(hc *http.Client) error {
	if hc == nil {
		return channel.Errorf(channel.ErrMalformed, "http_client", "WithHTTPClient: client must not be nil")
	}
	s.Client = hc
	return nil
}

// SetRetryPolicy sets Policy to p, which must pass p.Validate:
// MaxAttempts >= 1 and 0 < BaseDelay <= MaxDelay.
func (s *Settings) SetRetryPolicy(p pay.RetryPolicy) error {
	if err := p.Validate(); err != nil {
		msg := err.Error()
		var pe *pay.Error
		if errors.As(err, &pe) {
			msg = pe.Message
		}
		return channel.Errorf(channel.ErrMalformed, "retry_policy", "%s", msg)
	}
	s.Policy = p
	return nil
}

// SetClock sets Clock to c, which must not be nil.
func (s *Settings) SetClock(c pay.Clock) error {
	if c == nil {
		return channel.Errorf(channel.ErrMalformed, "clock", "WithClock: clock must not be nil")
	}
	s.Clock = c
	return nil
}

// Doer returns a Doer sending with s.Client under s.Policy.
func (s Settings) Doer() Doer {
	return Doer{Client: s.Client, Policy: s.Policy}
}
