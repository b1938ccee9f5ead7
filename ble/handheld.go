package ble

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// Defaults of the handheld's delivery.
const (
	// DefaultDeadline is how long Send tries to deliver one receipt.
	DefaultDeadline = 30 * time.Second
	// DefaultRetransmit is how long Send first waits for an ack before it
	// sends the receipt again; each wait doubles, up to
	// DefaultMaxRetransmit.
	DefaultRetransmit    = 250 * time.Millisecond
	DefaultMaxRetransmit = 4 * time.Second
)

// handheldMaxMessage is the longest message a handheld reassembles: a
// pairing response (43 bytes) or an ack.
const handheldMaxMessage = 64

// Handheld sends receipts to its collection host over a link, one at a
// time (stop-and-wait), so the host sees the counters in order. Send is
// safe for concurrent use: concurrent calls queue. The Handheld prints
// without its keys.
type Handheld struct {
	link Link
	cfg  handheldConfig
	turn chan struct{} // holds one token: the right to use the link
	re   *Reassembler  // used only while holding turn

	mu          sync.Mutex
	p           HandheldPairing
	undelivered []Receipt
}

type handheldConfig struct {
	deadline      time.Duration
	first, max    time.Duration
	onUndelivered func(Receipt, error)
	persist       func(context.Context, HandheldPairing) error
}

// HandheldOption configures NewHandheld and PairOver.
type HandheldOption func(*handheldConfig) error

// WithDeadline sets how long Send tries to deliver one receipt (default
// DefaultDeadline); after it the receipt is undelivered.
func WithDeadline(d time.Duration) HandheldOption {
	return func(c *handheldConfig) error {
		if d <= 0 {
			return pay.Errorf(pay.ErrInvalidRequest, "deadline", "the deadline must be positive")
		}
		c.deadline = d
		return nil
	}
}

// WithRetransmit sets the first wait for an ack before sending again, and
// the cap of the doubling waits (defaults DefaultRetransmit and
// DefaultMaxRetransmit). Keep the first above the link's round trip.
func WithRetransmit(first, max time.Duration) HandheldOption {
	return func(c *handheldConfig) error {
		if first <= 0 || max < first {
			return pay.Errorf(pay.ErrInvalidRequest, "retransmit", "the waits must satisfy 0 < first ≤ max")
		}
		c.first, c.max = first, max
		return nil
	}
}

// OnUndelivered calls f for each receipt Send gives up on, with the
// reason (it matches ErrUndelivered). f runs on Send's goroutine before
// Send returns.
func OnUndelivered(f func(Receipt, error)) HandheldOption {
	return func(c *handheldConfig) error { c.onUndelivered = f; return nil }
}

// WithPersist calls f with the pairing whenever its counter advances,
// before the receipt with that counter goes out, so that a handheld
// restarted from what f stored never uses a counter twice (the host would
// take the receipt for a replay). If f fails, Send fails and the counter
// is not used.
func WithPersist(f func(context.Context, HandheldPairing) error) HandheldOption {
	return func(c *handheldConfig) error { c.persist = f; return nil }
}

func newHandheldConfig(opts []HandheldOption) (handheldConfig, error) {
	c := handheldConfig{deadline: DefaultDeadline, first: DefaultRetransmit, max: DefaultMaxRetransmit}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return handheldConfig{}, err
		}
	}
	return c, nil
}

