package channel

import (
	"context"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"sync"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/ledger"
)

// Aggregator is the channel-aggregation engine a backend embeds: the
// channel registry and switches, payment creation with failover, the
// callback handler and the payment state machine. Safe for concurrent use.
type Aggregator struct {
	store     Store
	ledger    *ledger.Ledger
	clock     pay.Clock
	log       *slog.Logger
	notifier  Notifier
	notifyURL func(channel string) string
	merchant  func(merchantID, currency string) string

	mu       sync.RWMutex
	channels map[string]Channel
	order    []string // registration order: the failover order
	waiters  waiters
}

// Option configures an Aggregator.
type Option func(*Aggregator) error

// WithStore replaces the in-memory store.
func WithStore(s Store) Option {
	return func(a *Aggregator) error {
		if s == nil {
			return pay.Errorf(pay.ErrInvalidRequest, "store", "WithStore: nil store")
		}
		a.store = s
		return nil
	}
}

// WithLedger books payments in l (shared with the account platform, so a
// merchant's channel income and wallet income land in one account).
func WithLedger(l *ledger.Ledger) Option {
	return func(a *Aggregator) error {
		if l == nil {
			return pay.Errorf(pay.ErrInvalidRequest, "ledger", "WithLedger: nil ledger")
		}
		a.ledger = l
		return nil
	}
}

// WithClock sets the clock payments are stamped with.
func WithClock(c pay.Clock) Option {
	return func(a *Aggregator) error {
		if c == nil {
			return pay.Errorf(pay.ErrInvalidRequest, "clock", "WithClock: nil clock")
		}
		a.clock = c
		return nil
	}
}

// WithLogger logs callbacks rejected and background failures. Off by default.
func WithLogger(l *slog.Logger) Option {
	return func(a *Aggregator) error {
		if l == nil {
			return pay.Errorf(pay.ErrInvalidRequest, "logger", "WithLogger: nil logger")
		}
		a.log = l
		return nil
	}
}

// WithNotifier tells merchants about payment changes (the reference backend
// passes a pay.WebhookSender).
func WithNotifier(n Notifier) Option {
	return func(a *Aggregator) error {
		if n == nil {
			return pay.Errorf(pay.ErrInvalidRequest, "notifier", "WithNotifier: nil notifier")
		}
		a.notifier = n
		return nil
	}
}

// WithCallbackURL says where each channel's provider must post callbacks:
// the public URL at which the aggregator's callback route is served, e.g.
// func(ch string) string { return "https://pay.example.com/v1/callbacks/" + ch }.
// Without it each adapter's own configured notify URL is used.
func WithCallbackURL(f func(channel string) string) Option {
	return func(a *Aggregator) error {
		if f == nil {
			return pay.Errorf(pay.ErrInvalidRequest, "callback_url", "WithCallbackURL: nil func")
		}
		a.notifyURL = f
		return nil
	}
}

// WithMerchantAccount names the ledger account credited for a merchant's
// payments in a currency. The default, "merchant:<id>:<CUR>", is the
// account platform's own name for it.
func WithMerchantAccount(f func(merchantID, currency string) string) Option {
	return func(a *Aggregator) error {
		if f == nil {
			return pay.Errorf(pay.ErrInvalidRequest, "merchant_account", "WithMerchantAccount: nil func")
		}
		a.merchant = f
		return nil
	}
}

// New builds an Aggregator with no channels registered.
func New(opts ...Option) (*Aggregator, error) {
	a := &Aggregator{
		clock:    clock.System{},
		log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		notifier: NotifierFunc(func(context.Context, pay.Event) {}),
		merchant: func(m, cur string) string { return "merchant:" + m + ":" + cur },
		channels: map[string]Channel{},
	}
	for _, o := range opts {
		if err := o(a); err != nil {
			return nil, err
		}
	}
	if a.store == nil {
		a.store = NewMemStore()
	}
	if a.ledger == nil {
		l, err := ledger.New(ledger.WithClock(a.clock))
		if err != nil {
			return nil, err
		}
		a.ledger = l
	}
	return a, nil
}

var channelName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// Register adds channels under their names, enabled system-wide. The
// registration order is the failover order.
func (a *Aggregator) Register(chs ...Channel) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, ch := range chs {
		if ch == nil {
			return pay.Errorf(pay.ErrInvalidRequest, "channel", "Register: nil channel")
		}
		name := ch.Name()
		if !channelName.MatchString(name) {
			return pay.Errorf(pay.ErrInvalidRequest, "channel", "Register: channel name %q must match %s", name, channelName)
		}
		if _, dup := a.channels[name]; dup {
			return pay.Errorf(pay.ErrConflict, "channel", "Register: channel %q is already registered", name)
		}
		a.channels[name] = ch
		a.order = append(a.order, name)
	}
	return nil
}

