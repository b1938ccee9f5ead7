package paytest

import (
	"crypto/sha256"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/channel/sandbox"
	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/account"
	"github.com/paykit-go/paykit/pay/im"
	"github.com/paykit-go/paykit/pay/ledger"
	"github.com/paykit-go/paykit/qr"
	"github.com/paykit-go/paykit/token"
	"github.com/paykit-go/paykit/verify"
	"github.com/paykit-go/paykit/vrauth"
)

// Keys are the API keys a backend accepts, one per role. Zero fields are
// filled with fresh random keys.
type Keys struct {
	Merchant string
	Device   string
	Admin    string
}

// Backend is the reference backend without a listener: every engine and the
// middleware around their routes. Mount Handler anywhere, or use NewServer.
type Backend struct {
	Keys     Keys
	Platform *account.Platform
	Ledger   *ledger.Ledger
	// Channels is the channel aggregator, with the SandboxChannels registered.
	Channels *channel.Aggregator
	// Sandboxes are the simulated providers behind SandboxChannels, by
	// name: tests play the payer and inject faults through them.
	Sandboxes map[string]*sandbox.Provider
	// Webhooks delivers signed merchant webhooks to registered endpoints.
	Webhooks *pay.WebhookSender
	// Tokens is the token vault; the platform resolves contactless
	// credentials through it.
	Tokens *token.Vault
	// Cards is the stored-value card issuer (QR cards): card value is
	// booked in Ledger, so merchant balances include card income.
	Cards *qr.Issuer
	// VR is the VR headset payment service: enrollment, trusted
	// terminals, cross-terminal approval pages, proxy debit.
	VR *vrauth.Service
	// Outbox holds every SMS code and link the backend "sent" (VR
	// enrollment codes, terminal activation and approval links), newest
	// last: tests and examples read it in place of a phone.
	Outbox *verify.Outbox
	// IM is the payment subsystem of IM bill payments; Relay is the IM
	// server that forwards its sealed messages (it holds no plaintext).
	IM    *im.Subsystem
	Relay *im.MemRelay

	notifiers []channel.Notifier

	clock   pay.Clock
	scopes  map[Role][]string
	fake    *clock.Fake
	log     *slog.Logger
	handler http.Handler
}

type config struct {
	keys      Keys
	clock     pay.Clock
	rules     []account.PointsRule
	log       *slog.Logger
	publicURL string
	scopes    map[Role][]string
	imHybrid  bool
}

// WithScopes grants the key of role extra scopes on top of the defaults
// (the admin key holds token.ScopeDetokenize), e.g. letting the merchant key
// detokenize: WithScopes(RoleMerchant, token.ScopeDetokenize).
func WithScopes(role Role, scopes ...string) Option {
	return func(c *config) error {
		if role < RoleDevice || role > RoleAdmin {
			return errors.New("paytest: WithScopes needs RoleDevice, RoleMerchant or RoleAdmin")
		}
		for _, s := range scopes {
			if s == "" {
				return errors.New("paytest: empty scope")
			}
		}
		c.scopes[role] = append(c.scopes[role], scopes...)
		return nil
	}
}

// WithPublicURL is the base URL the backend is reachable at (NewServer and
// Listen set it). The sandbox channels call their providers there and the
// providers post callbacks there, so a Backend served through Handler needs
// it for channel payments to work.
func WithPublicURL(u string) Option {
	return func(c *config) error {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return errors.New("paytest: WithPublicURL needs an http or https URL")
		}
		c.publicURL = u
		return nil
	}
}

// Option configures a Backend or Server.
type Option func(*config) error

// WithKeys sets the API keys (empty fields stay random). Keys must be
// distinct and at least 16 bytes.
func WithKeys(k Keys) Option {
	return func(c *config) error {
		for _, s := range []string{k.Merchant, k.Device, k.Admin} {
			if s != "" && len(s) < 16 {
				return errors.New("paytest: API keys must be at least 16 bytes")
			}
		}
		c.keys = k
		return nil
	}
}

// WithStartTime starts the backend's manual clock at t (default: now).
// Move it with Advance.
func WithStartTime(t time.Time) Option {
	return func(c *config) error {
		if t.IsZero() {
			return errors.New("paytest: zero start time")
		}
		c.clock = clock.NewFake(t)
		return nil
	}
}

// WithWallClock makes the backend follow real time; Advance then fails.
func WithWallClock() Option {
	return func(c *config) error { c.clock = clock.System{}; return nil }
}

// WithPointsRule sets the points rule of one currency (default: one point
// per whole CNY, USD and EUR).
func WithPointsRule(r account.PointsRule) Option {
	return func(c *config) error { c.rules = append(c.rules, r); return nil }
}

// WithLogger logs requests and panics through l (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("paytest: nil logger")
		}
		c.log = l
		return nil
	}
}

