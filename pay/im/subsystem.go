package im

import (
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/internal/passwd"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/account"
	"github.com/paykit-go/paykit/verify"
)

// Freshness of requests. A request sealed more than MaxAge ago, or more
// than MaxSkew ahead of the subsystem's clock, is refused as ErrStale; a
// message ID is remembered for MaxAge plus a margin after its timestamp, so
// that a replay is refused as ErrReplay while it is fresh and as ErrStale
// after.
const (
	MaxAge       = 5 * time.Minute
	MaxSkew      = 30 * time.Second
	replayMargin = time.Minute
)

// Subsystem is the payment subsystem, the engine of this package: it
// receives sealed requests from the relay, checks that each is authentic
// (it opens under one of the subsystem's keys and is signed by a registered
// device), fresh and not a replay, runs the customer's conversation
// against the account platform (list the arrears, choose a bill, check the
// payment account, the amount and the payment password, pay the bill) and
// answers every step with a prompt sealed to the device, posted through
// the relay.
//
// A request that can't be opened or authenticated is refused to the relay
// (Receive returns the error, so the relay stores nothing); any other
// refusal is a sealed error prompt, and nothing is deducted or cleared.
// A Subsystem is safe for concurrent use.
type Subsystem struct {
	platform  *account.Platform
	keys      []*PrivateKey // keys[0] is the primary key
	signer    ed25519.PrivateKey
	clock     pay.Clock
	passwords *passwd.Store
	relay     Relay
	store     Store
	log       *slog.Logger
	bills     gates // pay requests, one bill at a time
}

// Option configures a Subsystem.
type Option func(*Subsystem) error

// WithClock sets the clock freshness and records read (the wall clock by
// default). It is also the default password store's clock.
func WithClock(c pay.Clock) Option {
	return func(s *Subsystem) error {
		if c == nil {
			return pay.Errorf(pay.ErrInvalidRequest, "clock", "nil clock")
		}
		s.clock = c
		return nil
	}
}

// WithPasswords sets the payment password store (by default a new
// passwd.Store on the subsystem's clock). Subjects are customer IDs.
func WithPasswords(p *passwd.Store) Option {
	return func(s *Subsystem) error {
		if p == nil {
			return pay.Errorf(pay.ErrInvalidRequest, "passwords", "nil password store")
		}
		s.passwords = p
		return nil
	}
}

// WithRelay sets the relay prompts are posted through. The caller delivers
// the relay's messages for the subsystem's keys to Receive (a MemRelay:
// Subscribe each of Keys' IDs). By default the subsystem makes its own
// MemRelay, subscribed to all its keys (Relay returns it).
func WithRelay(r Relay) Option {
	return func(s *Subsystem) error {
		if r == nil {
			return pay.Errorf(pay.ErrInvalidRequest, "relay", "nil relay")
		}
		s.relay = r
		return nil
	}
}

// WithStore sets where devices, conversations and accepted message IDs
// persist (NewMemStore by default).
func WithStore(st Store) Option {
	return func(s *Subsystem) error {
		if st == nil {
			return pay.Errorf(pay.ErrInvalidRequest, "store", "nil store")
		}
		s.store = st
		return nil
	}
}

// WithKey adds a key the subsystem opens requests with, besides the one
// NewSubsystem takes: a key of the other suite (clients choose), or the
// previous key while clients move to a new one.
func WithKey(k *PrivateKey) Option {
	return func(s *Subsystem) error {
		if k == nil {
			return pay.Errorf(pay.ErrInvalidRequest, "key", "nil key")
		}
		s.keys = append(s.keys, k)
		return nil
	}
}

// WithLogger logs refused requests and registrations through l (off by
// default). Logs name conversations, devices and error codes, never a
// password, key or message body.
func WithLogger(l *slog.Logger) Option {
	return func(s *Subsystem) error {
		if l == nil {
			return pay.Errorf(pay.ErrInvalidRequest, "logger", "nil logger")
		}
		s.log = l
		return nil
	}
}

