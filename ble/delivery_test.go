package ble

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/pay"
)

// hfDisplay records what the host shows; fail, when set, decides whether
// a Show fails (called with the number of Shows so far).
type hfDisplay struct {
	mu    sync.Mutex
	shown []Receipt
	calls int
	fail  func(call int) bool
	// changed is signalled (non-blocking) after every successful Show.
	changed chan struct{}
}

func hfNewDisplay() *hfDisplay { return &hfDisplay{changed: make(chan struct{}, 1)} }

func (d *hfDisplay) Show(_ context.Context, r Receipt) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls++
	if d.fail != nil && d.fail(d.calls) {
		return errors.New("display failed")
	}
	d.shown = append(d.shown, r)
	select {
	case d.changed <- struct{}{}:
	default:
	}
	return nil
}

func (d *hfDisplay) receipts() []Receipt {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.shown)
}

// hfBuzzer records the beeps.
type hfBuzzer struct {
	mu    sync.Mutex
	beeps []Kind
}

func (b *hfBuzzer) Beep(_ context.Context, k Kind) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.beeps = append(b.beeps, k)
	return nil
}

func (b *hfBuzzer) kinds() []Kind {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.beeps)
}

// hfRig is a host paired with one handheld over a MemLink, the host
// serving the link until the test ends.
type hfRig struct {
	host    *Host
	display *hfDisplay
	buzzer  *hfBuzzer
	pairing HandheldPairing
	hand    *MemLink // the handheld's end
	hostEnd *MemLink
	hh      *Handheld
}

// hfNewRig pairs a handheld with a new host (directly, not over the link)
// and serves the host on a MemLink built with linkOpts.
func hfNewRig(t *testing.T, linkOpts []MemLinkOption, hhOpts ...HandheldOption) *hfRig {
	t.Helper()
	r := &hfRig{display: hfNewDisplay(), buzzer: &hfBuzzer{}}
	var err error
	if r.host, err = NewHost("counter-1", r.display, r.buzzer); err != nil {
		t.Fatal(err)
	}
	r.pairing = hfPair(t, r.host, "handheld-1")
	if r.hand, r.hostEnd, err = NewMemLink(linkOpts...); err != nil {
		t.Fatal(err)
	}
	hfServe(t, r.host, r.hostEnd)
	if r.hh, err = NewHandheld(r.hand, r.pairing, hhOpts...); err != nil {
		t.Fatal(err)
	}
	return r
}

// hfServe serves host on link until the test ends, and checks that Serve
// then returns the context's error.
func hfServe(t *testing.T, host *Host, link Link) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- host.Serve(ctx, link) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Serve returned %v, want context.Canceled", err)
		}
	})
}

