package vrauth

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/paykit-go/paykit/internal/randid"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/verify"
)

// waiters lets long-polling headsets sleep until their authorization
// changes: wake closes the channel every current waiter holds. Entries are
// counted, so one that no call waits on any more is dropped.
type waiters struct {
	mu sync.Mutex
	ch map[string]*waitEntry
}

type waitEntry struct {
	c chan struct{}
	n int
}

func (w *waiters) init() { w.ch = map[string]*waitEntry{} }

// wait returns a channel closed by the next wake of id, and a release the
// caller runs when it stops waiting.
func (w *waiters) wait(id string) (<-chan struct{}, func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	e, ok := w.ch[id]
	if !ok {
		e = &waitEntry{c: make(chan struct{})}
		w.ch[id] = e
	}
	e.n++
	return e.c, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if e.n--; e.n == 0 && w.ch[id] == e {
			delete(w.ch, id)
		}
	}
}

func (w *waiters) wake(id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if e, ok := w.ch[id]; ok {
		close(e.c)
		delete(w.ch, id)
	}
}

// byDevice finds the authorization a device code belongs to.
func (s *Service) byDevice(ctx context.Context, deviceCode string) (Authorization, error) {
	unknown := pay.Errorf(ErrUnknownDevice, "device_code", "unknown device code")
	if !validSecret(deviceCode) {
		return Authorization{}, unknown
	}
	a, err := s.store.AuthorizationByDevice(ctx, hashSecret(deviceCode))
	if err != nil {
		return Authorization{}, unknown
	}
	return a, nil
}

// deliver hands out an authorization's final result, once. poll applies
// RFC 8628's slow_down to polling calls; long-poll calls pass false.
func (s *Service) deliver(ctx context.Context, id string, poll bool) (Result, error) {
	var slow, ready bool
	a, err := s.store.UpdateAuthorization(ctx, id, func(a *Authorization) error {
		if a.Delivered {
			return pay.Errorf(ErrDelivered, "device_code", "the result of this authorization was already delivered")
		}
		now := s.clock.Now().UTC()
		if a.Status == StatusPending && !now.Before(a.ExpiresAt) {
			a.Status, a.UpdatedAt = StatusExpired, now
		}
		if a.Status.final() {
			a.Delivered, ready = true, true
			return nil
		}
		if poll {
			if !a.LastPoll.IsZero() && now.Sub(a.LastPoll) < a.Interval {
				a.Interval += SlowDownStep
				slow = true
			}
			a.LastPoll = now
		}
		return nil
	})
	switch {
	case err != nil:
		return Result{}, err
	case slow:
		return Result{}, pay.Errorf(ErrSlowDown, "", "polling faster than every %d s; the interval is now %d s", int((a.Interval-SlowDownStep)/time.Second), int(a.Interval/time.Second))
	case !ready:
		return Result{}, pay.Errorf(ErrAuthorizationPending, "", "the purchase is %s", a.Status)
	}
	r := Result{AuthorizationID: a.ID, Status: a.Status, PaymentID: a.PaymentID, Amount: a.Order.Amount, Channel: a.Channel,
		Methods: slices.Clone(a.Methods), FailureReason: a.FailureReason}
	switch a.Status {
	case StatusDenied:
		return r, pay.Errorf(ErrAccessDenied, "", "the user denied the purchase")
	case StatusExpired:
		return r, pay.Errorf(ErrExpiredToken, "", "the authorization expired before it was approved")
	case StatusFailed:
		return r, pay.Errorf(ErrPaymentFailed, "", "the payment failed: %s", pay.Clip(a.FailureReason, 120))
	}
	return r, nil
}

// Poll is RFC 8628 polling: the final result once it exists (delivered
// exactly once), otherwise authorization_pending, or slow_down when the
// headset polls faster than its interval (which then grows by 5 s).
func (s *Service) Poll(ctx context.Context, deviceCode string) (Result, error) {
	a, err := s.byDevice(ctx, deviceCode)
	if err != nil {
		return Result{}, err
	}
	s.lapse(ctx, a)
	return s.deliver(ctx, a.ID, true)
}

// chargeGrace is how long after an authorization's window its channel
// charge may still be paid: charge creates the web charge to expire with
// the window, and at least a minute after the approval.
const chargeGrace = time.Minute + time.Second

// lapse closes the channel charge of an approved authorization whose
// payment window has passed, and settles it: a channel sends no callback
// for a charge nobody paid, and the headset must not be told to wait
// forever. A charge paid meanwhile is learnt as paid (ClosePayment then
// queries the channel).
func (s *Service) lapse(ctx context.Context, a Authorization) {
	if a.Status != StatusApproved || a.PaymentID == "" || s.clock.Now().Before(a.ExpiresAt.Add(chargeGrace)) {
		return
	}
	p, err := s.agg.ClosePayment(ctx, a.PaymentID)
	if err != nil {
		s.log.WarnContext(ctx, "vrauth: closing a lapsed charge", "authorization", a.ID, "payment", a.PaymentID, "err", err)
		return
	}
	if p.Status.Final() {
		if _, err := s.settle(ctx, p); err != nil {
			s.log.WarnContext(ctx, "vrauth: settling a lapsed charge", "authorization", a.ID, "err", err)
		}
	}
}

