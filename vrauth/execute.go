package vrauth

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/verify"
)

// executeArgs is what an approval adds before charging: the method that
// just passed, the terminal that approved, the channel the user picked.
type executeArgs struct {
	method     verify.Method
	terminalID string
	channel    string
}

// errStillPending says an approval was recorded but the policy still needs
// more (another factor); nothing was charged.
var errStillPending = errors.New("vrauth: more verification needed")

// execute approves an authorization and charges it, atomically: the
// pending → approved transition happens once however many approvals race,
// an expired authorization is marked expired and never charged, and a
// proxy debit's amount is counted against the agreement's day before the
// transition (and given back if the transition or the charge fails).
func (s *Service) execute(ctx context.Context, id string, x executeArgs) (Authorization, error) {
	a, err := s.store.Authorization(ctx, id)
	if err != nil {
		return Authorization{}, err
	}
	if a.Status != StatusPending {
		return a, decided(a)
	}
	var day string
	if a.Mode == ModeProxyDebit {
		if day, err = s.reserve(ctx, a); err != nil {
			return Authorization{}, err
		}
	}
	expired, more := false, false
	a, err = s.store.UpdateAuthorization(ctx, id, func(a *Authorization) error {
		if a.Status != StatusPending {
			return decided(*a)
		}
		now := s.clock.Now().UTC()
		a.UpdatedAt = now
		if !now.Before(a.ExpiresAt) {
			a.Status, expired = StatusExpired, true
			return nil
		}
		if x.method != "" && !slices.Contains(a.Methods, x.method) {
			a.Methods = append(a.Methods, x.method)
		}
		if x.terminalID != "" {
			a.ApprovedBy = x.terminalID
		}
		if a.Requirement.Satisfied(a.Methods, s.factorOf) != nil {
			more = true
			return nil
		}
		a.Status = StatusApproved
		if x.channel != "" {
			a.Channel = x.channel
		}
		if day != "" {
			a.Reserved, a.ReservedDay = a.Order.Amount.Amount, day
		}
		return nil
	})
	if err != nil || expired || more {
		if day != "" {
			s.release(context.WithoutCancel(ctx), a.AgreementID, a.Order.Amount.Amount, day)
		}
		switch {
		case err != nil:
			return Authorization{}, err
		case expired:
			s.waiters.wake(id)
			return a, pay.Errorf(ErrExpiredToken, "", "the authorization expired before it was approved")
		}
		return a, errStillPending
	}
	return s.charge(ctx, a)
}

// decided is the error for acting on an authorization that left pending.
func decided(a Authorization) error {
	if a.Status == StatusExpired {
		return pay.Errorf(ErrExpiredToken, "", "the authorization expired")
	}
	return pay.Errorf(ErrAlreadyDecided, "", "the authorization is already %s", a.Status)
}

// charge asks the aggregator to charge an approved authorization: the web
// scenario for a cross-terminal purchase (the user pays on the channel's
// page), the agreement scenario for a proxy debit.
func (s *Service) charge(ctx context.Context, a Authorization) (Authorization, error) {
	desc := a.Order.Description
	if desc == "" {
		desc = "VR purchase"
	}
	req := channel.PaymentRequest{MerchantID: a.Order.MerchantID, UserID: a.UserID, Channel: a.Channel,
		Amount: a.Order.Amount, Description: desc}
	if a.Mode == ModeProxyDebit {
		g, err := s.store.Agreement(ctx, a.AgreementID)
		if err != nil {
			return s.fail(ctx, a, err)
		}
		req.Scenario, req.AgreementID = channel.ScenarioAgreement, g.ChannelAgreementID
	} else {
		req.Scenario = channel.ScenarioWeb
		req.ExpiresIn = int64(max(60*time.Second, a.ExpiresAt.Sub(s.clock.Now())) / time.Second)
	}
	p, err := s.agg.CreatePayment(ctx, req)
	if err != nil {
		return s.fail(ctx, a, err)
	}
	a, err = s.store.UpdateAuthorization(ctx, a.ID, func(a *Authorization) error {
		a.PaymentID, a.UpdatedAt = p.ID, s.clock.Now().UTC()
		return nil
	})
	if err != nil {
		return Authorization{}, err
	}
	// A result that landed before the payment ID was stored is read back.
	if p, err = s.agg.Payment(ctx, p.ID); err == nil && p.Status.Final() {
		return s.settle(ctx, p)
	}
	return a, nil
}

// fail ends an approved authorization whose charge could not start.
func (s *Service) fail(ctx context.Context, a Authorization, cause error) (Authorization, error) {
	ctx = context.WithoutCancel(ctx)
	reason := "the channel refused the charge"
	var pe *pay.Error
	if errors.As(cause, &pe) {
		reason = pe.Code
	}
	b, err := s.store.UpdateAuthorization(ctx, a.ID, func(a *Authorization) error {
		if a.Status != StatusApproved {
			return decided(*a)
		}
		a.Status, a.FailureReason, a.UpdatedAt = StatusFailed, reason, s.clock.Now().UTC()
		return nil
	})
	if err == nil {
		s.releaseOf(ctx, b)
		s.waiters.wake(a.ID)
	}
	return b, cause
}

// settle applies a payment's final status to its authorization and wakes
// the headset waiting for it.
func (s *Service) settle(ctx context.Context, p channel.Payment) (Authorization, error) {
	a, err := s.store.AuthorizationByPayment(ctx, p.ID)
	if err != nil {
		return Authorization{}, err
	}
	failed := false
	a, err = s.store.UpdateAuthorization(ctx, a.ID, func(a *Authorization) error {
		if a.Status != StatusApproved {
			return nil // already settled
		}
		switch p.Status {
		case channel.StatusSucceeded:
			a.Status = StatusSucceeded
		case channel.StatusFailed, channel.StatusClosed:
			a.Status, a.FailureReason, failed = StatusFailed, p.FailureReason, true
			if a.FailureReason == "" {
				a.FailureReason = "payment " + string(p.Status)
			}
		default:
			return nil
		}
		a.UpdatedAt = s.clock.Now().UTC()
		return nil
	})
	if err != nil {
		return Authorization{}, err
	}
	if failed {
		s.releaseOf(context.WithoutCancel(ctx), a)
	}
	if a.Status.final() {
		s.waiters.wake(a.ID)
	}
	return a, nil
}

// Notify implements channel.Notifier: the aggregator's payment events
// settle the authorizations that charged them. Other events are ignored.
func (s *Service) Notify(ctx context.Context, e pay.Event) {
	switch e.Type {
	case channel.WebhookPaymentSucceeded, channel.WebhookPaymentFailed, channel.WebhookPaymentClosed:
	default:
		return
	}
	var p channel.Payment
	if err := json.Unmarshal(e.Data, &p); err != nil {
		s.log.ErrorContext(ctx, "vrauth: undecodable payment event", "event", e.ID, "err", err)
		return
	}
	if _, err := s.settle(ctx, p); err != nil && !errors.Is(err, pay.ErrNotFound) {
		s.log.ErrorContext(ctx, "vrauth: settling payment", "payment", p.ID, "err", err)
	}
}