// hfPair runs the whole pairing between host and a new handheld without a
// link, checks that the codes match, confirms, and returns the handheld's
// pairing.
func hfPair(t testing.TB, host *Host, handheldID string) HandheldPairing {
	t.Helper()
	ctx := context.Background()
	offer, err := host.BeginPairing(ctx)
	if err != nil {
		t.Fatal(err)
	}
	scanned, err := ParseOffer(offer.QR())
	if err != nil {
		t.Fatal(err)
	}
	pending, req, err := Pair(scanned, handheldID)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := host.Accept(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	hp, err := pending.Finish(resp)
	if err != nil {
		t.Fatal(err)
	}
	code, id, err := offer.Code(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if code != hp.Code || id != handheldID {
		t.Fatalf("host shows code %s for %q, handheld %s for %q", code, id, hp.Code, handheldID)
	}
	if err := offer.Confirm(ctx); err != nil {
		t.Fatal(err)
	}
	return hp
}

// hfReceipt is the i-th test receipt: every field depends on i, so two
// receipts differ in more than their counters.
// hfBase dates the test receipts: now, so the host's age limit accepts them.
var hfBase = time.Now().UTC().Truncate(time.Second).Add(-time.Minute)

func hfReceipt(i int) Receipt {
	kind := KindPaid
	if i%7 == 3 {
		kind = KindRefunded
	}
	const b32 = "abcdefghijklmnopqrstuvwxyz234567"
	id := make([]byte, ShortIDLen)
	for j := range id {
		id[j] = b32[(i>>(5*(j%4))+j)%32]
	}
	channels := []string{"wechatpay", "alipay", "unionpay", "other"}
	payer := ""
	if i%5 != 0 {
		payer = fmt.Sprintf("%04d", i%10000)
	}
	return Receipt{
		Kind:      kind,
		PaymentID: string(id),
		Amount:    pay.Money{Amount: int64(100 + i), Currency: "CNY"},
		Channel:   channels[i%len(channels)],
		Payer:     payer,
		Time:      hfBase.Add(time.Duration(i%60) * time.Second),
		Terminal:  uint16(i % 4),
	}
}

// hfWithCounter is r under counter c, as the host shows it.
func hfWithCounter(r Receipt, c uint64) Receipt { r.Counter = c; return r }

// hfFrames encodes r under the pairing number and key and frames it.
func hfFrames(t testing.TB, r Receipt, pairing uint16, key []byte, mtu int) [][]byte {
	t.Helper()
	msg, err := EncodeReceipt(r, pairing, key)
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := Fragment(CmdReceipt, msg, mtu)
	if err != nil {
		t.Fatal(err)
	}
	return chunks
}

// hfInject sends chunks raw over link.
func hfInject(t testing.TB, link Link, chunks [][]byte) {
	t.Helper()
	for _, c := range chunks {
		if err := link.Send(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
}

// hfTap is a Link that records every chunk sent through it.
type hfTap struct {
	Link
	mu   sync.Mutex
	sent [][]byte
}

func (l *hfTap) Send(ctx context.Context, c []byte) error {
	l.mu.Lock()
	l.sent = append(l.sent, bytes.Clone(c))
	l.mu.Unlock()
	return l.Link.Send(ctx, c)
}

func (l *hfTap) chunks() [][]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.sent)
}

// TestLossyLinkThousandReceipts is the delivery test: over a link
// losing, duplicating and reordering 20% of its chunks each, 1,000
// receipts sent one after another are each shown exactly once, in counter
// order, exactly as sent, and beeped with their kind; none is reported
// undelivered.
func TestLossyLinkThousandReceipts(t *testing.T) {
	const n = 1000
	start := time.Now()
	r := hfNewRig(t,
		[]MemLinkOption{WithLoss(0.2), WithDuplication(0.2), WithReordering(0.2), WithSeed(7)},
		WithRetransmit(1500*time.Microsecond, 6*time.Millisecond), WithDeadline(5*time.Second))
	ctx := context.Background()
	var want []Receipt
	var wantKinds []Kind
	for i := range n {
		rc := hfReceipt(i)
		if err := r.hh.Send(ctx, rc); err != nil {
			t.Fatalf("receipt %d: %v", i, err)
		}
		want = append(want, hfWithCounter(rc, uint64(i+1)))
		wantKinds = append(wantKinds, rc.Kind)
	}
	if diff := cmp.Diff(want, r.display.receipts()); diff != "" {
		t.Fatalf("shown receipts differ from those sent (-sent +shown):\n%s", diff)
	}
	if diff := cmp.Diff(wantKinds, r.buzzer.kinds()); diff != "" {
		t.Fatalf("beeps (-want +got):\n%s", diff)
	}
	if u := r.hh.Undelivered(); len(u) != 0 {
		t.Fatalf("%d receipts reported undelivered", len(u))
	}
	if got := r.hh.Pairing().Counter; got != n {
		t.Fatalf("handheld counter %d, want %d", got, n)
	}
	// The link really was that bad, both ways.
	for name, s := range map[string]MemLinkStats{"handheld end": r.hand.Stats(), "host end": r.hostEnd.Stats()} {
		if s.Sent == 0 || s.Dropped < s.Sent/10 || s.Duplicated < s.Sent/10 || s.Reordered < s.Sent/10 {
			t.Fatalf("%s: the link was kinder than asked: %+v", name, s)
		}
	}
	hs := r.host.Stats()
	if hs.Displayed != n {
		t.Fatalf("host counted %d displayed", hs.Displayed)
	}
	if hs.Duplicates == 0 || hs.BadChunks == 0 {
		t.Fatalf("host saw no retransmission or no broken frame: %+v", hs)
	}
	t.Logf("%d receipts in %v; handheld end %+v; host end %+v; host %+v",
		n, time.Since(start).Round(time.Millisecond), r.hand.Stats(), r.hostEnd.Stats(), hs)
}

// TestDelayedLink: over a link that delays each chunk 1 to 3 ms (and
// reorders some), receipts still arrive once each, in order; retransmit
// waits shorter than the round trip only cost duplicates.
func TestDelayedLink(t *testing.T) {
	const n = 40
	r := hfNewRig(t,
		[]MemLinkOption{WithDelay(time.Millisecond, 3*time.Millisecond), WithReordering(0.2), WithSeed(5)},
		WithRetransmit(4*time.Millisecond, 16*time.Millisecond), WithDeadline(5*time.Second))
	var want []Receipt
	for i := range n {
		if err := r.hh.Send(context.Background(), hfReceipt(i)); err != nil {
			t.Fatal(err)
		}
		want = append(want, hfWithCounter(hfReceipt(i), uint64(i+1)))
	}
	if diff := cmp.Diff(want, r.display.receipts()); diff != "" {
		t.Fatalf("shown (-sent +shown):\n%s", diff)
	}
	if s := r.hand.Stats(); s.Reordered == 0 {
		t.Fatalf("nothing was reordered: %+v", s)
	}
}

// TestConcurrentSendsQueue: 8 goroutines sending 25 receipts each over a
// lossy link; the host shows exactly 200, counters 1 to 200 in order, and
// exactly the receipts sent.
func TestConcurrentSendsQueue(t *testing.T) {
	const senders, each = 8, 25
	r := hfNewRig(t,
		[]MemLinkOption{WithLoss(0.2), WithDuplication(0.2), WithReordering(0.2), WithSeed(11)},
		WithRetransmit(1500*time.Microsecond, 6*time.Millisecond), WithDeadline(5*time.Second))
	var wg sync.WaitGroup
	var failed atomic.Int64
	for s := range senders {
		wg.Go(func() {
			for i := range each {
				if err := r.hh.Send(context.Background(), hfReceipt(s*each+i)); err != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d sends failed", failed.Load())
	}
	shown := r.display.receipts()
	if len(shown) != senders*each {
		t.Fatalf("shown %d receipts, want %d", len(shown), senders*each)
	}
	seen := map[string]bool{}
	for i, rc := range shown {
		if rc.Counter != uint64(i+1) {
			t.Fatalf("receipt %d shown with counter %d", i, rc.Counter)
		}
		key := fmt.Sprint(hfWithCounter(rc, 0))
		if seen[key] {
			t.Fatalf("receipt %v shown twice", rc)
		}
		seen[key] = true
	}
	for i := range senders * each {
		if !seen[fmt.Sprint(hfReceipt(i))] {
			t.Fatalf("receipt %d was never shown", i)
		}
	}
}

// TestReplayNotDisplayed: a captured receipt sent again, right after it was
// accepted and after later ones, is not shown again (the first replay is
// acked again, as a lost ack needs); the link keeps working.
func TestReplayNotDisplayed(t *testing.T) {
	r := &hfRig{display: hfNewDisplay(), buzzer: &hfBuzzer{}}
	var err error
	if r.host, err = NewHost("counter-1", r.display, r.buzzer); err != nil {
		t.Fatal(err)
	}
	r.pairing = hfPair(t, r.host, "handheld-1")
	a, b, err := NewMemLink()
	if err != nil {
		t.Fatal(err)
	}
	hfServe(t, r.host, b)
	tap := &hfTap{Link: a}
	// No retransmission on this lossless link, so the counts below are
	// exact.
	hh, err := NewHandheld(tap, r.pairing, WithRetransmit(time.Second, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := hh.Send(ctx, hfReceipt(1)); err != nil {
		t.Fatal(err)
	}
	first := tap.chunks()

	// The same receipt again: acked again, not shown.
	hfInject(t, a, first)
	hfWaitStats(t, r.host, func(s HostStats) bool { return s.Duplicates == 1 })
	if got := len(r.display.receipts()); got != 1 {
		t.Fatalf("shown %d receipts after a replay of the last, want 1", got)
	}
	// The ack of the replay reached the handheld's side of the link.
	ackCtx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	hfDrainAck(ackCtx, t, a, r.pairing, 1)

	if err := hh.Send(ctx, hfReceipt(2)); err != nil {
		t.Fatal(err)
	}
	// An older one: dropped, not acked, not shown.
	hfInject(t, a, first)
	hfWaitStats(t, r.host, func(s HostStats) bool { return s.Replays == 1 })
	if err := hh.Send(ctx, hfReceipt(3)); err != nil {
		t.Fatal(err)
	}
	want := []Receipt{hfWithCounter(hfReceipt(1), 1), hfWithCounter(hfReceipt(2), 2), hfWithCounter(hfReceipt(3), 3)}
	if diff := cmp.Diff(want, r.display.receipts()); diff != "" {
		t.Fatalf("shown (-want +got):\n%s", diff)
	}
}

// hfDrainAck reads link until an ack of counter under p verifies.
func hfDrainAck(ctx context.Context, t *testing.T, link Link, p HandheldPairing, counter uint64) {
	t.Helper()
	re := NewReassembler(0)
	for {
		c, err := link.Recv(ctx)
		if err != nil {
			t.Fatalf("no ack of %d: %v", counter, err)
		}
		cmd, msg, done, _ := re.Add(c)
		if done && cmd == CmdAck {
			if got, err := decodeAck(msg, p.AckKey, p.Pairing); err == nil && got == counter {
				return
			}
		}
	}
}

// hfWaitStats waits (up to 2 s) until the host's stats satisfy ok.
func hfWaitStats(t *testing.T, h *Host, ok func(HostStats) bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !ok(h.Stats()) {
		if time.Now().After(deadline) {
			t.Fatalf("host stats never got there: %+v", h.Stats())
		}
		time.Sleep(time.Millisecond)
	}
}

// TestForgedReceiptNotDisplayed: receipts under a wrong key, or naming a
// pairing the host doesn't hold, are not shown; the next good one is.
func TestForgedReceiptNotDisplayed(t *testing.T) {
	r := hfNewRig(t, nil)
	wrongKey := bytes.Repeat([]byte{0x42}, KeyLen)
	forged := hfWithCounter(hfReceipt(9), 1_000_000)
	hfInject(t, r.hand, hfFrames(t, forged, r.pairing.Pairing, wrongKey, r.hand.MTU()))
	// The ack key is not a receipt key either.
	hfInject(t, r.hand, hfFrames(t, forged, r.pairing.Pairing, r.pairing.AckKey, r.hand.MTU()))
	hfInject(t, r.hand, hfFrames(t, forged, r.pairing.Pairing+1, r.pairing.ReceiptKey, r.hand.MTU()))
	if err := r.hh.Send(context.Background(), hfReceipt(1)); err != nil {
		t.Fatal(err)
	}
	want := []Receipt{hfWithCounter(hfReceipt(1), 1)}
	if diff := cmp.Diff(want, r.display.receipts()); diff != "" {
		t.Fatalf("shown (-want +got):\n%s", diff)
	}
	s := r.host.Stats()
	if s.BadMAC != 2 || s.UnknownPairing != 1 || s.Displayed != 1 {
		t.Fatalf("stats %+v, want 2 bad MACs, 1 unknown pairing, 1 displayed", s)
	}
	if diff := cmp.Diff([]Kind{hfReceipt(1).Kind}, r.buzzer.kinds()); diff != "" {
		t.Fatalf("beeps (-want +got):\n%s", diff)
	}
}

// TestBadInputKeepsLinkWorking sends the host every single-bit flip of
// every frame of a valid receipt (with its other frames intact), garbage,
// truncated and overlong messages, and stray continuations: nothing is
// shown, and then the next good receipt is, once.
func TestBadInputKeepsLinkWorking(t *testing.T) {
	r := hfNewRig(t, nil)
	good := hfWithCounter(hfReceipt(5), 1)
	frames := hfFrames(t, good, r.pairing.Pairing, r.pairing.ReceiptKey, r.hand.MTU())
	if len(frames) != 2 {
		t.Fatalf("a receipt takes %d frames at MTU 23, want 2", len(frames))
	}
	flips := 0
	for fi := range frames {
		for bit := range 8 * len(frames[fi]) {
			bad := make([][]byte, len(frames))
			for j := range frames {
				bad[j] = bytes.Clone(frames[j])
			}
			bad[fi][bit/8] ^= 1 << (bit % 8)
			hfInject(t, r.hand, bad)
			flips++
		}
	}
	msg, _ := EncodeReceipt(good, r.pairing.Pairing, r.pairing.ReceiptKey)
	long := append(bytes.Clone(msg), 0)
	for _, m := range [][]byte{msg[:len(msg)-1], long, msg[:5], nil} {
		c, err := Fragment(CmdReceipt, m, r.hand.MTU())
		if err != nil {
			t.Fatal(err)
		}
		hfInject(t, r.hand, c)
	}
	hfInject(t, r.hand, [][]byte{{0x00, 1, 2}, {0xff}, {0x81}, {0x81, 0xff, 0xff, 1}, {0x7f, 9}, {0x83, 0, 1, 7}, {0x84, 0, 0}})
	hfInject(t, r.hand, frames[:1]) // an initial fragment left hanging
	if got := r.display.receipts(); len(got) != 0 {
		t.Fatalf("bad input was shown: %v", got)
	}
	if err := r.hh.Send(context.Background(), hfReceipt(5)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Receipt{good}, r.display.receipts()); diff != "" {
		t.Fatalf("shown (-want +got):\n%s", diff)
	}
	s := r.host.Stats()
	if s.Displayed != 1 || s.BadMAC == 0 || s.Malformed == 0 || s.BadChunks == 0 || s.UnknownPairing == 0 {
		t.Fatalf("stats after %d flips: %+v", flips, s)
	}
}

// TestUndeliveredWhenHostGone: with nobody serving the link, Send gives up
// at the deadline with ErrUndelivered, reports the receipt once (with its
// counter) through Undelivered and the callback, and the next receipt
// takes the next counter.
func TestUndeliveredWhenHostGone(t *testing.T) {
	host, err := NewHost("counter-1", hfNewDisplay(), &hfBuzzer{})
	if err != nil {
		t.Fatal(err)
	}
	p := hfPair(t, host, "handheld-1")
	a, _, err := NewMemLink()
	if err != nil {
		t.Fatal(err)
	}
	var reported []Receipt
	hh, err := NewHandheld(a, p,
		WithDeadline(60*time.Millisecond), WithRetransmit(5*time.Millisecond, 20*time.Millisecond),
		OnUndelivered(func(r Receipt, err error) {
			if !errors.Is(err, ErrUndelivered) {
				t.Errorf("callback got %v", err)
			}
			reported = append(reported, r)
		}))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = hh.Send(context.Background(), hfReceipt(1))
	took := time.Since(start)
	if !errors.Is(err, ErrUndelivered) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send = %v, want ErrUndelivered (deadline)", err)
	}
	if took < 60*time.Millisecond || took > 2*time.Second {
		t.Fatalf("Send gave up after %v, deadline 60ms", took)
	}
	want := []Receipt{hfWithCounter(hfReceipt(1), 1)}
	if diff := cmp.Diff(want, hh.Undelivered()); diff != "" {
		t.Fatalf("Undelivered (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, reported); diff != "" {
		t.Fatalf("reported (-want +got):\n%s", diff)
	}
	// Retransmitted: 60 ms at 5 ms, then jittered waits of half to all of
	// 10, 20, 20 … ms, is 3 to 8 attempts of 2 chunks each.
	if s := a.Stats(); s.Sent < 6 || s.Sent > 16 {
		t.Fatalf("%d chunks sent, want 3 to 8 attempts of 2", s.Sent)
	}

	// A closed link fails at once, also undelivered.
	_ = a.Close()
	err = hh.Send(context.Background(), hfReceipt(2))
	if !errors.Is(err, ErrUndelivered) || !errors.Is(err, ErrLinkClosed) {
		t.Fatalf("Send on a closed link = %v", err)
	}
	if u := hh.Undelivered(); len(u) != 2 || u[1].Counter != 2 {
		t.Fatalf("Undelivered = %v, want counters 1 and 2", u)
	}
}

// TestSendCancelled: a Send whose context ends is undelivered with the
// context's error; a Send waiting its turn when its context ends sends
// nothing and takes no counter.
func TestSendCancelled(t *testing.T) {
	host, err := NewHost("counter-1", hfNewDisplay(), &hfBuzzer{})
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := NewMemLink()
	if err != nil {
		t.Fatal(err)
	}
	hh, err := NewHandheld(a, hfPair(t, host, "hh"), WithRetransmit(5*time.Millisecond, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error)
	go func() { first <- hh.Send(ctx, hfReceipt(1)) }()
	// Wait until the first Send holds the link, then queue a second.
	for a.Stats().Sent == 0 {
		time.Sleep(time.Millisecond)
	}
	qctx, qcancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer qcancel()
	if err := hh.Send(qctx, hfReceipt(2)); !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrUndelivered) {
		t.Fatalf("queued Send = %v, want only the context's error", err)
	}
	cancel()
	if err := <-first; !errors.Is(err, ErrUndelivered) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Send = %v", err)
	}
	if got := hh.Pairing().Counter; got != 1 {
		t.Fatalf("counter %d after one sent and one never started, want 1", got)
	}
}

// TestForgedAcksIgnored: acks under a wrong key, under another pairing
// number, or for another counter don't end a Send; the right one does.
func TestForgedAcksIgnored(t *testing.T) {
	host, err := NewHost("counter-1", hfNewDisplay(), &hfBuzzer{})
	if err != nil {
		t.Fatal(err)
	}
	p := hfPair(t, host, "hh")
	a, b, err := NewMemLink()
	if err != nil {
		t.Fatal(err)
	}
	hh, err := NewHandheld(a, p, WithRetransmit(20*time.Millisecond, 20*time.Millisecond), WithDeadline(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ack := func(key []byte, pairing uint16, counter uint64) [][]byte {
		c, err := Fragment(CmdAck, encodeAck(key, pairing, counter), b.MTU())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	var forged [][]byte
	for _, f := range [][][]byte{
		ack(bytes.Repeat([]byte{1}, KeyLen), p.Pairing, 1), // another key
		ack(p.ReceiptKey, p.Pairing, 1),                    // the receipt key
		ack(p.AckKey, p.Pairing+1, 1),                      // another pairing
		ack(p.AckKey, p.Pairing, 2),                        // another counter
		ack(p.AckKey, p.Pairing, 0),
		{{CmdAck, 0, 3, 1, 2, 3}}, // malformed
	} {
		forged = append(forged, f...)
	}
	right := ack(p.AckKey, p.Pairing, 1)
	var sentRight atomic.Bool
	go func() {
		// A fake host: answers each copy of the receipt with forged acks,
		// and the third copy also with the right one.
		re := NewReassembler(0)
		copies := 0
		for {
			c, err := b.Recv(context.Background())
			if err != nil {
				return
			}
			cmd, _, done, _ := re.Add(c)
			if !done || cmd != CmdReceipt {
				continue
			}
			copies++
			for _, ch := range forged {
				_ = b.Send(context.Background(), ch)
			}
			if copies == 3 {
				sentRight.Store(true)
				for _, ch := range right {
					_ = b.Send(context.Background(), ch)
				}
			}
		}
	}()
	if err := hh.Send(context.Background(), hfReceipt(1)); err != nil {
		t.Fatal(err)
	}
	if !sentRight.Load() {
		t.Fatal("Send returned before the right ack was sent")
	}
	_ = a.Close()
}

// TestDisplayFailureRetried: when Show fails, the receipt is not acked, the
// handheld sends it again, and it is shown once.
func TestDisplayFailureRetried(t *testing.T) {
	r := hfNewRig(t, nil, WithRetransmit(5*time.Millisecond, 5*time.Millisecond))
	r.display.fail = func(call int) bool { return call == 1 }
	if err := r.hh.Send(context.Background(), hfReceipt(1)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Receipt{hfWithCounter(hfReceipt(1), 1)}, r.display.receipts()); diff != "" {
		t.Fatalf("shown (-want +got):\n%s", diff)
	}
	if s := r.host.Stats(); s.DisplayErrors != 1 || s.Displayed != 1 {
		t.Fatalf("stats %+v", s)
	}
	if got := len(r.buzzer.kinds()); got != 1 {
		t.Fatalf("%d beeps, want 1", got)
	}
}

// TestRevokedPairingRejected: after Revoke, the pairing's receipts are not
// shown (nor acked), while another pairing's still are.
func TestRevokedPairingRejected(t *testing.T) {
	r := hfNewRig(t, nil, WithDeadline(50*time.Millisecond), WithRetransmit(5*time.Millisecond, 10*time.Millisecond))
	ctx := context.Background()
	if err := r.hh.Send(ctx, hfReceipt(1)); err != nil {
		t.Fatal(err)
	}
	other := hfPair(t, r.host, "handheld-2")
	if err := r.host.Revoke(ctx, r.pairing.Pairing); err != nil {
		t.Fatal(err)
	}
	if err := r.hh.Send(ctx, hfReceipt(2)); !errors.Is(err, ErrUndelivered) {
		t.Fatalf("Send under a revoked pairing = %v, want ErrUndelivered", err)
	}
	if s := r.host.Stats(); s.Revoked == 0 {
		t.Fatalf("no receipt counted as revoked: %+v", s)
	}
	if _, err := r.host.store.Get(ctx, r.pairing.Pairing); err != nil {
		t.Fatal(err)
	}
	if err := r.host.store.Advance(ctx, r.pairing.Pairing, 99); !errors.Is(err, ErrRevoked) {
		t.Fatalf("Advance on a revoked pairing = %v", err)
	}
	// Another handheld's pairing is unaffected.
	a2, b2, err := NewMemLink()
	if err != nil {
		t.Fatal(err)
	}
	hfServe(t, r.host, b2)
	hh2, err := NewHandheld(a2, other)
	if err != nil {
		t.Fatal(err)
	}
	if err := hh2.Send(ctx, hfReceipt(3)); err != nil {
		t.Fatal(err)
	}
	want := []Receipt{hfWithCounter(hfReceipt(1), 1), hfWithCounter(hfReceipt(3), 1)}
	if diff := cmp.Diff(want, r.display.receipts()); diff != "" {
		t.Fatalf("shown (-want +got):\n%s", diff)
	}
	if err := r.host.Revoke(ctx, 0); !errors.Is(err, ErrUnknownPairing) {
		t.Fatalf("Revoke of an unknown pairing = %v", err)
	}
}

// TestReplayRaceAcrossLinks: the same captured receipt arriving on 16
// links at once is shown exactly once.
func TestReplayRaceAcrossLinks(t *testing.T) {
	const links = 16
	display := hfNewDisplay()
	host, err := NewHost("counter-1", display, &hfBuzzer{})
	if err != nil {
		t.Fatal(err)
	}
	p := hfPair(t, host, "hh")
	frames := hfFrames(t, hfWithCounter(hfReceipt(1), 1), p.Pairing, p.ReceiptKey, DefaultMTU)
	var ends []*MemLink
	for range links {
		a, b, err := NewMemLink()
		if err != nil {
			t.Fatal(err)
		}
		hfServe(t, host, b)
		ends = append(ends, a)
	}
	var wg sync.WaitGroup
	for _, a := range ends {
		wg.Go(func() {
			for _, c := range frames {
				if err := a.Send(context.Background(), c); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	// Receipts counts a receipt as it starts; the outcome counts when done.
	hfWaitStats(t, host, func(s HostStats) bool { return s.Displayed+s.Duplicates+s.Replays == links })
	if got := len(display.receipts()); got != 1 {
		t.Fatalf("shown %d times, want once", got)
	}
	if s := host.Stats(); s.Displayed != 1 || s.Duplicates != links-1 {
		t.Fatalf("stats %+v, want 1 displayed and %d duplicates", s, links-1)
	}
}

// TestPersistBeforeSend: WithPersist sees each counter before its receipt
// leaves; a failing persist fails Send without using the counter; a
// handheld restored from the persisted pairing carries on.
func TestPersistBeforeSend(t *testing.T) {
	r := &hfRig{display: hfNewDisplay(), buzzer: &hfBuzzer{}}
	var err error
	if r.host, err = NewHost("counter-1", r.display, r.buzzer); err != nil {
		t.Fatal(err)
	}
	p := hfPair(t, r.host, "hh")
	a, b, err := NewMemLink()
	if err != nil {
		t.Fatal(err)
	}
	hfServe(t, r.host, b)
	var saved HandheldPairing
	failNext := false
	persist := func(_ context.Context, p HandheldPairing) error {
		if failNext {
			return errors.New("disk full")
		}
		if a.Stats().Sent != uint64(2*p.Counter-2) {
			t.Errorf("counter %d persisted after its receipt went out", p.Counter)
		}
		saved = p
		return nil
	}
	hh, err := NewHandheld(a, p, WithPersist(persist))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 2 {
		if err := hh.Send(ctx, hfReceipt(i)); err != nil {
			t.Fatal(err)
		}
	}
	failNext = true
	if err := hh.Send(ctx, hfReceipt(2)); err == nil || errors.Is(err, ErrUndelivered) {
		t.Fatalf("Send with a failing persist = %v", err)
	}
	if hh.Pairing().Counter != 2 || saved.Counter != 2 {
		t.Fatalf("counter %d (saved %d) after a failed persist, want 2", hh.Pairing().Counter, saved.Counter)
	}
	failNext = false
	// Invalid receipts take no counter either.
	if err := hh.Send(ctx, Receipt{Kind: 9}); !errors.Is(err, pay.ErrInvalidRequest) {
		t.Fatalf("Send of an invalid receipt = %v", err)
	}
	restored, err := NewHandheld(a, saved, WithPersist(persist))
	if err != nil {
		t.Fatal(err)
	}
	if err := restored.Send(ctx, hfReceipt(3)); err != nil {
		t.Fatal(err)
	}
	want := []Receipt{hfWithCounter(hfReceipt(0), 1), hfWithCounter(hfReceipt(1), 2), hfWithCounter(hfReceipt(3), 3)}
	if diff := cmp.Diff(want, r.display.receipts()); diff != "" {
		t.Fatalf("shown (-want +got):\n%s", diff)
	}
}

// TestAckRoundTrip checks the ack layout and that each part is verified.
func TestAckRoundTrip(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeyLen)
	for _, c := range []uint64{0, 1, 127, 128, 1 << 35, 1<<64 - 1} {
		b := encodeAck(key, 9, c)
		if want := len(binary.AppendUvarint(nil, c)) + AckMACLen; len(b) != want {
			t.Fatalf("ack of %d is %d bytes, want %d", c, len(b), want)
		}
		got, err := decodeAck(b, key, 9)
		if err != nil || got != c {
			t.Fatalf("decodeAck(encodeAck(%d)) = %d, %v", c, got, err)
		}
		if _, err := decodeAck(b, key, 10); !errors.Is(err, ErrMAC) {
			t.Fatalf("ack under another pairing: %v", err)
		}
		for bit := range 8 * len(b) {
			f := bytes.Clone(b)
			f[bit/8] ^= 1 << (bit % 8)
			if _, err := decodeAck(f, key, 9); err == nil {
				t.Fatalf("ack of %d with bit %d flipped verified", c, bit)
			}
		}
	}
	// A non-minimal varint with a valid MAC over its bytes is malformed.
	body := []byte{0x81, 0x00}
	nonMinimal := append(body, ackMAC(key, 9, body)...)
	if _, err := decodeAck(nonMinimal, key, 9); !errors.Is(err, ErrMalformed) {
		t.Fatalf("non-minimal ack: %v", err)
	}
	if c, _ := Fragment(CmdAck, encodeAck(key, 9, 1<<56-1), DefaultMTU); len(c) != 1 {
		t.Fatalf("the ack of counter 2⁵⁶-1 takes %d chunks at MTU 23, want 1", len(c))
	}
}

// FuzzAck: decodeAck never panics, and accepts only the exact encoding of
// some counter under the key and pairing.
func FuzzAck(f *testing.F) {
	key := bytes.Repeat([]byte{7}, KeyLen)
	f.Add(encodeAck(key, 9, 1))
	f.Add(encodeAck(key, 9, 1<<64-1))
	f.Add([]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeAck(b, key, 9)
		if err != nil {
			if c != 0 {
				t.Fatalf("error with counter %d", c)
			}
			return
		}
		if !bytes.Equal(encodeAck(key, 9, c), b) {
			t.Fatalf("accepted %x, which is not the encoding of %d", b, c)
		}
	})
}

// hfScript is a Link that returns its chunks in order, then
// ErrLinkClosed; what is sent to it is counted.
type hfScript struct {
	chunks [][]byte
	sent   int
}

func (l *hfScript) Recv(context.Context) ([]byte, error) {
	if len(l.chunks) == 0 {
		return nil, ErrLinkClosed
	}
	c := l.chunks[0]
	l.chunks = l.chunks[1:]
	return c, nil
}
func (l *hfScript) Send(context.Context, []byte) error { l.sent++; return nil }
func (l *hfScript) MTU() int                           { return DefaultMTU }

// hfSplit cuts fuzz input into chunks: each chunk is a length byte (mod
// 21, so 0 to 20 bytes) and that many bytes.
func hfSplit(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		n := min(int(b[0])%21, len(b)-1)
		out = append(out, b[1:1+n])
		b = b[1+n:]
	}
	return out
}

// hfJoin is hfSplit's inverse for chunks of 0 to 20 bytes.
func hfJoin(chunks [][]byte) []byte {
	var b []byte
	for _, c := range chunks {
		b = append(b, byte(len(c)))
		b = append(b, c...)
	}
	return b
}

// FuzzHostChunks feeds a paired host random chunks: it never panics and
// never shows anything, since nothing the fuzzer makes carries a MAC under
// the pairing's key.
func FuzzHostChunks(f *testing.F) {
	display := hfNewDisplay()
	host, err := NewHost("counter-1", display, &hfBuzzer{})
	if err != nil {
		f.Fatal(err)
	}
	p := hfPair(f, host, "hh")
	wrong := bytes.Repeat([]byte{3}, KeyLen)
	frames := hfFrames(f, hfWithCounter(hfReceipt(1), 1), p.Pairing, wrong, DefaultMTU)
	f.Add(hfJoin(frames))
	f.Add(hfJoin(append(frames[1:], frames[0])))
	f.Add(hfJoin([][]byte{frames[0], frames[0], frames[1], frames[1]}))
	req := PairRequest{Pairing: p.Pairing, HandheldID: "x"}
	rc, _ := Fragment(CmdPairRequest, req.Bytes(), DefaultMTU)
	f.Add(hfJoin(rc))
	f.Add(hfJoin([][]byte{{}, {0x81}, {0x81, 0, 40}, {0}, {1}, {0x82, 0, 1, 1}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		link := &hfScript{chunks: hfSplit(b)}
		if err := host.Serve(context.Background(), link); !errors.Is(err, ErrLinkClosed) {
			t.Fatalf("Serve = %v", err)
		}
		if got := display.receipts(); len(got) != 0 {
			t.Fatalf("the host showed %v", got)
		}
		if link.sent != 0 {
			t.Fatalf("the host answered random chunks with %d chunks", link.sent)
		}
	})
}