// DefaultPointsRules earn one point per whole unit of CNY, USD and EUR.
var DefaultPointsRules = []account.PointsRule{
	{Currency: "CNY", Every: 100, Points: 1},
	{Currency: "USD", Every: 100, Points: 1},
	{Currency: "EUR", Every: 100, Points: 1},
}

// New builds a Backend.
func New(opts ...Option) (*Backend, error) {
	c := config{log: slog.New(slog.NewTextHandler(io.Discard, nil)), scopes: map[Role][]string{}}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	if c.clock == nil {
		c.clock = clock.NewFake(time.Now().UTC().Truncate(time.Second))
	}
	if c.rules == nil {
		c.rules = DefaultPointsRules
	}
	if c.publicURL == "" {
		c.publicURL = "http://paytest.invalid"
	}
	b := &Backend{Keys: c.keys, clock: c.clock, log: c.log, scopes: c.scopes}
	b.fake, _ = c.clock.(*clock.Fake)
	fill := func(s *string, role string) {
		if *s == "" {
			*s = pay.NewID("sk_" + role)
		}
	}
	fill(&b.Keys.Merchant, "merchant")
	fill(&b.Keys.Device, "device")
	fill(&b.Keys.Admin, "admin")
	if b.Keys.Merchant == b.Keys.Device || b.Keys.Merchant == b.Keys.Admin || b.Keys.Device == b.Keys.Admin {
		return nil, errors.New("paytest: API keys must be distinct")
	}

	var err error
	if b.Ledger, err = ledger.New(ledger.WithClock(c.clock)); err != nil {
		return nil, err
	}
	if err := b.setupTokens(c); err != nil {
		return nil, err
	}
	popts := []account.Option{account.WithLedger(b.Ledger), account.WithClock(c.clock), account.WithCredentialResolver(token.Resolver(b.Tokens))}
	for _, r := range c.rules {
		popts = append(popts, account.WithPointsRule(r))
	}
	if b.Platform, err = account.New(popts...); err != nil {
		return nil, err
	}
	if err := b.setupChannels(c); err != nil {
		return nil, err
	}
	if err := b.setupCards(c); err != nil {
		return nil, err
	}
	if err := b.setupVR(c); err != nil {
		return nil, err
	}
	if err := b.setupIM(c); err != nil {
		return nil, err
	}
	b.handler = b.compose()
	return b, nil
}

// Routes lists every route the backend serves: each domain package's
// contract plus the backend's own admin routes.
func (b *Backend) Routes() []pay.Route {
	routes := account.Routes(b.Platform)
	routes = append(routes, channel.Routes(b.Channels)...)
	routes = append(routes, pay.WebhookRoutes(b.Webhooks)...)
	routes = append(routes, token.Routes(b.Tokens)...)
	routes = append(routes, qr.Routes(b.Cards)...)
	routes = append(routes, vrauth.Routes(b.VR)...)
	routes = append(routes, vrauth.PageRoutes(b.VR)...)
	routes = append(routes, im.Routes(b.IM)...)
	routes = append(routes, im.RelayRoutes(b.Relay)...)
	return append(routes, b.adminRoutes()...)
}

// compose mounts every route behind auth (per its access level) and the
// idempotency store, inside request IDs and panic recovery.
func (b *Backend) compose() http.Handler {
	keys := keyring{
		sha256.Sum256([]byte(b.Keys.Merchant)): {RoleMerchant, b.scopes[RoleMerchant]},
		sha256.Sum256([]byte(b.Keys.Device)):   {RoleDevice, b.scopes[RoleDevice]},
		sha256.Sum256([]byte(b.Keys.Admin)):    {RoleAdmin, b.scopes[RoleAdmin]},
	}
	idem := newIdemStore(b.clock)
	mux := http.NewServeMux()
	for _, rt := range b.Routes() {
		if rt.Access == pay.AccessPublic {
			mux.Handle(rt.Pattern(), rt) // signed by the caller; no key, no idempotency store
			continue
		}
		mux.Handle(rt.Pattern(), keys.authenticate(rt.Access, idem.middleware(rt)))
	}
	b.mountSandboxes(mux)
	mux.HandleFunc("/", pay.NoRoute)
	return withRequestID(b.log, mux)
}

// Handler serves the whole backend.
func (b *Backend) Handler() http.Handler { return b.handler }

// Now is the backend's current time.
func (b *Backend) Now() time.Time { return b.clock.Now() }

// Advance moves the backend's manual clock forward (pending timeouts,
// idempotency expiry). It fails under WithWallClock.
func (b *Backend) Advance(d time.Duration) error {
	if b.fake == nil {
		return errors.New("paytest: Advance needs the manual clock; the backend follows the wall clock")
	}
	if d < 0 {
		return errors.New("paytest: the clock only moves forward")
	}
	b.fake.Advance(d)
	return nil
}