// NewHandheld returns a handheld that sends receipts under pairing p over
// link. p is usually what PairOver (or PendingPairing.Finish) returned, or
// what WithPersist stored; its Counter is the last one used.
func NewHandheld(link Link, p HandheldPairing, opts ...HandheldOption) (*Handheld, error) {
	if link == nil {
		return nil, pay.Errorf(pay.ErrInvalidRequest, "link", "the link is nil")
	}
	if p.Pairing == 0 {
		return nil, pay.Errorf(pay.ErrInvalidRequest, "pairing", "the pairing has number 0")
	}
	if len(p.ReceiptKey) < MinReceiptKeyLen || len(p.AckKey) < MinReceiptKeyLen {
		return nil, pay.Errorf(pay.ErrInvalidRequest, "pairing", "the pairing's keys must be at least %d bytes", MinReceiptKeyLen)
	}
	c, err := newHandheldConfig(opts)
	if err != nil {
		return nil, err
	}
	p.ReceiptKey = Key(append([]byte(nil), p.ReceiptKey...))
	p.AckKey = Key(append([]byte(nil), p.AckKey...))
	h := &Handheld{link: link, cfg: c, turn: make(chan struct{}, 1), re: NewReassembler(handheldMaxMessage), p: p}
	h.turn <- struct{}{}
	return h, nil
}

// Pairing returns the pairing as it stands, Counter included (its keys are
// copies).
func (h *Handheld) Pairing() HandheldPairing {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.p
	p.ReceiptKey = Key(append([]byte(nil), p.ReceiptKey...))
	p.AckKey = Key(append([]byte(nil), p.AckKey...))
	return p
}

// Undelivered returns the receipts Send gave up on so far, oldest first,
// with the counters they were sent under (a copy). The host may have shown
// one whose acks were all lost; one sent again gets a new counter.
func (h *Handheld) Undelivered() []Receipt {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Receipt(nil), h.undelivered...)
}

// String describes the handheld without its keys.
func (h *Handheld) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return fmt.Sprintf("ble.Handheld{%q → host %q, pairing %d, counter %d}", h.p.HandheldID, h.p.HostID, h.p.Pairing, h.p.Counter)
}

// Format prints String for every verb.
func (h *Handheld) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, h.String()) }

// LogValue is String.
func (h *Handheld) LogValue() slog.Value { return slog.StringValue(h.String()) }

// Send delivers r to the host: it gives r the pairing's next counter
// (r.Counter is ignored), encodes and MACs it, sends its fragments at the
// link's MTU, and waits for the host's ack of that counter, sending again
// after each wait (doubling, capped; WithRetransmit) until the ack arrives
// or the deadline (WithDeadline) passes. Acks that don't verify (forged,
// under another pairing, for another counter) are ignored.
//
// Given up on, r is recorded (Undelivered, OnUndelivered) and Send returns
// an error matching ErrUndelivered (and ctx's error, when ctx ended first,
// or ErrLinkClosed). A receipt that can't be encoded is refused before it
// takes a counter (pay.ErrInvalidRequest). Concurrent calls wait their
// turn; one whose ctx ends while waiting returns ctx's error and sends
// nothing.
func (h *Handheld) Send(ctx context.Context, r Receipt) error {
	select {
	case <-h.turn:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { h.turn <- struct{}{} }()

	h.mu.Lock()
	p := h.p
	h.mu.Unlock()
	r.Counter = p.Counter + 1
	msg, err := EncodeReceipt(r, p.Pairing, p.ReceiptKey)
	if err != nil {
		return err
	}
	if _, err := Fragment(CmdReceipt, msg, h.link.MTU()); err != nil {
		return err
	}
	p.Counter = r.Counter
	if h.cfg.persist != nil {
		if err := h.cfg.persist(ctx, p); err != nil {
			return err
		}
	}
	h.mu.Lock()
	h.p.Counter = r.Counter
	h.mu.Unlock()

	dctx, cancel := context.WithTimeout(ctx, h.cfg.deadline)
	defer cancel()
	cause := deliver(dctx, h.link, h.re, CmdReceipt, msg, h.cfg, func(cmd byte, msg []byte) bool {
		if cmd != CmdAck {
			return false
		}
		c, err := decodeAck(msg, p.AckKey, p.Pairing)
		return err == nil && c == r.Counter
	})
	if cause == nil {
		return nil
	}
	if ctx.Err() != nil {
		cause = ctx.Err()
	}
	uerr := pay.Errorf(ErrUndelivered, "counter", "receipt %d was not acknowledged", r.Counter).Wrap(cause)
	h.mu.Lock()
	h.undelivered = append(h.undelivered, r)
	h.mu.Unlock()
	if h.cfg.onUndelivered != nil {
		h.cfg.onUndelivered(r, uerr)
	}
	return uerr
}

// deliver sends msg as cmd, fragmented at the link's current MTU, and waits
// for a message answered says is the answer, sending again after each
// wait, until answered or ctx ends
// (returning ctx.Err()) or the link closes (ErrLinkClosed). Other errors
// of the link count as a lost attempt.
func deliver(ctx context.Context, link Link, re *Reassembler, cmd byte, msg []byte, c handheldConfig, answered func(cmd byte, msg []byte) bool) error {
	wait := c.first
	for {
		// Fragment at every attempt: a reconnected link may have
		// negotiated another MTU.
		chunks, err := Fragment(cmd, msg, link.MTU())
		if err != nil {
			return err
		}
		for _, ch := range chunks {
			if err := link.Send(ctx, ch); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if errors.Is(err, ErrLinkClosed) {
					return err
				}
				break // a failed attempt: wait and try again
			}
		}
		ok, err := await(ctx, link, re, wait, answered)
		if ok {
			return nil
		}
		if err != nil {
			return err
		}
		// Jitter keeps two handhelds that collided on one host from
		// retransmitting in step.
		wait = min(2*wait, c.max)
		wait = wait/2 + rand.N(wait/2+1)
	}
}

