package ble

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

// DefaultOfferTTL is how long a pairing offer stays open: the handheld must
// answer it and the merchant confirm the codes within it.
const DefaultOfferTTL = 5 * time.Minute

// hostMaxMessage is the longest message a host reassembles: its largest
// is a pairing request (35 bytes and a 32-byte ID).
const hostMaxMessage = 128

// Host is the collection host: it pairs with handhelds, and shows and beeps
// the receipts they send, each once, only after it verified. Serve it on
// every link a handheld connects over; it is safe for concurrent use.
type Host struct {
	id      string
	display Display
	buzzer  Buzzer
	store   PairingStore
	clock   pay.Clock
	ttl     time.Duration
	maxAge  time.Duration
	onCode  func(pairing uint16, handheldID, code string)

	mu     sync.Mutex
	offers map[uint16]*PairingOffer // open offers by pairing number
	states map[uint16]*pairState    // per known pairing

	stats hostCounters
}

// pairState serializes a pairing's receipts across links, and remembers
// the highest counter shown in this process, so a receipt is never shown
// twice even when the store failed to record its counter.
type pairState struct {
	mu    sync.Mutex
	shown uint64
}

// HostOption configures NewHost.
type HostOption func(*Host) error

// WithPairingStore sets where the host keeps its pairings (default: a new
// MemPairings, lost on restart).
func WithPairingStore(s PairingStore) HostOption {
	return func(h *Host) error {
		if s == nil {
			return pay.Errorf(pay.ErrInvalidRequest, "store", "the pairing store is nil")
		}
		h.store = s
		return nil
	}
}

// WithClock sets the clock offers expire and pairings are dated by
// (default: the system clock).
func WithClock(c pay.Clock) HostOption {
	return func(h *Host) error {
		if c == nil {
			return pay.Errorf(pay.ErrInvalidRequest, "clock", "the clock is nil")
		}
		h.clock = c
		return nil
	}
}

// DefaultMaxReceiptAge is how old a receipt (its payment time) may be
// when it first reaches the host; MaxReceiptSkew how far in the future.
const (
	DefaultMaxReceiptAge = 15 * time.Minute
	MaxReceiptSkew       = time.Minute
)

// WithMaxReceiptAge sets how old a new receipt may be and still be shown
// (default DefaultMaxReceiptAge, 1 minute to 24 hours). Older ones are
// dropped unacknowledged, so a recorded receipt the host never acked
// can't be played back to it later; the handheld reports them
// undelivered.
func WithMaxReceiptAge(d time.Duration) HostOption {
	return func(h *Host) error {
		if d < time.Minute || d > 24*time.Hour {
			return pay.Errorf(pay.ErrInvalidRequest, "max_age", "the receipt age limit must be 1 minute to 24 hours")
		}
		h.maxAge = d
		return nil
	}
}

// WithOfferTTL sets how long a pairing offer stays open (default
// DefaultOfferTTL; 10 s to 1 h).
func WithOfferTTL(d time.Duration) HostOption {
	return func(h *Host) error {
		if d < 10*time.Second || d > time.Hour {
			return pay.Errorf(pay.ErrInvalidRequest, "offer_ttl", "the offer TTL must be 10s to 1h")
		}
		h.ttl = d
		return nil
	}
}

// OnPairingCode calls f when the host accepted a handheld's pairing
// request, with the confirmation code to show the merchant next to the
// handheld's. f runs on the goroutine that accepted the request (Serve's)
// and must not block; the code is also available from PairingOffer.Code.
func OnPairingCode(f func(pairing uint16, handheldID, code string)) HostOption {
	return func(h *Host) error { h.onCode = f; return nil }
}

// NewHost returns a host named id (1 to MaxIDLen printable ASCII
// characters, shown in its pairing QR) that shows receipts on display and
// beeps them on buzzer.
func NewHost(id string, display Display, buzzer Buzzer, opts ...HostOption) (*Host, error) {
	if err := checkID("host_id", id); err != nil {
		return nil, err
	}
	if display == nil || buzzer == nil {
		return nil, pay.Errorf(pay.ErrInvalidRequest, "display", "the host needs a display and a buzzer")
	}
	h := &Host{
		id: id, display: display, buzzer: buzzer,
		clock: clock.System{}, ttl: DefaultOfferTTL, maxAge: DefaultMaxReceiptAge,
		offers: map[uint16]*PairingOffer{}, states: map[uint16]*pairState{},
	}
	for _, o := range opts {
		if err := o(h); err != nil {
			return nil, err
		}
	}
	if h.store == nil {
		h.store = NewMemPairings()
	}
	return h, nil
}

