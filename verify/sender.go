package verify

import (
	"context"
	"sync"
)

// Message is one text message to a user: an SMS one-time code, or an
// approval link for a trusted terminal (vrauth re-exports this type for
// both).
type Message struct {
	// To is the destination: an E.164 mobile number or a terminal's
	// delivery address.
	To string `json:"to"`
	// Kind says what the message is for ("otp", "approval" …).
	Kind string `json:"kind"`
	// Body is the text shown to the user. For a one-time code it carries
	// the code, so a Sender must not log it.
	Body string `json:"body"`
	// Link is the URL the message points to, when it has one.
	Link string `json:"link,omitempty"`
}

// MessageKindOTP is the Kind of one-time code messages.
const MessageKindOTP = "otp"

// Sender delivers messages: an SMS gateway in production, an Outbox in
// tests, examples and the reference backend. Implementations are safe for
// concurrent use, and their errors never quote the message body.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// outboxLimit bounds the messages an Outbox keeps; older ones are dropped.
const outboxLimit = 1000

// Outbox is an in-memory Sender that records what it is sent, for tests,
// examples and the reference backend (which has no SMS gateway). It keeps
// the latest 1000 messages. Safe for concurrent use.
type Outbox struct {
	mu   sync.Mutex
	msgs []Message
}

// NewOutbox returns an empty Outbox.
func NewOutbox() *Outbox { return &Outbox{} }

// Send records m. It fails only when ctx is done.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.msgs) == outboxLimit {
		o.msgs = append(o.msgs[:0], o.msgs[1:]...)
	}
	o.msgs = append(o.msgs, m)
	return nil
}

// Messages returns a copy of the recorded messages, oldest first.
func (o *Outbox) Messages() []Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Message(nil), o.msgs...)
}

// Last returns the latest message sent to to, and whether there is one.
func (o *Outbox) Last(to string) (Message, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.msgs) - 1; i >= 0; i-- {
		if o.msgs[i].To == to {
			return o.msgs[i], true
		}
	}
	return Message{}, false
}
