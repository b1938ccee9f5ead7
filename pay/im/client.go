package im

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

// HTTPRelay is a Relay over the relay's HTTP routes (RelayRoutes), spoken
// through a pay.Client (retries with one idempotency key per post).
type HTTPRelay struct{ pc *pay.Client }

// NewHTTPRelay returns a relay speaking through pc.
func NewHTTPRelay(pc *pay.Client) *HTTPRelay { return &HTTPRelay{pc: pc} }

func relayPath(conversationID string) string {
	return "/v1/im/conversations/" + url.PathEscape(conversationID) + "/messages"
}

// Post implements Relay. A post the payment subsystem refused fails with
// its error (ErrOpen, ErrMalformed …).
func (h *HTTPRelay) Post(ctx context.Context, conversationID, to, body string) error {
	var out Posted
	return h.pc.Post(ctx, relayPath(conversationID), RelayPostRequest{To: to, Body: body}, &out)
}

// Fetch implements Relay.
func (h *HTTPRelay) Fetch(ctx context.Context, conversationID, to string, after int64) ([]RelayedMessage, error) {
	var out pay.List[RelayedMessage]
	q := url.Values{"to": {to}, "after": {strconv.FormatInt(after, 10)}}
	if err := h.pc.Get(ctx, relayPath(conversationID)+"?"+q.Encode(), &out); err != nil {
		return nil, err
	}
	return out.Data, nil
}

var _ Relay = (*HTTPRelay)(nil)

// FetchKeys reads the subsystem's published keys (GET /v1/im/key). A
// client that can should pin them instead of trusting the backend it
// fetches them from each time.
func FetchKeys(ctx context.Context, pc *pay.Client) (PublishedKeys, error) {
	var out PublishedKeys
	return out, pc.Get(ctx, "/v1/im/key", &out)
}

// Client is what an IM client (a device) uses: it seals requests to the
// payment subsystem and posts them through the HTTP relay, and fetches and
// opens the prompts sealed back to it, checking the subsystem's signature.
// It also registers the device and sets the customer's payment password.
// A Client is safe for concurrent use.
type Client struct {
	pc       *pay.Client
	relay    Relay
	deviceID string
	signer   ed25519.PrivateKey
	sealKey  *PrivateKey
	sub      SubsystemKey
	clock    pay.Clock

	mu   sync.Mutex
	seen map[string]seenPrompt // prompts opened, by message ID
}

// seenPrompt is where and when a prompt was first delivered: the same
// message ID at another relay position is a replay.
type seenPrompt struct {
	conversation string
	seq          int64
	at           time.Time
}

// ClientOption configures a Client.
type ClientOption func(*Client) error

// WithClientClock sets the clock that stamps requests (the wall clock by
// default); the subsystem refuses a request more than MaxAge old.
func WithClientClock(c pay.Clock) ClientOption {
	return func(cl *Client) error {
		if c == nil {
			return pay.Errorf(pay.ErrInvalidRequest, "clock", "nil clock")
		}
		cl.clock = c
		return nil
	}
}

