package verify

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/internal/randid"
	"github.com/paykit-go/paykit/pay"
)

// Defaults of OTPs: the limits that keep a 6-digit code (10^6 values)
// unguessable in practice.
const (
	DefaultOTPTTL         = 10 * time.Minute // how long a code is valid
	DefaultMaxAttempts    = 5                // wrong answers before a code is dead
	DefaultResendInterval = 60 * time.Second // between codes for one subject and purpose
	DefaultMaxSends       = 5                // codes per destination per hour
)

// OTPDigits is the length of a one-time code.
const OTPDigits = 6

// otpSendWindow is the window WithMaxSends counts sends over.
const otpSendWindow = time.Hour

// OTPs sends and checks SMS one-time codes. A code is 6 digits drawn
// uniformly from crypto/rand (leading zeros kept) and is never stored: only
// its HMAC-SHA256 under a random key of this OTPs value. Each code belongs
// to one subject and purpose ("enrollment", "payment" …), answers once, is
// dead after 5 wrong attempts (ErrLocked), and expires after 10 minutes.
// Sending again for the same subject and purpose replaces the previous code,
// but not within 60 seconds of it (ErrThrottled), and no destination gets
// more than 5 codes an hour. Safe for concurrent use; state is in memory.
type OTPs struct {
	sender      Sender
	clock       pay.Clock
	ttl         time.Duration
	resend      time.Duration
	maxAttempts int
	maxSends    int
	key         []byte // HMAC key; codes are stored only as HMACs under it

	mu        sync.Mutex
	codes     map[string]*otpCode    // challenge ID -> live code
	dead      map[string]otpDead     // challenge ID -> why it can't be answered
	slots     map[otpSlot]otpSent    // subject+purpose -> its latest code
	sends     map[string][]time.Time // destination -> sends in the last hour
	nextPrune time.Time
}

type otpSlot struct {
	subject Subject
	purpose string
}

type otpSent struct {
	id      string
	at      time.Time
	pending bool // the message is being sent
}

type otpCode struct {
	slot      otpSlot
	mac       []byte
	expiresAt time.Time
	attempts  int
}

type otpDeath int

const (
	otpUsed otpDeath = iota + 1
	otpExpired
	otpReplaced
	otpLocked
)

type otpDead struct {
	why    otpDeath
	forget time.Time
}

// OTPOption configures OTPs in NewOTPs.
type OTPOption func(*OTPs) error

// WithOTPClock sets the clock codes are timed by (default: system clock).
func WithOTPClock(c pay.Clock) OTPOption {
	return func(o *OTPs) error {
		if c == nil {
			return errors.New("verify: nil OTP clock")
		}
		o.clock = c
		return nil
	}
}

// WithOTPTTL sets how long a code is valid (default 10 minutes; 1 minute
// to 1 hour).
func WithOTPTTL(d time.Duration) OTPOption {
	return func(o *OTPs) error {
		if d < time.Minute || d > time.Hour {
			return fmt.Errorf("verify: OTP lifetime %v outside 1m..1h", d)
		}
		o.ttl = d
		return nil
	}
}

// WithMaxAttempts sets how many wrong answers kill a code (default 5;
// 1 to 10).
func WithMaxAttempts(n int) OTPOption {
	return func(o *OTPs) error {
		if n < 1 || n > 10 {
			return fmt.Errorf("verify: OTP max attempts %d outside 1..10", n)
		}
		o.maxAttempts = n
		return nil
	}
}

// WithResendInterval sets how long after a code another for the same
// subject and purpose may be sent (default 60 s; 0 to 1 hour).
func WithResendInterval(d time.Duration) OTPOption {
	return func(o *OTPs) error {
		if d < 0 || d > time.Hour {
			return fmt.Errorf("verify: OTP resend interval %v outside 0..1h", d)
		}
		o.resend = d
		return nil
	}
}

// WithMaxSends sets how many codes one destination may receive per hour
// (default 5; 1 to 100).
func WithMaxSends(n int) OTPOption {
	return func(o *OTPs) error {
		if n < 1 || n > 100 {
			return fmt.Errorf("verify: OTP max sends %d outside 1..100", n)
		}
		o.maxSends = n
		return nil
	}
}