// NewSubsystem returns the payment subsystem for the bills of platform. key
// is the HPKE key clients seal requests to; signer is the Ed25519 key the
// subsystem signs its prompts with (clients check them with its public
// half, SigningKey).
func NewSubsystem(platform *account.Platform, key *PrivateKey, signer ed25519.PrivateKey, opts ...Option) (*Subsystem, error) {
	if platform == nil {
		return nil, pay.Errorf(pay.ErrInvalidRequest, "platform", "nil account platform")
	}
	if key == nil {
		return nil, pay.Errorf(pay.ErrInvalidRequest, "key", "nil key")
	}
	if len(signer) != ed25519.PrivateKeySize {
		return nil, pay.Errorf(pay.ErrInvalidRequest, "signer", "the signer is not an Ed25519 private key")
	}
	s := &Subsystem{
		platform: platform, keys: []*PrivateKey{key}, signer: slices.Clone(signer),
		clock: clock.System{}, log: slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(s); err != nil {
			return nil, err
		}
	}
	seen := map[string]bool{}
	for _, k := range s.keys {
		if seen[k.Public().ID()] {
			return nil, pay.Errorf(pay.ErrInvalidRequest, "key", "the key %s is given twice", k.Public())
		}
		seen[k.Public().ID()] = true
	}
	if s.store == nil {
		s.store = NewMemStore()
	}
	if s.passwords == nil {
		p, err := passwd.NewStore(passwd.WithClock(s.clock))
		if err != nil {
			return nil, pay.Errorf(pay.ErrInternal, "", "the password store could not be made").Wrap(err)
		}
		s.passwords = p
	}
	if s.relay == nil {
		r, err := NewMemRelay(WithRelayClock(s.clock))
		if err != nil {
			return nil, err
		}
		for _, k := range s.keys {
			r.Subscribe(k.Public().ID(), s.Receive)
		}
		s.relay = r
	}
	return s, nil
}

// Keys returns the public keys clients may seal requests to, the primary
// key first.
func (s *Subsystem) Keys() []PublicKey {
	out := make([]PublicKey, len(s.keys))
	for i, k := range s.keys {
		out[i] = k.Public()
	}
	return out
}

// SigningKey returns the key that verifies the subsystem's prompts.
func (s *Subsystem) SigningKey() ed25519.PublicKey {
	return slices.Clone(s.signer.Public().(ed25519.PublicKey))
}

// Relay returns the relay the subsystem posts prompts through.
func (s *Subsystem) Relay() Relay { return s.relay }

// Platform returns the account platform whose bills the subsystem pays.
func (s *Subsystem) Platform() *account.Platform { return s.platform }

// SetPassword presets a customer's payment password, once (6 to 64
// characters, not 6 equal or consecutive digits). It is kept as an
// Argon2id hash in the password store; errors are verify's (see
// verify.PasswordError) and never contain the password.
func (s *Subsystem) SetPassword(ctx context.Context, customerID, password string) error {
	if _, err := s.platform.Customer(ctx, customerID); err != nil {
		return err
	}
	return verify.PasswordError(s.passwords.Set(ctx, customerID, password))
}

// Receive takes one message from the relay (it is the relay's Subscriber):
// it parses the envelope, checks that it was posted to the conversation
// its header names and sealed to one of the subsystem's keys, opens it
// with the sending device's key, and then answers with a prompt sealed to
// the device: the next step of the conversation, or an error prompt for a
// stale, replayed, malformed or refused request.
//
// Receive returns an error, and sends nothing, when the message is not an
// envelope, was sealed to another key, was altered, or is not signed by a
// registered device: the relay refuses it. It also returns the relay's
// error when the prompt can't be posted; what the request did stands then
// (a bill paid stays paid), and a new start shows the arrears as they are.
func (s *Subsystem) Receive(ctx context.Context, conversationID, body string) error {
	env, err := ParseEnvelope(body)
	if err != nil {
		return s.reject(ctx, conversationID, err)
	}
	h := env.Header
	if h.ConversationID != conversationID {
		return s.reject(ctx, conversationID, pay.Errorf(ErrMalformed, "conversation_id", "the message belongs to another conversation"))
	}
	k := s.key(h.To)
	if k == nil {
		return s.reject(ctx, conversationID, pay.Errorf(ErrOpen, "to", "the message is sealed to a key the payment subsystem does not hold"))
	}
	var dev Device
	payload, err := env.Open(k, func(id string) (ed25519.PublicKey, error) {
		if id == SubsystemSender {
			return nil, pay.Errorf(pay.ErrNotFound, "sender_id", "no such device")
		}
		d, err := s.store.Device(ctx, id)
		dev = d
		return d.SigningKey, err
	})
	if err != nil {
		return s.reject(ctx, conversationID, err)
	}
	p := s.answer(ctx, dev, h, payload)
	p.InReplyTo = h.MessageID
	if p.Kind == PromptError {
		s.log.InfoContext(ctx, "im: request refused", "conversation_id", conversationID, "device_id", dev.ID, "code", p.Code)
	}
	return s.send(ctx, dev, conversationID, p)
}