// await reads chunks for up to wait, reassembling them, until one
// completes a message answered accepts (true). It returns false, nil when
// the wait passes, and an error when ctx ends or the link closes. A link
// error of another kind ends the wait early, as if it had passed.
func await(ctx context.Context, link Link, re *Reassembler, wait time.Duration, answered func(cmd byte, msg []byte) bool) (bool, error) {
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for {
		chunk, err := link.Recv(wctx)
		if err != nil {
			switch {
			case ctx.Err() != nil:
				return false, ctx.Err()
			case errors.Is(err, ErrLinkClosed):
				return false, err
			case wctx.Err() == nil:
				<-wctx.Done() // don't spin on a failing link
			}
			return false, nil
		}
		cmd, msg, done, _ := re.Add(chunk)
		if done && answered(cmd, msg) {
			return true, nil
		}
	}
}

// PairOver runs the handheld's side of a pairing over link: it answers the
// scanned offer (Pair), sends the request, and waits for the host's
// response, sending again after each wait (WithRetransmit) until ctx ends.
// It returns the completed pairing: show its Code to the merchant, and use
// it (NewHandheld) only once the merchant saw the host show the same code
// and confirmed there. Responses that don't complete the pairing (for
// another offer, not opening the commitment, a bad MAC) are ignored.
func PairOver(ctx context.Context, link Link, offer Offer, handheldID string, opts ...HandheldOption) (HandheldPairing, error) {
	c, err := newHandheldConfig(opts)
	if err != nil {
		return HandheldPairing{}, err
	}
	pending, req, err := Pair(offer, handheldID)
	if err != nil {
		return HandheldPairing{}, err
	}
	if _, err := Fragment(CmdPairRequest, req.Bytes(), link.MTU()); err != nil {
		return HandheldPairing{}, err
	}
	var done HandheldPairing
	err = deliver(ctx, link, NewReassembler(handheldMaxMessage), CmdPairRequest, req.Bytes(), c, func(cmd byte, msg []byte) bool {
		if cmd != CmdPairResponse {
			return false
		}
		resp, err := ParsePairResponse(msg)
		if err != nil {
			return false
		}
		p, err := pending.Finish(resp)
		if err != nil {
			return false
		}
		done = p
		return true
	})
	if err != nil {
		return HandheldPairing{}, pay.Errorf(ErrPairing, "response", "the host did not answer the pairing request").Wrap(err)
	}
	return done, nil
}