// NewOTPs returns OTPs that deliver codes through sender.
func NewOTPs(sender Sender, opts ...OTPOption) (*OTPs, error) {
	if sender == nil {
		return nil, errors.New("verify: NewOTPs needs a sender")
	}
	o := &OTPs{
		sender: sender, clock: clock.System{}, ttl: DefaultOTPTTL, resend: DefaultResendInterval,
		maxAttempts: DefaultMaxAttempts, maxSends: DefaultMaxSends,
		key:   make([]byte, 32),
		codes: map[string]*otpCode{}, dead: map[string]otpDead{},
		slots: map[otpSlot]otpSent{}, sends: map[string][]time.Time{},
	}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	_, _ = rand.Read(o.key)
	return o, nil
}

// Send makes a new code for s and purpose, sends it to to (a mobile number)
// as "paykit code 123456 for <purpose>, valid 10 minutes", and returns the
// challenge the code answers (its ID; no nonce). It replaces the subject's
// previous code for the purpose. Within the resend interval of that code, or
// past the destination's hourly limit, it sends nothing and returns
// ErrThrottled saying how many seconds to wait. If the sender fails,
// nothing changes (the previous code stays valid) and the error is
// pay.ErrUnavailable.
func (o *OTPs) Send(ctx context.Context, s Subject, purpose, to string) (Challenge, error) {
	if err := checkSubject(s, false); err != nil {
		return Challenge{}, err
	}
	if err := checkOTPText("purpose", purpose, 64); err != nil {
		return Challenge{}, err
	}
	if err := checkOTPText("to", to, 256); err != nil {
		return Challenge{}, err
	}
	code := newOTPCode()
	id := randid.New("otp")
	slot := otpSlot{subject: s, purpose: purpose}
	now := o.clock.Now()

	o.mu.Lock()
	o.pruneLocked(now)
	if err := o.throttleLocked(now, slot, to); err != nil {
		o.mu.Unlock()
		return Challenge{}, err
	}
	prev, hadPrev := o.slots[slot]
	o.slots[slot] = otpSent{id: id, at: now, pending: true}
	o.sends[to] = append(o.sends[to], now)
	o.mu.Unlock()

	body := fmt.Sprintf("paykit code %s for %s, valid %s", code, purpose, humanDuration(o.ttl))
	sendErr := o.sender.Send(ctx, Message{To: to, Kind: MessageKindOTP, Body: body})

	o.mu.Lock()
	defer o.mu.Unlock()
	if sendErr != nil {
		if cur, ok := o.slots[slot]; ok && cur.id == id {
			if hadPrev {
				o.slots[slot] = prev
			} else {
				delete(o.slots, slot)
			}
		}
		o.sends[to] = removeTime(o.sends[to], now)
		// The sender's error is not wrapped: it might quote the body.
		return Challenge{}, pay.Errorf(pay.ErrUnavailable, "to", "the %s code could not be sent", purpose)
	}
	if hadPrev {
		if old, ok := o.codes[prev.id]; ok {
			o.killLocked(prev.id, old, otpReplaced)
		}
	}
	expires := now.Add(o.ttl)
	o.codes[id] = &otpCode{slot: slot, mac: o.mac(id, code), expiresAt: expires}
	if cur, ok := o.slots[slot]; ok && cur.id == id {
		o.slots[slot] = otpSent{id: id, at: now}
	}
	return Challenge{ID: id, Method: MethodSMS, ExpiresAt: expires}, nil
}

