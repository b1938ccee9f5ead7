package vrauth

import (
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/internal/passwd"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/verify"
)

// Defaults of the limits that are on unless an option changes them.
const (
	DefaultAuthorizationTTL = 5 * time.Minute  // how long an approval may take
	DefaultInterval         = 5 * time.Second  // RFC 8628's default polling interval
	SlowDownStep            = 5 * time.Second  // what slow_down adds to the interval
	MaxUserCodeFailures     = 5                // wrong user-code entries per authorization
	MaxWait                 = 20 * time.Second // longest long-poll
	activationTTL           = 24 * time.Hour
)

// Service is the VR payment engine: enrollment, trusted terminals,
// cross-terminal authorization, proxy debit with a payment password, and
// the verification policy over them. It charges through a channel
// Aggregator and learns results from it as a channel.Notifier.
type Service struct {
	store     Store
	agg       *channel.Aggregator
	clock     pay.Clock
	sender    verify.Sender
	otps      *verify.OTPs
	passwords *passwd.Store
	engine    *verify.Engine
	policy    verify.Policy
	extra     []verify.Verifier
	keys      *verify.DeviceKeys
	publicURL string
	ttl       time.Duration
	interval  time.Duration
	limiter   *limiter
	csrfKey   []byte
	log       *slog.Logger
	waiters   waiters
}

// Option configures a Service.
type Option func(*Service) error

// WithStore persists to s (default: a new MemStore).
func WithStore(s Store) Option {
	return func(v *Service) error {
		if s == nil {
			return errors.New("vrauth: nil store")
		}
		v.store = s
		return nil
	}
}

// WithClock sets the clock for expiry, polling intervals, limits and codes.
func WithClock(c pay.Clock) Option {
	return func(v *Service) error {
		if c == nil {
			return errors.New("vrauth: nil clock")
		}
		v.clock = c
		return nil
	}
}

// WithSender delivers SMS codes and approval links (default: an Outbox
// that only records them; read it with Outbox()).
func WithSender(s verify.Sender) Option {
	return func(v *Service) error {
		if s == nil {
			return errors.New("vrauth: nil sender")
		}
		v.sender = s
		return nil
	}
}

// WithPublicURL is the base URL trusted terminals open approval links at.
// Required.
func WithPublicURL(u string) Option {
	return func(v *Service) error {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return errors.New("vrauth: WithPublicURL needs an http or https URL")
		}
		v.publicURL = strings.TrimSuffix(u, "/")
		return nil
	}
}

// WithPolicy replaces DefaultPolicy.
func WithPolicy(p verify.Policy) Option {
	return func(v *Service) error {
		if err := p.Validate(); err != nil {
			return err
		}
		v.policy = p
		return nil
	}
}

// WithVerifiers adds verification methods beyond the built-in payment
// password, SMS code, biometric, device presence and trusted-terminal
// approval (certificate, location, attributes, security questions), for
// policies that name them.
func WithVerifiers(vs ...verify.Verifier) Option {
	return func(v *Service) error {
		for _, x := range vs {
			if x == nil {
				return errors.New("vrauth: nil verifier")
			}
		}
		v.extra = append(v.extra, vs...)
		return nil
	}
}

// WithPasswords shares a payment-password store (default: a new one on the
// service's clock at passwd.DefaultParams).
func WithPasswords(s *passwd.Store) Option {
	return func(v *Service) error {
		if s == nil {
			return errors.New("vrauth: nil password store")
		}
		v.passwords = s
		return nil
	}
}

// WithAuthorizationTTL sets how long an authorization waits for approval
// (default 5 minutes, at most an hour).
func WithAuthorizationTTL(d time.Duration) Option {
	return func(v *Service) error {
		if d < 30*time.Second || d > time.Hour {
			return errors.New("vrauth: authorization TTL must be between 30s and 1h")
		}
		v.ttl = d
		return nil
	}
}

// WithRateLimit sets the per-client limits: at most n requests per minute
// for each headset placing orders and for each client entering user codes
// (default 10).
func WithRateLimit(n int) Option {
	return func(v *Service) error {
		if n < 1 || n > 10000 {
			return errors.New("vrauth: rate limit must be 1..10000 per minute")
		}
		v.limiter = newLimiter(n, time.Minute)
		return nil
	}
}

// WithLogger logs through l (default: discard). Secrets never reach it.
func WithLogger(l *slog.Logger) Option {
	return func(v *Service) error {
		if l == nil {
			return errors.New("vrauth: nil logger")
		}
		v.log = l
		return nil
	}
}

