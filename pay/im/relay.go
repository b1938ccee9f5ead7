package im

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

// Relay is the IM server as the payment subsystem and its clients see it:
// it stores opaque message bodies per conversation and forwards them,
// untouched, to the recipient named by to (a key ID, PublicKey.ID). It
// never needs to read a body, and a relay that could would learn nothing:
// every body is a sealed envelope.
type Relay interface {
	// Post hands body to the relay for the recipient to in the
	// conversation. A relay that pushes messages to their recipient fails
	// the Post with the recipient's error when the recipient refuses the
	// message (a relay-level rejection); nothing is stored then.
	Post(ctx context.Context, conversationID, to, body string) error
	// Fetch returns the conversation's messages addressed to to whose
	// sequence number is greater than after, oldest first, at most
	// MaxFetch of them.
	Fetch(ctx context.Context, conversationID, to string, after int64) ([]RelayedMessage, error)
}

// RelayedMessage is one message a relay holds: an opaque body (a sealed
// envelope's text form) for one recipient.
type RelayedMessage struct {
	// Seq orders the conversation's messages; it increases with every
	// message the relay accepts, with gaps where one was refused. Page
	// through a conversation with Fetch's after.
	Seq int64 `json:"seq"`
	// To is the recipient: the ID of the key the body is sealed to.
	To string `json:"to"`
	// Body is the message as posted.
	Body string `json:"body"`
	// At is when the relay accepted the message.
	At time.Time `json:"at"`
}

// Subscriber takes the messages a MemRelay receives for one recipient (the
// payment subsystem's Receive). An error refuses the message: Post returns
// it and the relay stores nothing.
type Subscriber func(ctx context.Context, conversationID, body string) error

// Limits of the relay, which bound what one caller can make it hold.
const (
	// MaxRelayBody is the longest body a relay accepts (64 KiB; a hybrid
	// envelope of a full prompt is a few KB).
	MaxRelayBody = 64 << 10
	// MaxFetch is the most messages one Fetch returns.
	MaxFetch = 100
	// MaxConversationMessages is the most messages a MemRelay keeps per
	// conversation; a conversation that long is refused further posts.
	MaxConversationMessages = 1000
	// maxRelayName bounds conversation IDs and recipients.
	maxRelayName = 128
)

// MemRelay is an in-memory Relay for tests, examples and the reference
// backend. Messages addressed to a recipient that subscribed (the payment
// subsystem) are pushed to the subscriber first and stored only when it
// accepts them; messages for anyone else (the devices' prompts) are stored
// for the recipient to Fetch. It is safe for concurrent use.
//
// A message pushed to a subscriber takes its sequence number when posted,
// and is stored under it once accepted, so in Messages it comes before the
// prompts the subscriber posted in answer.
type MemRelay struct {
	clock pay.Clock

	mu    sync.Mutex
	convs map[string]*relayConversation
	subs  map[string]Subscriber
}

// relayConversation is one conversation's messages, in Seq order.
type relayConversation struct {
	next     int64 // the last Seq handed out
	inflight int   // messages being pushed to a subscriber
	msgs     []RelayedMessage
}

// RelayOption configures a MemRelay.
type RelayOption func(*MemRelay) error

// WithRelayClock sets the clock that stamps RelayedMessage.At (the wall
// clock by default).
func WithRelayClock(c pay.Clock) RelayOption {
	return func(r *MemRelay) error {
		if c == nil {
			return pay.Errorf(pay.ErrInvalidRequest, "clock", "nil clock")
		}
		r.clock = c
		return nil
	}
}

// NewMemRelay returns an empty in-memory relay.
func NewMemRelay(opts ...RelayOption) (*MemRelay, error) {
	r := &MemRelay{clock: clock.System{}, convs: map[string]*relayConversation{}, subs: map[string]Subscriber{}}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(r); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Subscribe pushes every message posted to the recipient to to fn, which
// replaces an earlier subscriber of to; a nil fn unsubscribes. The payment
// subsystem subscribes with its Receive for each of its key IDs.
func (r *MemRelay) Subscribe(to string, fn Subscriber) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if fn == nil {
		delete(r.subs, to)
		return
	}
	r.subs[to] = fn
}

// Post implements Relay.
func (r *MemRelay) Post(ctx context.Context, conversationID, to, body string) error {
	_, err := r.Deliver(ctx, conversationID, to, body)
	return err
}