// ID returns the host's ID.
func (h *Host) ID() string { return h.id }

// String describes the host; it holds keys only inside open offers, which
// it does not print.
func (h *Host) String() string { return fmt.Sprintf("ble.Host{%q}", h.id) }

// Format prints String for every verb.
func (h *Host) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, h.String()) }

// HostStats counts what a host received and did, over all its links.
type HostStats struct {
	// Chunks received; BadChunks the reassembler refused (garbage, bad
	// sequence numbers, overlong or abandoned messages).
	Chunks, BadChunks uint64
	// Receipts is the complete receipt messages; of them, Displayed were
	// shown, Duplicates were the last one again (acked again, not shown),
	// Replays older ones (dropped), BadMAC failed verification, Malformed
	// were not receipts, UnknownPairing and Revoked named a pairing the
	// host does not hold or has revoked.
	Receipts, Displayed, Duplicates, Replays, BadMAC, Malformed, UnknownPairing, Revoked uint64
	// Stale receipts verified but were older than the host's age limit
	// (or dated in the future): not shown, not acked.
	Stale uint64
	// PairRequests is the complete pairing requests; BadPairRequests were
	// malformed or refused.
	PairRequests, BadPairRequests uint64
	// Unexpected is complete messages of a command a host does not take.
	Unexpected uint64
	// Failures of the host's own parts: DisplayErrors (the receipt is not
	// acked, so the handheld sends it again), BeepErrors (shown, acked),
	// StoreErrors and SendErrors (acks or pairing responses not sent).
	DisplayErrors, BeepErrors, StoreErrors, SendErrors uint64
}

type hostCounters struct {
	chunks, badChunks, receipts, displayed, duplicates, replays, badMAC, malformed, stale atomic.Uint64
	unknownPairing, revoked, pairRequests, badPairRequests, unexpected                    atomic.Uint64
	displayErrors, beepErrors, storeErrors, sendErrors                                    atomic.Uint64
}

// Stats returns the host's counts so far.
func (h *Host) Stats() HostStats {
	c := &h.stats
	return HostStats{
		Chunks: c.chunks.Load(), BadChunks: c.badChunks.Load(),
		Receipts: c.receipts.Load(), Displayed: c.displayed.Load(), Duplicates: c.duplicates.Load(),
		Replays: c.replays.Load(), Stale: c.stale.Load(), BadMAC: c.badMAC.Load(), Malformed: c.malformed.Load(),
		UnknownPairing: c.unknownPairing.Load(), Revoked: c.revoked.Load(),
		PairRequests: c.pairRequests.Load(), BadPairRequests: c.badPairRequests.Load(),
		Unexpected:    c.unexpected.Load(),
		DisplayErrors: c.displayErrors.Load(), BeepErrors: c.beepErrors.Load(),
		StoreErrors: c.storeErrors.Load(), SendErrors: c.sendErrors.Load(),
	}
}

