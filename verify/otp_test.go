package verify

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/internal/randid"
	"github.com/paykit-go/paykit/pay"
)

const hbPhone = "+8613800138000"

var hbCodeRE = regexp.MustCompile(`^paykit code (\d{6}) for `)

func hbOTPs(t *testing.T, opts ...OTPOption) (*OTPs, *Outbox, *clock.Fake) {
	t.Helper()
	c := hbClock()
	box := NewOutbox()
	o, err := NewOTPs(box, append([]OTPOption{WithOTPClock(c)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return o, box, c
}

// hbCode reads the latest code sent to to.
func hbCode(t *testing.T, box *Outbox, to string) string {
	t.Helper()
	m, ok := box.Last(to)
	if !ok {
		t.Fatalf("no message to %s", to)
	}
	sub := hbCodeRE.FindStringSubmatch(m.Body)
	if sub == nil {
		t.Fatalf("no code in %q", m.Body)
	}
	return sub[1]
}

// hbWrong is a 6-digit code other than code.
func hbWrong(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

func TestOTPSendAndCheckOnce(t *testing.T) {
	ctx := context.Background()
	o, box, _ := hbOTPs(t)
	ch, err := o.Send(ctx, hbAlice, "enrollment", hbPhone)
	if err != nil {
		t.Fatal(err)
	}
	if !randid.Valid(ch.ID, "otp") || ch.Method != MethodSMS || ch.Nonce != nil || !ch.ExpiresAt.Equal(hbStart.Add(10*time.Minute)) {
		t.Fatalf("challenge = %+v", ch)
	}
	msgs := box.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	code := hbCode(t, box, hbPhone)
	want := Message{To: hbPhone, Kind: MessageKindOTP, Body: "paykit code " + code + " for enrollment, valid 10 minutes"}
	if msgs[0] != want {
		t.Fatalf("message = %+v, want %+v", msgs[0], want)
	}
	// The code is kept only as its HMAC under the OTPs key.
	o.mu.Lock()
	entry := *o.codes[ch.ID]
	o.mu.Unlock()
	if dump := fmt.Sprintf("%+v", entry); strings.Contains(dump, code) || !bytes.Equal(entry.mac, o.mac(ch.ID, code)) {
		t.Fatalf("stored entry %s: holds the code or not its HMAC", dump)
	}
	if err := o.Check(ctx, hbAlice, "enrollment", ch.ID, code); err != nil {
		t.Fatal(err)
	}
	err = o.Check(ctx, hbAlice, "enrollment", ch.ID, code)
	hbIsMsg(t, err, ErrReplayed, "already used")
	hbNoLeak(t, err, code)
}

func TestOTPWrongAttemptsLock(t *testing.T) {
	ctx := context.Background()
	o, box, _ := hbOTPs(t)
	ch, err := o.Send(ctx, hbAlice, "payment", hbPhone)
	if err != nil {
		t.Fatal(err)
	}
	code := hbCode(t, box, hbPhone)
	wrong := hbWrong(code)
	for left := 4; left >= 1; left-- {
		err := o.Check(ctx, hbAlice, "payment", ch.ID, wrong)
		hbIsMsg(t, err, ErrFailed, fmt.Sprintf("%d attempts left", left))
		hbNoLeak(t, err, code, wrong)
	}
	err = o.Check(ctx, hbAlice, "payment", ch.ID, wrong)
	hbIsMsg(t, err, ErrLocked, "no attempts left")
	// Dead: the right code is refused too.
	err = o.Check(ctx, hbAlice, "payment", ch.ID, code)
	hbIs(t, err, ErrLocked)
	hbNoLeak(t, err, code)
}

func TestOTPMalformedCodeNotCounted(t *testing.T) {
	ctx := context.Background()
	o, box, _ := hbOTPs(t)
	ch, _ := o.Send(ctx, hbAlice, "payment", hbPhone)
	for _, bad := range []string{"", "12345", "1234567", "12345a", "١٢٣٤٥٦", " 12345"} {
		for range 2 {
			err := o.Check(ctx, hbAlice, "payment", ch.ID, bad)
			hbIsMsg(t, err, ErrFailed, "6 digits")
		}
	}
	if err := o.Check(ctx, hbAlice, "payment", ch.ID, hbCode(t, box, hbPhone)); err != nil {
		t.Fatalf("right code after 12 malformed ones: %v", err)
	}
}

func TestOTPExpires(t *testing.T) {
	ctx := context.Background()
	o, box, c := hbOTPs(t)
	ch, _ := o.Send(ctx, hbAlice, "payment", hbPhone)
	code := hbCode(t, box, hbPhone)
	c.Advance(10 * time.Minute)
	hbIsMsg(t, o.Check(ctx, hbAlice, "payment", ch.ID, code), ErrExpired, "expired")
	hbIs(t, o.Check(ctx, hbAlice, "payment", ch.ID, code), ErrExpired)
	// Long after, the ID is forgotten and merely unknown.
	c.Advance(time.Hour)
	hbIsMsg(t, o.Check(ctx, hbAlice, "payment", ch.ID, code), ErrFailed, "unknown")
}

func TestOTPWrongSubjectOrPurposeCounts(t *testing.T) {
	ctx := context.Background()
	o, box, _ := hbOTPs(t)
	ch, _ := o.Send(ctx, hbAlice, "payment", hbPhone)
	code := hbCode(t, box, hbPhone)
	hbIsMsg(t, o.Check(ctx, hbAlice, "enrollment", ch.ID, code), ErrFailed, "not sent for this user or purpose; 4 attempts left")
	hbIsMsg(t, o.Check(ctx, hbBob, "payment", ch.ID, code), ErrFailed, "3 attempts left")
	hbIsMsg(t, o.Check(ctx, hbAlicePhone2, "payment", ch.ID, code), ErrFailed, "2 attempts left")
	if err := o.Check(ctx, hbAlice, "payment", ch.ID, code); err != nil {
		t.Fatal(err)
	}
}

func TestOTPResendThrottledAndReplaces(t *testing.T) {
	ctx := context.Background()
	o, box, c := hbOTPs(t)
	first, _ := o.Send(ctx, hbAlice, "payment", hbPhone)
	firstCode := hbCode(t, box, hbPhone)

	_, err := o.Send(ctx, hbAlice, "payment", hbPhone)
	hbIsMsg(t, err, ErrThrottled, "wait 60 seconds")
	c.Advance(30 * time.Second)
	_, err = o.Send(ctx, hbAlice, "payment", hbPhone)
	hbIsMsg(t, err, ErrThrottled, "sent 30 seconds ago; wait 30 seconds")
	if n := len(box.Messages()); n != 1 {
		t.Fatalf("%d messages after throttled resends, want 1", n)
	}
	// Another purpose is another slot.
	if _, err := o.Send(ctx, hbAlice, "enrollment", hbPhone); err != nil {
		t.Fatal(err)
	}

	c.Advance(30 * time.Second)
	second, err := o.Send(ctx, hbAlice, "payment", hbPhone)
	if err != nil {
		t.Fatal(err)
	}
	secondCode := hbCode(t, box, hbPhone)
	hbIsMsg(t, o.Check(ctx, hbAlice, "payment", first.ID, firstCode), ErrExpired, "replaced")
	if err := o.Check(ctx, hbAlice, "payment", second.ID, secondCode); err != nil {
		t.Fatal(err)
	}
	// Once the code is used, a new one needn't wait.
	if _, err := o.Send(ctx, hbAlice, "payment", hbPhone); err != nil {
		t.Fatalf("send after the code was used: %v", err)
	}
}

func TestOTPMaxSendsPerDestination(t *testing.T) {
	ctx := context.Background()
	o, box, c := hbOTPs(t)
	for i := range 5 {
		if _, err := o.Send(ctx, Subject{UserID: fmt.Sprintf("u%d", i)}, "payment", hbPhone); err != nil {
			t.Fatal(err)
		}
		c.Advance(time.Minute)
	}
	// t0+5m: the first send leaves the window at t0+60m.
	_, err := o.Send(ctx, hbBob, "payment", hbPhone)
	hbIsMsg(t, err, ErrThrottled, "5 codes were sent to this number in the last hour; wait 3300 seconds")
	hbNoLeak(t, err, hbPhone)
	if _, err := o.Send(ctx, hbBob, "payment", "+8613900139000"); err != nil {
		t.Fatalf("another number: %v", err)
	}
	c.Set(hbStart.Add(time.Hour - time.Nanosecond))
	_, err = o.Send(ctx, hbBob, "payment", hbPhone)
	hbIs(t, err, ErrThrottled)
	c.Set(hbStart.Add(time.Hour))
	if _, err := o.Send(ctx, hbBob, "payment", hbPhone); err != nil {
		t.Fatalf("after the hour: %v", err)
	}
	if n := len(box.Messages()); n != 7 {
		t.Fatalf("%d messages, want 7", n)
	}
}

// hbFlaky fails while fail is set, with an error quoting the body (as a
// careless gateway might).
type hbFlaky struct {
	box  *Outbox
	fail atomic.Bool
}

func (f *hbFlaky) Send(ctx context.Context, m Message) error {
	if f.fail.Load() {
		return errors.New("gateway refused: " + m.Body)
	}
	return f.box.Send(ctx, m)
}

func TestOTPSenderFailureChangesNothing(t *testing.T) {
	ctx := context.Background()
	c := hbClock()
	f := &hbFlaky{box: NewOutbox()}
	o, err := NewOTPs(f, WithOTPClock(c), WithMaxSends(2))
	if err != nil {
		t.Fatal(err)
	}
	first, _ := o.Send(ctx, hbAlice, "payment", hbPhone)
	firstCode := hbCode(t, f.box, hbPhone)
	c.Advance(time.Minute)

	f.fail.Store(true)
	_, err = o.Send(ctx, hbAlice, "payment", hbPhone)
	hbIsMsg(t, err, pay.ErrUnavailable, "could not be sent")
	if errors.Unwrap(err) != nil || strings.Contains(err.Error(), "paykit code") {
		t.Fatalf("the sender's error (which quotes the code) leaked: %v", err)
	}
	f.fail.Store(false)
	// The failed send used no quota (max 2) and replaced nothing.
	if _, err := o.Send(ctx, hbBob, "payment", hbPhone); err != nil {
		t.Fatal(err)
	}
	if err := o.Check(ctx, hbAlice, "payment", first.ID, firstCode); err != nil {
		t.Fatalf("the previous code after a failed resend: %v", err)
	}
}

func TestOTPCodeDraw(t *testing.T) {
	// Rejection sampling: 4294000000 and above are drawn again.
	var src bytes.Buffer
	for _, v := range []uint32{4_294_967_295, 4_294_000_000, 7} {
		binary.Write(&src, binary.BigEndian, v)
	}
	code, err := otpCodeFrom(&src)
	if err != nil || code != "000007" || src.Len() != 0 {
		t.Fatalf("otpCodeFrom = %q, %v (left %d bytes); want 000007 after two rejections", code, err, src.Len())
	}
	binary.Write(&src, binary.BigEndian, uint32(4_293_999_999))
	if code, _ := otpCodeFrom(&src); code != "999999" {
		t.Fatalf("top of range = %q", code)
	}
	if _, err := otpCodeFrom(bytes.NewReader([]byte{1, 2})); err == nil {
		t.Fatal("short randomness accepted")
	}
	// Real draws: 6 digits; the leading digit is uniform (chi-square over
	// 20000 draws, 9 degrees of freedom; 40 is beyond p = 1e-5).
	var first [10]int
	for range 20000 {
		c := newOTPCode()
		if !isOTPShape(c) {
			t.Fatalf("code %q", c)
		}
		first[c[0]-'0']++
	}
	chi := 0.0
	for _, n := range first {
		d := float64(n) - 2000
		chi += d * d / 2000
	}
	if chi > 40 {
		t.Fatalf("leading digits %v: chi-square %.1f", first, chi)
	}
}

// 64 concurrent checks of one code with the right value: exactly one passes.
func TestOTPConcurrentRightChecks(t *testing.T) {
	ctx := context.Background()
	o, box, _ := hbOTPs(t)
	ch, _ := o.Send(ctx, hbAlice, "payment", hbPhone)
	code := hbCode(t, box, hbPhone)
	var ok, replayed, other atomic.Int32
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			switch err := o.Check(ctx, hbAlice, "payment", ch.ID, code); {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, ErrReplayed):
				replayed.Add(1)
			default:
				other.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 || replayed.Load() != 63 || other.Load() != 0 {
		t.Fatalf("ok %d replayed %d other %d; want 1, 63, 0", ok.Load(), replayed.Load(), other.Load())
	}
}

// 64 concurrent wrong codes: exactly 4 are told how many attempts are left,
// 60 find the code locked; then the right code is refused.
func TestOTPConcurrentWrongChecks(t *testing.T) {
	ctx := context.Background()
	o, box, _ := hbOTPs(t)
	ch, _ := o.Send(ctx, hbAlice, "payment", hbPhone)
	code := hbCode(t, box, hbPhone)
	var failed, locked, other atomic.Int32
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			switch err := o.Check(ctx, hbAlice, "payment", ch.ID, hbWrong(code)); {
			case errors.Is(err, ErrFailed):
				failed.Add(1)
			case errors.Is(err, ErrLocked):
				locked.Add(1)
			default:
				other.Add(1)
			}
		})
	}
	wg.Wait()
	if failed.Load() != 4 || locked.Load() != 60 || other.Load() != 0 {
		t.Fatalf("failed %d locked %d other %d; want 4, 60, 0", failed.Load(), locked.Load(), other.Load())
	}
	hbIs(t, o.Check(ctx, hbAlice, "payment", ch.ID, code), ErrLocked)
}

func TestSMSVerifier(t *testing.T) {
	ctx := context.Background()
	o, box, _ := hbOTPs(t, WithOTPTTL(2*time.Minute), WithMaxAttempts(3))
	v := o.Verifier("payment")
	if v.Method() != MethodSMS || v.Factor() != FactorPossession {
		t.Fatalf("method %s factor %s", v.Method(), v.Factor())
	}
	ch, _ := o.Send(ctx, hbAlice, "payment", hbPhone)
	code := hbCode(t, box, hbPhone)
	if m, _ := box.Last(hbPhone); !strings.HasSuffix(m.Body, "valid 2 minutes") {
		t.Fatalf("body %q", m.Body)
	}
	hbIsMsg(t, v.Verify(ctx, hbAlice, Proof{Method: MethodSMS, ChallengeID: ch.ID, Secret: hbWrong(code)}), ErrFailed, "2 attempts left")
	hbIs(t, v.Verify(ctx, hbAlice, Proof{Method: MethodPassword, ChallengeID: ch.ID, Secret: code}), pay.ErrInvalidRequest)
	// A code sent for another purpose does not answer this verifier.
	ch2, _ := o.Send(ctx, hbBob, "enrollment", hbPhone)
	hbIs(t, v.Verify(ctx, hbBob, Proof{Method: MethodSMS, ChallengeID: ch2.ID, Secret: hbCode(t, box, hbPhone)}), ErrFailed)
	if err := v.Verify(ctx, hbAlice, Proof{Method: MethodSMS, ChallengeID: ch.ID, Secret: code}); err != nil {
		t.Fatal(err)
	}
}

func TestOTPBadInput(t *testing.T) {
	ctx := context.Background()
	o, box, _ := hbOTPs(t)
	for _, tc := range []struct {
		s           Subject
		purpose, to string
		param       string
	}{
		{Subject{}, "payment", hbPhone, "user_id"},
		{hbAlice, "", hbPhone, "purpose"},
		{hbAlice, "pay\nment", hbPhone, "purpose"},
		{hbAlice, strings.Repeat("p", 65), hbPhone, "purpose"},
		{hbAlice, "payment", "", "to"},
		{hbAlice, "payment", "+86\x00138", "to"},
		{Subject{UserID: "a\x00b"}, "payment", hbPhone, "user_id"},
	} {
		_, err := o.Send(ctx, tc.s, tc.purpose, tc.to)
		if pe := hbIs(t, err, pay.ErrInvalidRequest); pe.Param != tc.param {
			t.Errorf("%+v: param %q, want %q", tc, pe.Param, tc.param)
		}
	}
	if n := len(box.Messages()); n != 0 {
		t.Fatalf("%d messages sent for bad input", n)
	}
	for _, opt := range []OTPOption{WithOTPClock(nil), WithOTPTTL(0), WithOTPTTL(2 * time.Hour), WithMaxAttempts(0),
		WithMaxAttempts(11), WithResendInterval(-time.Second), WithMaxSends(0)} {
		if _, err := NewOTPs(box, opt); err == nil {
			t.Error("a bad option was accepted")
		}
	}
	if _, err := NewOTPs(nil); err == nil {
		t.Error("nil sender accepted")
	}
	for d, want := range map[time.Duration]string{time.Minute: "1 minute", 10 * time.Minute: "10 minutes", 90 * time.Second: "90 seconds"} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestOutbox(t *testing.T) {
	ctx := context.Background()
	box := NewOutbox()
	if _, ok := box.Last("x"); ok {
		t.Fatal("Last on an empty outbox")
	}
	for i := range outboxLimit + 2 {
		if err := box.Send(ctx, Message{To: fmt.Sprintf("to%d", i%3), Body: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	msgs := box.Messages()
	if len(msgs) != outboxLimit || msgs[0].Body != "2" || msgs[len(msgs)-1].Body != fmt.Sprint(outboxLimit+1) {
		t.Fatalf("%d messages, first %q last %q", len(msgs), msgs[0].Body, msgs[len(msgs)-1].Body)
	}
	if m, ok := box.Last("to0"); !ok || m.Body != fmt.Sprint(outboxLimit-1) {
		t.Fatalf("Last(to0) = %+v %v", m, ok)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := box.Send(cctx, Message{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Send on a cancelled context = %v", err)
	}
}

// hbGate blocks every Send until released.
type hbGate struct {
	box     *Outbox
	entered chan struct{}
	release chan struct{}
}

func (g *hbGate) Send(ctx context.Context, m Message) error {
	g.entered <- struct{}{}
	<-g.release
	return g.box.Send(ctx, m)
}

// While a code is being sent, a second send for the same subject and
// purpose is throttled even with no resend interval, so one slot never has
// two live codes.
func TestOTPSendInFlightThrottles(t *testing.T) {
	ctx := context.Background()
	g := &hbGate{box: NewOutbox(), entered: make(chan struct{}), release: make(chan struct{})}
	o, err := NewOTPs(g, WithOTPClock(hbClock()), WithResendInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		_, err := o.Send(ctx, hbAlice, "payment", hbPhone)
		done <- err
	}()
	<-g.entered
	_, err = o.Send(ctx, hbAlice, "payment", hbPhone)
	hbIsMsg(t, err, ErrThrottled, "sent 0 seconds ago; wait 1 second before")
	close(g.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// With the first delivered, the zero interval lets a resend through.
	go func() { <-g.entered }()
	if _, err := o.Send(ctx, hbAlice, "payment", hbPhone); err != nil {
		t.Fatal(err)
	}
	o.mu.Lock()
	live := len(o.codes)
	o.mu.Unlock()
	if live != 1 || len(g.box.Messages()) != 2 {
		t.Fatalf("%d live codes, %d messages; want 1, 2", live, len(g.box.Messages()))
	}
}
