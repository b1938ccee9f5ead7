package wechatpay

import (
	"crypto/rsa"
	"crypto/x509"
	"net/http"
	"strings"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/channel/internal/httpx"
	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

// Option configures a Channel. Options validate their arguments, so New
// fails early on a bad one.
type Option func(*settings) error

// settings collects the options before New builds the Channel.
type settings struct {
	httpx.Settings
	tolerance       time.Duration
	certs           []*x509.Certificate
	pubKeys         []publicKey
	refreshInterval time.Duration
	planID          int64
}

type publicKey struct {
	id  string
	key *rsa.PublicKey
}

func defaultSettings() settings {
	return settings{
		Settings: httpx.Settings{
			BaseURL: DefaultBaseURL,
			Client:  &http.Client{Timeout: 30 * time.Second},
			Policy:  pay.DefaultRetryPolicy(),
			Clock:   clock.System{},
		},
		tolerance: DefaultTolerance,
	}
}

func optionError(param, format string, args ...any) error {
	return channel.Errorf(channel.ErrMalformed, param, "wechatpay: "+format, args...)
}

// WithBaseURL points the channel at another API host, such as a local fake.
// The default is DefaultBaseURL, WeChat Pay's production host.
func WithBaseURL(base string) Option {
	return func(s *settings) error { return s.SetBaseURL(base) }
}

// WithHTTPClient sends provider requests through client (its Timeout bounds
// each attempt). The default has a 30 s timeout.
func WithHTTPClient(client *http.Client) Option {
	return func(s *settings) error { return s.SetHTTPClient(client) }
}

// WithRetryPolicy sets how often and how patiently failed attempts (network
// errors, 429, 5xx) are retried. The default is pay.DefaultRetryPolicy().
func WithRetryPolicy(p pay.RetryPolicy) Option {
	return func(s *settings) error { return s.SetRetryPolicy(p) }
}

// WithClock sets the source of time for request timestamps, freshness
// windows and certificate validity. The default is the wall clock.
func WithClock(c pay.Clock) Option {
	return func(s *settings) error { return s.SetClock(c) }
}

// WithTolerance sets how far a signed answer's or callback's
// Wechatpay-Timestamp may be from the clock, either way, before it is
// refused as stale. The default is DefaultTolerance (300 s).
func WithTolerance(d time.Duration) Option {
	return func(s *settings) error {
		if d < time.Second || d > time.Hour {
			return optionError("tolerance", "WithTolerance must be between 1s and 1h, got %v", d)
		}
		s.tolerance = d
		return nil
	}
}

// WithPlatformCertificates trusts WeChat Pay platform certificates: answers
// and callbacks whose Wechatpay-Serial is a certificate's serial (upper-case
// hex) are verified with its RSA key until the certificate expires. Give
// several during a rotation.
func WithPlatformCertificates(certs ...*x509.Certificate) Option {
	return func(s *settings) error {
		for i, c := range certs {
			if c == nil {
				return optionError("platform_certificates", "WithPlatformCertificates: certificate #%d is nil", i+1)
			}
			if _, err := certificateKey(c); err != nil {
				return err
			}
		}
		s.certs = append(s.certs, certs...)
		return nil
	}
}

// WithPlatformPublicKey trusts a WeChat Pay public key (public-key mode):
// answers and callbacks whose Wechatpay-Serial is keyID ("PUB_KEY_ID_…") are
// verified with pub. It may be combined with platform certificates while a
// merchant migrates between the two modes.
func WithPlatformPublicKey(keyID string, pub *rsa.PublicKey) Option {
	return func(s *settings) error {
		if !strings.HasPrefix(keyID, "PUB_KEY_ID_") || !validSerial(keyID) {
			return optionError("platform_public_key", "WithPlatformPublicKey: key ID must look like PUB_KEY_ID_…")
		}
		if err := checkRSAKey(pub); err != nil {
			return err
		}
		s.pubKeys = append(s.pubKeys, publicKey{id: keyID, key: pub})
		return nil
	}
}

// WithCertificateRefresh downloads platform certificates (GET
// /v3/certificates, itself signed, the certificates AEAD-encrypted under the
// APIv3 key) when interval has passed since the last download and when an
// answer or callback names a serial the Verifier does not know. Downloads are
// rate-limited to one a minute however many unknown serials arrive, so a
// forger cannot make the channel download on every request. Refreshing
// happens lazily, on the calls and callbacks that verify signatures;
// RefreshCertificates forces one.
func WithCertificateRefresh(interval time.Duration) Option {
	return func(s *settings) error {
		if interval < time.Minute {
			return optionError("certificate_refresh", "WithCertificateRefresh interval must be at least 1m, got %v", interval)
		}
		s.refreshInterval = interval
		return nil
	}
}

// WithAgreementPlan enables entrusted deduction (papay) with the deduction
// template planID (plan_id) WeChat Pay assigned to the merchant. Without it,
// agreement calls and ScenarioAgreement charges answer ErrUnsupported.
func WithAgreementPlan(planID int64) Option {
	return func(s *settings) error {
		if planID <= 0 {
			return optionError("plan_id", "WithAgreementPlan needs a positive plan ID")
		}
		s.planID = planID
		return nil
	}
}