// Serve reads the link's chunks until ctx ends (returning ctx.Err()) or the
// link fails (returning its error), and handles each complete message:
// receipts (see below) and pairing requests (Accept, answered with the
// PairResponse). Nothing a peer sends stops it: garbage, broken frames,
// forged or malformed receipts and refused pairing requests are counted
// (Stats), nothing is shown, and the next good message is handled.
//
// A receipt is shown only when all of these hold, in this order: it names
// a pairing the host holds and has not revoked; its MAC verifies under
// that pairing's receipt key; its counter is above the last one accepted.
// Then Display.Show, Buzzer.Beep(kind), the counter is stored, and the
// host acks the counter. A receipt whose counter equals the last accepted
// is acked again (its ack was lost) but not shown again; older ones are
// dropped. If Show fails the receipt is not acked, so the handheld sends
// it again. Receipts of one pairing are handled one at a time across all
// links.
func (h *Host) Serve(ctx context.Context, link Link) error {
	re := NewReassembler(hostMaxMessage)
	for {
		chunk, err := link.Recv(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		h.stats.chunks.Add(1)
		cmd, msg, done, err := re.Add(chunk)
		if err != nil {
			h.stats.badChunks.Add(1)
		}
		if !done {
			continue
		}
		switch cmd {
		case CmdReceipt:
			h.receipt(ctx, link, msg)
		case CmdPairRequest:
			h.pairRequest(ctx, link, msg)
		default:
			h.stats.unexpected.Add(1)
		}
	}
}

// receipt handles one complete receipt message (see Serve).
func (h *Host) receipt(ctx context.Context, link Link, msg []byte) {
	h.stats.receipts.Add(1)
	num, err := ReceiptPairing(msg)
	if err != nil {
		h.stats.malformed.Add(1)
		return
	}
	// Look the pairing up before taking its lock, so garbage naming random
	// pairing numbers creates no state.
	if _, err := h.store.Get(ctx, num); err != nil {
		h.countLookup(err)
		return
	}
	ps := h.pairState(num)
	ps.mu.Lock()
	defer ps.mu.Unlock()
	p, err := h.store.Get(ctx, num)
	if err != nil {
		h.countLookup(err)
		return
	}
	if p.Revoked {
		h.stats.revoked.Add(1)
		return
	}
	r, err := DecodeReceipt(msg, p.ReceiptKey)
	if err != nil {
		if errors.Is(err, ErrMAC) {
			h.stats.badMAC.Add(1)
		} else {
			h.stats.malformed.Add(1)
		}
		return
	}
	last := max(p.LastCounter, ps.shown)
	if r.Counter <= last {
		if r.Counter == last && last > 0 {
			h.stats.duplicates.Add(1)
			h.ack(ctx, link, p, r.Counter)
		} else {
			h.stats.replays.Add(1)
		}
		return
	}
	if now := h.clock.Now(); now.Sub(r.Time) > h.maxAge || r.Time.Sub(now) > MaxReceiptSkew {
		h.stats.stale.Add(1)
		return
	}
	if err := h.display.Show(ctx, r); err != nil {
		h.stats.displayErrors.Add(1)
		return
	}
	ps.shown = r.Counter
	h.stats.displayed.Add(1)
	if err := h.buzzer.Beep(ctx, r.Kind); err != nil {
		h.stats.beepErrors.Add(1)
	}
	if err := h.store.Advance(ctx, num, r.Counter); err != nil {
		h.stats.storeErrors.Add(1)
	}
	h.ack(ctx, link, p, r.Counter)
}

// countLookup counts a failed pairing lookup.
func (h *Host) countLookup(err error) {
	switch {
	case errors.Is(err, ErrUnknownPairing):
		h.stats.unknownPairing.Add(1)
	default:
		h.stats.storeErrors.Add(1)
	}
}

// pairState returns the pairing's state, creating it.
func (h *Host) pairState(num uint16) *pairState {
	h.mu.Lock()
	defer h.mu.Unlock()
	ps := h.states[num]
	if ps == nil {
		ps = &pairState{}
		h.states[num] = ps
	}
	return ps
}

// ack sends the ack of counter under p.
func (h *Host) ack(ctx context.Context, link Link, p HostPairing, counter uint64) {
	h.send(ctx, link, CmdAck, encodeAck(p.AckKey, p.Pairing, counter))
}

// send frames msg for the link and sends its chunks, counting a failure.
func (h *Host) send(ctx context.Context, link Link, cmd byte, msg []byte) {
	chunks, err := Fragment(cmd, msg, link.MTU())
	if err != nil {
		h.stats.sendErrors.Add(1)
		return
	}
	for _, c := range chunks {
		if err := link.Send(ctx, c); err != nil {
			h.stats.sendErrors.Add(1)
			return
		}
	}
}

// pairRequest handles one complete pairing request.
func (h *Host) pairRequest(ctx context.Context, link Link, msg []byte) {
	h.stats.pairRequests.Add(1)
	req, err := ParsePairRequest(msg)
	if err != nil {
		h.stats.badPairRequests.Add(1)
		return
	}
	resp, err := h.Accept(ctx, req)
	if err != nil {
		h.stats.badPairRequests.Add(1)
		return
	}
	h.send(ctx, link, CmdPairResponse, resp.Bytes())
}

// Revoke revokes a pairing for good: once Revoke returns, the host shows
// no receipt under it (one being handled when Revoke was called finishes
// first). The number is never assigned again.
func (h *Host) Revoke(ctx context.Context, pairing uint16) error {
	ps := h.pairState(pairing)
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return h.store.Revoke(ctx, pairing)
}

// PairingOffer is one pairing the host offered (BeginPairing): its QR for
// the handheld to scan, then, once a handheld answered, the confirmation
// code for the merchant, and Confirm or Cancel. It is safe for concurrent
// use, and prints without its secrets.
type PairingOffer struct {
	host    *Host
	offer   Offer
	priv    *ecdh.PrivateKey
	nonce   [KeyLen]byte
	expires time.Time
	ready   chan struct{} // closed when a request was accepted
	ended   chan struct{} // closed when confirmed or cancelled

	mu        sync.Mutex
	req       PairRequest
	bound     bool
	resp      PairResponse
	keys      pairKeys
	code      string
	confirmed bool
	cancelled bool
}

// BeginPairing opens a pairing offer: a fresh X25519 key pair and nonce,
// and a pairing number that is neither stored nor offered. Show its QR
// until a handheld answered (the code is then ready) or the offer expires.
func (h *Host) BeginPairing(ctx context.Context) (*PairingOffer, error) {
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, pay.Errorf(pay.ErrInternal, "", "generating the host's X25519 key failed")
	}
	o := &PairingOffer{host: h, priv: priv, ready: make(chan struct{}), ended: make(chan struct{})}
	if _, err := rand.Read(o.nonce[:]); err != nil {
		return nil, pay.Errorf(pay.ErrInternal, "", "reading the nonce failed")
	}
	o.offer = Offer{HostID: h.id, Commitment: commitment(o.nonce)}
	copy(o.offer.HostKey[:], priv.PublicKey().Bytes())
	now := h.clock.Now()
	o.expires = now.Add(h.ttl)

	h.mu.Lock()
	defer h.mu.Unlock()
	for n, old := range h.offers {
		if !now.Before(old.expires) {
			delete(h.offers, n)
		}
	}
	for range 64 {
		var b [2]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, pay.Errorf(pay.ErrInternal, "", "reading a pairing number failed")
		}
		n := binary.BigEndian.Uint16(b[:])
		if n == 0 || h.offers[n] != nil {
			continue
		}
		_, err := h.store.Get(ctx, n)
		if err == nil {
			continue
		}
		if !errors.Is(err, ErrUnknownPairing) {
			return nil, err
		}
		o.offer.Pairing = n
		h.offers[n] = o
		return o, nil
	}
	return nil, pay.Errorf(pay.ErrConflict, "pairing", "no free pairing number was found")
}