// NewClient returns the client of device deviceID, which signs with signer
// and opens prompts with sealKey, talking to the subsystem whose keys are
// subsystem (FetchKeys, PublishedKeys.For) through the backend behind pc.
func NewClient(pc *pay.Client, deviceID string, signer ed25519.PrivateKey, sealKey *PrivateKey, subsystem SubsystemKey, opts ...ClientOption) (*Client, error) {
	switch {
	case pc == nil:
		return nil, pay.Errorf(pay.ErrInvalidRequest, "pc", "nil pay.Client")
	case len(signer) != ed25519.PrivateKeySize:
		return nil, pay.Errorf(pay.ErrInvalidRequest, "signer", "the signer is not an Ed25519 private key")
	case sealKey == nil:
		return nil, pay.Errorf(pay.ErrInvalidRequest, "seal_key", "nil seal key")
	case subsystem.SealKey.IsZero() || len(subsystem.SigningKey) != ed25519.PublicKeySize:
		return nil, pay.Errorf(pay.ErrInvalidRequest, "subsystem", "the subsystem's seal and signing keys are required")
	case !validWireID(deviceID) || deviceID == SubsystemSender:
		return nil, pay.Errorf(pay.ErrInvalidRequest, "device_id", "not a device ID")
	}
	c := &Client{
		pc: pc, relay: NewHTTPRelay(pc), deviceID: deviceID, signer: slices.Clone(signer), sealKey: sealKey,
		sub:   SubsystemKey{SealKey: subsystem.SealKey, SigningKey: slices.Clone(subsystem.SigningKey)},
		clock: clock.System{}, seen: map[string]seenPrompt{},
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Register registers the device for customerID with its keys.
func (c *Client) Register(ctx context.Context, customerID string, opts ...pay.CallOption) (Device, error) {
	in := RegisterDeviceRequest{
		ID: c.deviceID, CustomerID: customerID,
		SigningKey: c.signer.Public().(ed25519.PublicKey), SealKey: c.sealKey.Public(),
	}
	var out Device
	return out, c.pc.Post(ctx, "/v1/im/devices", in, &out, opts...)
}

// SetPassword presets the customer's payment password (once).
func (c *Client) SetPassword(ctx context.Context, customerID, password string, opts ...pay.CallOption) error {
	var out OK
	return c.pc.Post(ctx, "/v1/im/customers/"+url.PathEscape(customerID)+"/password", PasswordRequest{Password: password}, &out, opts...)
}

// Seal seals req as the device's next message in the conversation and
// returns the envelope's text and its message ID, without sending it.
func (c *Client) Seal(conversationID string, req Request) (body, messageID string, err error) {
	payload, err := EncodeRequest(req)
	if err != nil {
		return "", "", err
	}
	h := Header{MessageID: NewMessageID(), ConversationID: conversationID, SenderID: c.deviceID, Timestamp: c.clock.Now()}
	body, err = Seal(h, c.sub.SealKey, c.signer, payload)
	return body, h.MessageID, err
}

// Send seals req and posts it to the subsystem through the relay. An error
// is the relay's refusal (the subsystem could not open the message) or a
// transport failure; the subsystem's answer, an error included, comes as a
// prompt (Prompts).
func (c *Client) Send(ctx context.Context, conversationID string, req Request) error {
	body, _, err := c.Seal(conversationID, req)
	if err != nil {
		return err
	}
	return c.relay.Post(ctx, conversationID, c.sub.SealKey.ID(), body)
}

// Delivered is one message the relay delivered to the device: its
// sequence number (page with it), and either the opened prompt with its
// verified header, or Err saying why it is not a prompt from the subsystem.
type Delivered struct {
	Seq    int64
	At     time.Time
	Header Header
	Prompt Prompt
	Err    error
}

// Fetch returns the messages addressed to the device in the conversation
// after the sequence number after (at most MaxFetch), each opened with the
// device's key and checked: signed by the subsystem, for this conversation
// and this key, fresh (MaxAge), its message ID not delivered before at
// another position (a replay, across calls), and a valid
// prompt. A message that fails a check has Err set (ErrOpen, ErrSignature,
// ErrUnknownDevice, ErrMalformed, ErrStale, ErrReplay).
func (c *Client) Fetch(ctx context.Context, conversationID string, after int64) ([]Delivered, error) {
	msgs, err := c.relay.Fetch(ctx, conversationID, c.sealKey.Public().ID(), after)
	if err != nil {
		return nil, err
	}
	out := make([]Delivered, 0, len(msgs))
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	for id, sp := range c.seen {
		if now.Sub(sp.at) > MaxAge+MaxSkew+time.Minute {
			delete(c.seen, id)
		}
	}
	for _, m := range msgs {
		d := Delivered{Seq: m.Seq, At: m.At}
		d.Header, d.Prompt, d.Err = c.open(conversationID, m.Body)
		if d.Err == nil {
			first, ok := c.seen[d.Header.MessageID]
			switch {
			case !ok:
				c.seen[d.Header.MessageID] = seenPrompt{conversation: conversationID, seq: m.Seq, at: d.Header.Timestamp}
			case first.conversation != conversationID || first.seq != m.Seq:
				d.Prompt, d.Err = Prompt{}, pay.Errorf(ErrReplay, "message_id", "the relay delivered this prompt again")
			}
		}
		out = append(out, d)
	}
	return out, nil
}

// Prompts returns the prompts from the subsystem in the conversation after
// the sequence number after, oldest first. Messages that are not prompts
// from the subsystem (anyone may post to a relay) are left out; Fetch
// shows them with the reason.
func (c *Client) Prompts(ctx context.Context, conversationID string, after int64) ([]Prompt, error) {
	ds, err := c.Fetch(ctx, conversationID, after)
	if err != nil {
		return nil, err
	}
	out := make([]Prompt, 0, len(ds))
	for _, d := range ds {
		if d.Err == nil {
			out = append(out, d.Prompt)
		}
	}
	return out, nil
}

// open opens a prompt envelope and checks its header.
func (c *Client) open(conversationID, body string) (Header, Prompt, error) {
	env, err := ParseEnvelope(body)
	if err != nil {
		return Header{}, Prompt{}, err
	}
	payload, err := env.Open(c.sealKey, func(id string) (ed25519.PublicKey, error) {
		if id != SubsystemSender {
			return nil, errors.New("im: a prompt not sent by the subsystem")
		}
		return c.sub.SigningKey, nil
	})
	if err != nil {
		return Header{}, Prompt{}, err
	}
	if env.Header.ConversationID != conversationID {
		return Header{}, Prompt{}, pay.Errorf(ErrMalformed, "conversation_id", "the prompt belongs to another conversation")
	}
	if now := c.clock.Now(); now.Sub(env.Header.Timestamp) > MaxAge || env.Header.Timestamp.Sub(now) > MaxSkew {
		return Header{}, Prompt{}, pay.Errorf(ErrStale, "timestamp", "the prompt is older than %v or from the future", MaxAge)
	}
	p, err := DecodePrompt(payload)
	if err != nil {
		return Header{}, Prompt{}, err
	}
	return env.Header, p, nil
}

// SealKey returns the device's public seal key (what it registers).
func (c *Client) SealKey() PublicKey { return c.sealKey.Public() }

// SigningKey returns the device's public signing key (what it registers).
func (c *Client) SigningKey() ed25519.PublicKey {
	return bytes.Clone(c.signer.Public().(ed25519.PublicKey))
}