// Check answers challenge challengeID with code for s and purpose. The right
// code passes once (a second answer is ErrReplayed); a wrong one is
// ErrFailed saying how many attempts are left, and the attempt that uses up
// the last is ErrLocked, after which the code is dead even for the right
// value. An expired or replaced code is ErrExpired. A code sent for another
// subject or purpose is ErrFailed and counts as a wrong attempt. A code that
// is not 6 digits is ErrFailed without counting (it can never be right).
func (o *OTPs) Check(ctx context.Context, s Subject, purpose, challengeID, code string) error {
	if err := checkSubject(s, false); err != nil {
		return err
	}
	if !isOTPShape(code) {
		return pay.Errorf(ErrFailed, "secret", "a one-time code is %d digits", OTPDigits)
	}
	now := o.clock.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	o.pruneLocked(now)
	c, ok := o.codes[challengeID]
	if !ok {
		if d, ok := o.dead[challengeID]; ok {
			return d.why.err()
		}
		return pay.Errorf(ErrFailed, "challenge_id", "unknown one-time code")
	}
	if !now.Before(c.expiresAt) {
		o.killLocked(challengeID, c, otpExpired)
		return otpExpired.err()
	}
	match := subtle.ConstantTimeCompare(o.mac(challengeID, code), c.mac) == 1
	sameSlot := c.slot == otpSlot{subject: s, purpose: purpose}
	if match && sameSlot {
		o.killLocked(challengeID, c, otpUsed)
		return nil
	}
	c.attempts++
	left := o.maxAttempts - c.attempts
	if left <= 0 {
		o.killLocked(challengeID, c, otpLocked)
		return pay.Errorf(ErrLocked, "secret", "wrong one-time code; no attempts left, ask for a new code")
	}
	if !sameSlot {
		return pay.Errorf(ErrFailed, "challenge_id", "the one-time code was not sent for this user or purpose; %d attempts left", left)
	}
	return pay.Errorf(ErrFailed, "secret", "wrong one-time code; %d attempts left", left)
}

// Verifier returns the SMS verifier for codes sent for purpose.
func (o *OTPs) Verifier(purpose string) *SMSVerifier {
	return &SMSVerifier{otps: o, purpose: purpose}
}

// SMSVerifier checks sms_otp proofs (ChallengeID and Secret, the code)
// against codes OTPs sent for one purpose. Codes are sent with OTPs.Send,
// which needs the destination, so it is not a Challenger.
type SMSVerifier struct {
	otps    *OTPs
	purpose string
}

// Method returns MethodSMS.
func (v *SMSVerifier) Method() Method { return MethodSMS }

// Factor returns FactorPossession: the code proves the phone is at hand.
func (v *SMSVerifier) Factor() Factor { return FactorPossession }

// Verify checks p's code against its challenge (see OTPs.Check).
func (v *SMSVerifier) Verify(ctx context.Context, s Subject, p Proof) error {
	if err := checkProofMethod(MethodSMS, p); err != nil {
		return err
	}
	return v.otps.Check(ctx, s, v.purpose, p.ChallengeID, p.Secret)
}

// mac is the stored form of a code: HMAC-SHA256 under the OTPs key over the
// challenge ID and the code.
func (o *OTPs) mac(id, code string) []byte {
	h := hmac.New(sha256.New, o.key)
	h.Write([]byte(id))
	h.Write([]byte{0})
	h.Write([]byte(code))
	return h.Sum(nil)
}

// throttleLocked refuses a send within the resend interval of the slot's
// live code, and past the destination's hourly limit.
func (o *OTPs) throttleLocked(now time.Time, slot otpSlot, to string) error {
	if cur, ok := o.slots[slot]; ok {
		_, live := o.codes[cur.id]
		until := cur.at.Add(o.resend)
		// A send in flight always throttles, so two codes for one slot are
		// never live at once, whatever the interval.
		if cur.pending || live && now.Before(until) {
			ago, wait := int(now.Sub(cur.at)/time.Second), max(1, ceilSeconds(until.Sub(now)))
			return pay.Errorf(ErrThrottled, "purpose", "a code was sent %d %s ago; wait %d %s before asking for another",
				ago, plural(ago, "second"), wait, plural(wait, "second"))
		}
	}
	sent := slices.DeleteFunc(o.sends[to], func(t time.Time) bool { return now.Sub(t) >= otpSendWindow })
	slices.SortFunc(sent, time.Time.Compare)
	o.sends[to] = sent
	if len(sent) >= o.maxSends {
		until := sent[len(sent)-o.maxSends].Add(otpSendWindow)
		wait := max(1, ceilSeconds(until.Sub(now)))
		return pay.Errorf(ErrThrottled, "to", "%d codes were sent to this number in the last hour; wait %d %s",
			len(sent), wait, plural(wait, "second"))
	}
	return nil
}