// reject logs a relay-level rejection and returns err.
func (s *Subsystem) reject(ctx context.Context, conversationID string, err error) error {
	code := pay.ErrInternal.Code
	var pe *pay.Error
	if errors.As(err, &pe) {
		code = pe.Code
	}
	s.log.InfoContext(ctx, "im: message rejected", "conversation_id", pay.Clip(conversationID, 128), "code", code)
	return err
}

// key returns the subsystem's key with the ID, or nil.
func (s *Subsystem) key(id string) *PrivateKey {
	for _, k := range s.keys {
		if k.Public().ID() == id {
			return k
		}
	}
	return nil
}

// answer checks an authentic request's freshness and replay, decodes it and
// runs its step. Once a message is accepted (remembered), every outcome is
// a prompt.
func (s *Subsystem) answer(ctx context.Context, dev Device, h Header, payload []byte) Prompt {
	now := s.clock.Now()
	if age := now.Sub(h.Timestamp); age > MaxAge || age < -MaxSkew {
		return ErrorPrompt(pay.Errorf(ErrStale, "timestamp", "the message was sealed more than %s ago or more than %s ahead; send it again", MaxAge, MaxSkew))
	}
	fresh, err := s.store.Remember(ctx, dev.ID+"/"+h.MessageID, now, h.Timestamp.Add(MaxAge+replayMargin))
	if err != nil {
		return ErrorPrompt(s.internal(ctx, "remembering a message ID", err))
	}
	if !fresh {
		return ErrorPrompt(pay.Errorf(ErrReplay, "message_id", "this message was already received"))
	}
	req, err := DecodeRequest(payload)
	if err != nil {
		return ErrorPrompt(err)
	}
	if req.CustomerID != dev.CustomerID {
		return ErrorPrompt(pay.Errorf(ErrCustomer, "customer_id", "this device pays for another customer"))
	}
	p, err := s.step(ctx, dev, h.ConversationID, req)
	if err != nil {
		return ErrorPrompt(err)
	}
	return p
}

// send seals p to the device and posts it to the conversation.
func (s *Subsystem) send(ctx context.Context, dev Device, conversationID string, p Prompt) error {
	payload, err := EncodePrompt(p)
	if err != nil {
		return s.internal(ctx, "encoding a prompt", err)
	}
	h := Header{MessageID: NewMessageID(), ConversationID: conversationID, SenderID: SubsystemSender, Timestamp: s.clock.Now()}
	body, err := Seal(h, dev.SealKey, s.signer, payload)
	if err != nil {
		return s.internal(ctx, "sealing a prompt", err)
	}
	return s.relay.Post(ctx, conversationID, dev.SealKey.ID(), body)
}

// internal logs a failure of the subsystem's own machinery and returns
// pay.ErrInternal, which says nothing about it; a context error is returned
// as it is.
func (s *Subsystem) internal(ctx context.Context, what string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	s.log.ErrorContext(ctx, "im: "+what+" failed", "err", err)
	return pay.Errorf(pay.ErrInternal, "", "the payment subsystem failed; try again").Wrap(err)
}