// Accept answers a handheld's pairing request for an open offer; Serve
// calls it for requests that arrive over a link. The first request binds
// the offer: the keys are derived and the confirmation code is ready
// (OnPairingCode, PairingOffer.Code). The same request again (a
// retransmission) gets the same response; any other request for the offer
// is refused, as is one for an unknown, expired, confirmed or cancelled
// offer (ErrPairing).
func (h *Host) Accept(_ context.Context, req PairRequest) (PairResponse, error) {
	h.mu.Lock()
	o := h.offers[req.Pairing]
	h.mu.Unlock()
	if o == nil {
		return PairResponse{}, pay.Errorf(ErrPairing, "pairing", "no open pairing offer %d", req.Pairing)
	}
	resp, fresh, err := o.accept(req)
	if err != nil {
		return PairResponse{}, err
	}
	if fresh && h.onCode != nil {
		h.onCode(req.Pairing, req.HandheldID, o.codeNow())
	}
	return resp, nil
}

// accept binds the offer to req (see Host.Accept); fresh reports a first
// binding.
func (o *PairingOffer) accept(req PairRequest) (PairResponse, bool, error) {
	if err := checkID("handheld_id", req.HandheldID); err != nil {
		return PairResponse{}, false, pay.Errorf(ErrPairing, "request", "the handheld ID is not valid")
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.usable(); err != nil {
		return PairResponse{}, false, err
	}
	if o.bound {
		if req != o.req {
			return PairResponse{}, false, pay.Errorf(ErrPairing, "pairing", "the offer was taken by another request")
		}
		return o.resp, false, nil
	}
	keys, err := agree(o.priv, req.HandheldKey, transcriptOf(o.offer, req))
	if err != nil {
		return PairResponse{}, false, err
	}
	code, err := confirmationCode(keys.prk, o.nonce)
	if err != nil {
		return PairResponse{}, false, err
	}
	o.req, o.keys, o.code, o.bound = req, keys, code, true
	o.resp = PairResponse{Pairing: o.offer.Pairing, Nonce: o.nonce, MAC: responseMAC(keys.response, o.offer.Pairing, o.nonce)}
	close(o.ready)
	return o.resp, true, nil
}

// usable refuses an offer that ended or expired; o.mu is held.
func (o *PairingOffer) usable() error {
	switch {
	case o.confirmed:
		return pay.Errorf(ErrPairing, "pairing", "the offer was confirmed already")
	case o.cancelled:
		return pay.Errorf(ErrPairing, "pairing", "the offer was cancelled")
	case !o.host.clock.Now().Before(o.expires):
		return pay.Errorf(ErrPairing, "pairing", "the offer expired")
	}
	return nil
}

func (o *PairingOffer) codeNow() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.code
}