// New builds a Service charging through agg. Register it as (part of) the
// aggregator's notifier so payment results reach headsets:
// channel.WithNotifier(service) or a fan-out including it.
func New(agg *channel.Aggregator, opts ...Option) (*Service, error) {
	if agg == nil {
		return nil, errors.New("vrauth: nil aggregator")
	}
	s := &Service{agg: agg, clock: clock.System{}, ttl: DefaultAuthorizationTTL, interval: DefaultInterval,
		policy: DefaultPolicy, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	if s.publicURL == "" {
		return nil, errors.New("vrauth: WithPublicURL is required (approval links point there)")
	}
	if s.store == nil {
		s.store = NewMemStore()
	}
	if s.sender == nil {
		s.sender = &verify.Outbox{}
	}
	if s.limiter == nil {
		s.limiter = newLimiter(10, time.Minute)
	}
	s.limiter.clock = s.clock
	var err error
	if s.passwords == nil {
		if s.passwords, err = passwd.NewStore(passwd.WithClock(s.clock)); err != nil {
			return nil, err
		}
	}
	if s.otps, err = verify.NewOTPs(s.sender, verify.WithOTPClock(s.clock)); err != nil {
		return nil, err
	}
	// Device keys: biometric-gated phone keys and bound SIM/SD/USB/eSIM
	// keys, registered per user and device (RegisterDeviceKey), answer
	// single-use challenges bound to this service's host (the WebAuthn
	// relying-party ID).
	s.keys = verify.NewDeviceKeys()
	challenges := verify.NewChallenges(s.clock, verify.DefaultChallengeTTL)
	u, err := url.Parse(s.publicURL)
	if err != nil {
		return nil, err
	}
	bio, err := verify.NewBiometricVerifier(u.Hostname(), s.keys, challenges)
	if err != nil {
		return nil, err
	}
	presence, err := verify.NewPresenceVerifier(s.keys, challenges)
	if err != nil {
		return nil, err
	}
	vs := append([]verify.Verifier{verify.NewPasswordVerifier(s.passwords), s.otps.Verifier(purposePayment), bio, presence}, s.extra...)
	if s.engine, err = verify.NewEngine(s.policy, vs, verify.ExternalMethods(verify.MethodTrustedTerminal)); err != nil {
		return nil, err
	}
	s.csrfKey = make([]byte, 32)
	if _, err := rand.Read(s.csrfKey); err != nil {
		return nil, err
	}
	s.waiters.init()
	return s, nil
}

// Outbox returns the default Sender's outbox, or nil under WithSender.
func (s *Service) Outbox() *verify.Outbox {
	o, _ := s.sender.(*verify.Outbox)
	return o
}

// Engine returns the verification engine, for flows that confirm payments
// outside vrauth with the same policy and verifiers.
func (s *Service) Engine() *verify.Engine { return s.engine }

// OTP purposes: codes sent for one purpose never verify another.
const (
	purposeEnroll  = "enroll"
	purposeReset   = "password_reset"
	purposePayment = "payment"
	purposeKey     = "device_key"
)

// DefaultPolicy is what a headset purchase needs unless WithPolicy says
// otherwise: a cross-terminal purchase needs the trusted terminal's
// approval; a proxy debit needs the payment password, and from 500.00 CNY
// a second factor of another kind: an SMS code, a biometric or the bound
// device (keys are registered only with an SMS code). A trusted terminal
// is not one: it is added with the device key alone, so it would let
// someone holding a device key and a stolen password pass the rule.
var DefaultPolicy = verify.Policy{
	Rules: []verify.Rule{
		{Name: "cross-terminal", Flow: string(ModeCrossTerminal), Factors: 1,
			Required: []verify.Method{verify.MethodTrustedTerminal}},
		{Name: "proxy-debit-large", Flow: string(ModeProxyDebit), Currency: "CNY", MinAmount: 50000, Factors: 2,
			Methods:  []verify.Method{verify.MethodPassword, verify.MethodSMS, verify.MethodBiometric, verify.MethodDevicePresence},
			Required: []verify.Method{verify.MethodPassword}},
		{Name: "proxy-debit", Flow: string(ModeProxyDebit), Factors: 1,
			Required: []verify.Method{verify.MethodPassword}},
	},
	Default: verify.Rule{Name: "default", Factors: 2},
}