// Deliver is Post that also returns the stored message.
func (r *MemRelay) Deliver(ctx context.Context, conversationID, to, body string) (RelayedMessage, error) {
	if err := relayCheckPost(conversationID, to, body); err != nil {
		return RelayedMessage{}, err
	}
	if err := ctx.Err(); err != nil {
		return RelayedMessage{}, err
	}
	r.mu.Lock()
	c := r.convs[conversationID]
	if c == nil {
		c = &relayConversation{}
		r.convs[conversationID] = c
	}
	if len(c.msgs)+c.inflight >= MaxConversationMessages {
		r.mu.Unlock()
		return RelayedMessage{}, pay.Errorf(pay.ErrConflict, "conversation_id", "the conversation holds %d messages; start a new one", MaxConversationMessages)
	}
	c.next++
	m := RelayedMessage{Seq: c.next, To: to, Body: body}
	sub := r.subs[to]
	if sub == nil {
		m.At = r.clock.Now().UTC()
		c.msgs = append(c.msgs, m)
		r.mu.Unlock()
		return m, nil
	}
	c.inflight++
	r.mu.Unlock()

	// The subscriber runs without the lock: it posts its answers here.
	err := sub(ctx, conversationID, body)

	r.mu.Lock()
	defer r.mu.Unlock()
	c.inflight--
	if err != nil {
		if len(c.msgs) == 0 && c.inflight == 0 {
			delete(r.convs, conversationID)
		}
		return RelayedMessage{}, err
	}
	m.At = r.clock.Now().UTC()
	i := sort.Search(len(c.msgs), func(i int) bool { return c.msgs[i].Seq > m.Seq })
	c.msgs = slices.Insert(c.msgs, i, m)
	return m, nil
}

// Fetch implements Relay.
func (r *MemRelay) Fetch(ctx context.Context, conversationID, to string, after int64) ([]RelayedMessage, error) {
	if err := relayCheckName("conversation_id", conversationID); err != nil {
		return nil, err
	}
	if err := relayCheckName("to", to); err != nil {
		return nil, err
	}
	if after < 0 {
		return nil, pay.Errorf(pay.ErrInvalidRequest, "after", "after must not be negative")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := []RelayedMessage{}
	c := r.convs[conversationID]
	if c == nil {
		return out, nil
	}
	i := sort.Search(len(c.msgs), func(i int) bool { return c.msgs[i].Seq > after })
	for _, m := range c.msgs[i:] {
		if m.To != to {
			continue
		}
		out = append(out, m)
		if len(out) == MaxFetch {
			break
		}
	}
	return out, nil
}

// Messages returns every message the relay stores for the conversation,
// for every recipient, in Seq order: what the IM server's database would
// hold (tests scan it for plaintext).
func (r *MemRelay) Messages(conversationID string) []RelayedMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.convs[conversationID]; c != nil {
		return slices.Clone(c.msgs)
	}
	return nil
}

// Conversations returns the IDs of the conversations the relay holds,
// sorted.
func (r *MemRelay) Conversations() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := make([]string, 0, len(r.convs))
	for id, c := range r.convs {
		if len(c.msgs) > 0 {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

var _ Relay = (*MemRelay)(nil)

// relayCheckPost checks a post's arguments before the relay holds any of
// it.
func relayCheckPost(conversationID, to, body string) error {
	if err := relayCheckName("conversation_id", conversationID); err != nil {
		return err
	}
	if err := relayCheckName("to", to); err != nil {
		return err
	}
	if body == "" {
		return pay.Errorf(pay.ErrInvalidRequest, "body", "the body is empty")
	}
	if len(body) > MaxRelayBody {
		return pay.Errorf(pay.ErrPayloadTooLarge, "body", "the body is longer than %d bytes", MaxRelayBody)
	}
	return nil
}

// relayCheckName accepts conversation IDs and recipients of 1 to 128
// letters, digits and "-_.:" (what IDs and key IDs are made of), so they
// fit in paths and logs as they are.
func relayCheckName(param, s string) error {
	if s == "" || len(s) > maxRelayName {
		return pay.Errorf(pay.ErrInvalidRequest, param, "%s must be 1 to %d characters", param, maxRelayName)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == ':':
		default:
			return pay.Errorf(pay.ErrInvalidRequest, param, "%s may hold only letters, digits and -_.:", param)
		}
	}
	return nil
}