// QR returns the text of the pairing QR (Offer.String).
func (o *PairingOffer) QR() string { return o.offer.String() }

// Offer returns the offer the QR carries.
func (o *PairingOffer) Offer() Offer { return o.offer }

// Pairing returns the offer's pairing number.
func (o *PairingOffer) Pairing() uint16 { return o.offer.Pairing }

// Expires returns when the offer closes.
func (o *PairingOffer) Expires() time.Time { return o.expires }

// Code waits until a handheld's request was accepted and returns the
// confirmation code to show the merchant, and the handheld's ID. It fails
// with ErrPairing when the offer is cancelled first, or with ctx's error;
// an offer that expires unanswered is not reported here, so bound ctx by
// Expires.
func (o *PairingOffer) Code(ctx context.Context) (code, handheldID string, err error) {
	select {
	case <-o.ready:
	case <-o.ended:
	case <-ctx.Done():
		return "", "", ctx.Err()
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.bound || o.cancelled {
		return "", "", pay.Errorf(ErrPairing, "pairing", "the offer was cancelled")
	}
	return o.code, o.req.HandheldID, nil
}

// Confirm stores the pairing: call it when the merchant saw the same code
// on the host and the handheld. It fails with ErrPairing when no request
// was accepted yet, or the offer expired, was cancelled or confirmed
// already; then nothing is stored. Receipts under the pairing are shown
// from then on.
func (o *PairingOffer) Confirm(ctx context.Context) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.usable(); err != nil {
		return err
	}
	if !o.bound {
		return pay.Errorf(ErrPairing, "pairing", "no handheld has answered the offer")
	}
	err := o.host.store.Add(ctx, HostPairing{
		Pairing:    o.offer.Pairing,
		HandheldID: o.req.HandheldID,
		ReceiptKey: Key(append([]byte(nil), o.keys.receipt...)),
		AckKey:     Key(append([]byte(nil), o.keys.ack...)),
		Created:    o.host.clock.Now(),
	})
	if err != nil {
		return err
	}
	o.confirmed = true
	o.end()
	return nil
}

// Cancel closes the offer without storing anything: call it when the codes
// differ (someone else answered the QR) or the merchant gives up.
func (o *PairingOffer) Cancel() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.confirmed || o.cancelled {
		return
	}
	o.cancelled = true
	o.end()
}

// end drops the offer's secrets and removes it from the host; o.mu is
// held.
func (o *PairingOffer) end() {
	o.priv, o.keys = nil, pairKeys{}
	close(o.ended)
	h := o.host
	h.mu.Lock()
	if h.offers[o.offer.Pairing] == o {
		delete(h.offers, o.offer.Pairing)
	}
	h.mu.Unlock()
}

// String describes the offer without its secrets.
func (o *PairingOffer) String() string {
	return fmt.Sprintf("ble.PairingOffer{host %q, pairing %d}", o.offer.HostID, o.offer.Pairing)
}

// GoString is String.
func (o *PairingOffer) GoString() string { return o.String() }

// Format prints String for every verb.
func (o *PairingOffer) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, o.String()) }

// LogValue is String.
func (o *PairingOffer) LogValue() slog.Value { return slog.StringValue(o.String()) }