// killLocked makes a live code unanswerable, remembering why until a
// lifetime after its expiry.
func (o *OTPs) killLocked(id string, c *otpCode, why otpDeath) {
	delete(o.codes, id)
	o.dead[id] = otpDead{why: why, forget: c.expiresAt.Add(o.ttl)}
	if cur, ok := o.slots[c.slot]; ok && cur.id == id && !cur.pending {
		delete(o.slots, c.slot)
	}
}

// pruneLocked, at most once per half lifetime, kills expired codes, forgets
// dead IDs past their time and sends older than an hour.
func (o *OTPs) pruneLocked(now time.Time) {
	if now.Before(o.nextPrune) {
		return
	}
	o.nextPrune = now.Add(o.ttl / 2)
	for id, c := range o.codes {
		if !now.Before(c.expiresAt) {
			o.killLocked(id, c, otpExpired)
		}
	}
	for id, d := range o.dead {
		if now.After(d.forget) {
			delete(o.dead, id)
		}
	}
	for to, sent := range o.sends {
		keep := sent[:0]
		for _, t := range sent {
			if now.Sub(t) < otpSendWindow {
				keep = append(keep, t)
			}
		}
		if len(keep) == 0 {
			delete(o.sends, to)
		} else {
			o.sends[to] = keep
		}
	}
	for slot, cur := range o.slots {
		if _, live := o.codes[cur.id]; !live && !cur.pending {
			delete(o.slots, slot)
		}
	}
}

func (d otpDeath) err() error {
	switch d {
	case otpUsed:
		return pay.Errorf(ErrReplayed, "challenge_id", "the one-time code was already used")
	case otpReplaced:
		return pay.Errorf(ErrExpired, "challenge_id", "the one-time code was replaced by a newer one")
	case otpLocked:
		return pay.Errorf(ErrLocked, "challenge_id", "too many wrong one-time codes; ask for a new code")
	default:
		return pay.Errorf(ErrExpired, "challenge_id", "the one-time code expired")
	}
}

// newOTPCode draws a code uniformly from 000000..999999 with crypto/rand.
func newOTPCode() string {
	code, err := otpCodeFrom(rand.Reader)
	if err != nil {
		panic("verify: crypto/rand failed: " + err.Error()) // crypto/rand does not fail on supported platforms
	}
	return code
}

// otpCodeFrom draws a 6-digit code from r by rejection sampling: a 32-bit
// value at or above the largest multiple of 10^6 below 2^32 is drawn again,
// so every code is equally likely; leading zeros are kept.
func otpCodeFrom(r io.Reader) (string, error) {
	const limit = 4_294_000_000
	var b [4]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return "", err
		}
		if v := binary.BigEndian.Uint32(b[:]); v < limit {
			return fmt.Sprintf("%06d", v%1_000_000), nil
		}
	}
}

func isOTPShape(code string) bool {
	if len(code) != OTPDigits {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

// checkOTPText refuses an empty, over-long, non-UTF-8 or control-character
// purpose or destination (both end up in a message).
func checkOTPText(param, s string, maxLen int) error {
	if s == "" || len(s) > maxLen || !utf8.ValidString(s) {
		return pay.Errorf(pay.ErrInvalidRequest, param, "%s must be 1 to %d bytes of UTF-8", param, maxLen)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return pay.Errorf(pay.ErrInvalidRequest, param, "%s contains a control character", param)
		}
	}
	return nil
}

// humanDuration writes d for a message: "10 minutes", "1 minute", "90 seconds".
func humanDuration(d time.Duration) string {
	if d%time.Minute == 0 {
		if m := int(d / time.Minute); m != 1 {
			return fmt.Sprintf("%d minutes", m)
		}
		return "1 minute"
	}
	return fmt.Sprintf("%d seconds", ceilSeconds(d))
}

func ceilSeconds(d time.Duration) int {
	return int((d + time.Second - 1) / time.Second)
}

func removeTime(ts []time.Time, t time.Time) []time.Time {
	for i := range ts {
		if ts[i].Equal(t) {
			return append(ts[:i], ts[i+1:]...)
		}
	}
	return ts
}