// Channel returns the registered channel called name.
func (a *Aggregator) Channel(name string) (Channel, error) {
	a.mu.RLock()
	ch, ok := a.channels[name]
	a.mu.RUnlock()
	if !ok {
		return nil, Errorf(ErrUnknownChannel, "channel", "no channel %q", name)
	}
	return ch, nil
}

// Ledger returns the ledger payments are booked in.
func (a *Aggregator) Ledger() *ledger.Ledger { return a.ledger }

// SetEnabled switches a channel on or off for everyone. A disabled channel
// can't be charged; callbacks for charges it already made still apply.
func (a *Aggregator) SetEnabled(ctx context.Context, name string, enabled bool) error {
	if _, err := a.Channel(name); err != nil {
		return err
	}
	return a.store.SetEnabled(ctx, name, enabled)
}

// SetUserEnabled switches a channel on or off for one user. A channel is
// offered to a user only when it is on both system-wide and for the user
// (on unless switched off).
func (a *Aggregator) SetUserEnabled(ctx context.Context, userID, name string, enabled bool) error {
	if err := checkUserID(userID, true); err != nil {
		return err
	}
	if _, err := a.Channel(name); err != nil {
		return err
	}
	return a.store.SetUserEnabled(ctx, userID, name, enabled)
}

// ChannelInfo describes a channel as offered to a user.
type ChannelInfo struct {
	Name         string       `json:"name"`
	Capabilities Capabilities `json:"capabilities"`
	// Enabled is the system-wide switch.
	Enabled bool `json:"enabled"`
	// UserEnabled is the user's own switch (true when there's no user).
	UserEnabled bool `json:"user_enabled"`
}

// Available reports whether the user may choose the channel.
func (c ChannelInfo) Available() bool { return c.Enabled && c.UserEnabled }

// Channels lists every registered channel in failover order with its
// switches for userID (may be empty).
func (a *Aggregator) Channels(ctx context.Context, userID string) ([]ChannelInfo, error) {
	if err := checkUserID(userID, false); err != nil {
		return nil, err
	}
	system, user, err := a.store.Switches(ctx, userID)
	if err != nil {
		return nil, err
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]ChannelInfo, 0, len(a.order))
	for _, name := range a.order {
		info := ChannelInfo{Name: name, Capabilities: a.channels[name].Capabilities(), Enabled: true, UserEnabled: true}
		if on, ok := system[name]; ok {
			info.Enabled = on
		}
		if on, ok := user[name]; ok {
			info.UserEnabled = on
		}
		out = append(out, info)
	}
	return out, nil
}

// Choices lists the channels userID may choose for a scenario and currency,
// in failover order: enabled system-wide and for the user, and capable.
func (a *Aggregator) Choices(ctx context.Context, userID string, s Scenario, currency string) ([]ChannelInfo, error) {
	all, err := a.Channels(ctx, userID)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(c ChannelInfo) bool {
		return !c.Available() || !c.Capabilities.Supports(s, currency)
	}), nil
}

// choosable checks that userID may charge through name for s and currency.
func (a *Aggregator) choosable(ctx context.Context, userID, name string, s Scenario, currency string) error {
	all, err := a.Channels(ctx, userID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(all, func(c ChannelInfo) bool { return c.Name == name })
	if i < 0 {
		return Errorf(ErrUnknownChannel, "channel", "no channel %q", name)
	}
	c := all[i]
	switch {
	case !c.Enabled:
		return Errorf(ErrDisabled, "channel", "channel %q is disabled", name)
	case !c.UserEnabled:
		return Errorf(ErrDisabled, "channel", "channel %q is not enabled for this user", name)
	case !c.Capabilities.Supports(s, currency):
		return Errorf(ErrUnsupported, "channel", "channel %q does not support scenario %q in %s", name, s, currency)
	}
	return nil
}

var userIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)

func checkUserID(id string, required bool) error {
	if id == "" && !required {
		return nil
	}
	if !userIDPattern.MatchString(id) {
		return pay.Errorf(pay.ErrInvalidRequest, "user_id", "user_id must be 1-64 characters of [A-Za-z0-9_.:-]")
	}
	return nil
}