// Wait is the push path: it returns as soon as the authorization has a
// final result (the channel's callback wakes it), or authorization_pending
// after d (at most MaxWait) or when ctx ends.
func (s *Service) Wait(ctx context.Context, deviceCode string, d time.Duration) (Result, error) {
	a, err := s.byDevice(ctx, deviceCode)
	if err != nil {
		return Result{}, err
	}
	s.lapse(ctx, a)
	d = min(max(d, 0), MaxWait)
	end := a.ExpiresAt
	if a.Status == StatusApproved {
		end = end.Add(chargeGrace) // when lapse closes the charge
	}
	if left := end.Sub(s.clock.Now()); left > 0 && left < d {
		d = left + 10*time.Millisecond
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		woke, release := s.waiters.wait(a.ID)
		r, err := s.deliver(ctx, a.ID, false)
		if !errors.Is(err, ErrAuthorizationPending) {
			release()
			return r, err
		}
		select {
		case <-woke:
			release()
		case <-timer.C:
			release()
			if cur, err := s.store.Authorization(ctx, a.ID); err == nil {
				s.lapse(ctx, cur)
			}
			return s.deliver(ctx, a.ID, false)
		case <-ctx.Done():
			release()
			return Result{}, pay.Errorf(ErrAuthorizationPending, "", "still waiting for the user")
		}
	}
}

// ProofRequest adds a verification proof to a pending authorization.
type ProofRequest struct {
	DeviceCode string       `json:"device_code"`
	Proof      verify.Proof `json:"proof"`
}

// AddProof verifies one more proof for a pending authorization (an SMS
// code, a biometric assertion …). When the policy is then satisfied, a
// proxy debit is charged at once; a cross-terminal purchase still waits
// for its terminal, which pays on the channel's page.
func (s *Service) AddProof(ctx context.Context, deviceCode string, p verify.Proof) (Authorization, error) {
	a, err := s.byDevice(ctx, deviceCode)
	if err != nil {
		return Authorization{}, err
	}
	if a.Status != StatusPending {
		return a, decided(a)
	}
	if p.Method == verify.MethodTrustedTerminal {
		return Authorization{}, pay.Errorf(pay.ErrInvalidRequest, "proof.method", "a trusted terminal approves through its link, not as a proof")
	}
	if !accepts(a.Requirement, p.Method) {
		return Authorization{}, pay.Errorf(verify.ErrUnsupported, "proof.method", "this purchase's policy does not accept %s", pay.Clip(string(p.Method), 32))
	}
	if err := s.engine.Check(ctx, verify.Subject{UserID: a.UserID, DeviceID: a.HeadsetID}, p); err != nil {
		return Authorization{}, err
	}
	if a.Mode == ModeProxyDebit {
		a, err = s.execute(ctx, a.ID, executeArgs{method: p.Method})
		if errors.Is(err, errStillPending) {
			err = nil
		}
		return a, err
	}
	return s.store.UpdateAuthorization(ctx, a.ID, func(a *Authorization) error {
		if a.Status != StatusPending {
			return decided(*a)
		}
		if !slices.Contains(a.Methods, p.Method) {
			a.Methods = append(a.Methods, p.Method)
		}
		return nil
	})
}

// ChallengeRequest asks for a challenge to answer with a proof.
type ChallengeRequest struct {
	DeviceCode string        `json:"device_code"`
	Method     verify.Method `json:"method"`
}

// Challenge issues what a method's proof answers: an SMS code sent to the
// user's mobile number, or a nonce for a device key to sign.
func (s *Service) Challenge(ctx context.Context, deviceCode string, m verify.Method) (verify.Challenge, error) {
	a, err := s.byDevice(ctx, deviceCode)
	if err != nil {
		return verify.Challenge{}, err
	}
	if a.Status != StatusPending {
		return verify.Challenge{}, decided(a)
	}
	subject := verify.Subject{UserID: a.UserID, DeviceID: a.HeadsetID}
	if m == verify.MethodSMS {
		u, err := s.user(ctx, a.UserID)
		if err != nil {
			return verify.Challenge{}, err
		}
		return s.otps.Send(ctx, subject, purposePayment, u.Mobile)
	}
	return s.engine.Challenge(ctx, subject, m)
}

// Authorization returns an authorization (merchant and operator view).
func (s *Service) Authorization(ctx context.Context, id string) (Authorization, error) {
	if !randid.Valid(id, PrefixAuthorization) {
		return Authorization{}, pay.Errorf(pay.ErrNotFound, "authorization_id", "no such authorization")
	}
	return s.store.Authorization(ctx, id)
}
