package channel

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/paykit-go/paykit/pay"
)

var merchantIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)

func (r PaymentRequest) validate() error {
	switch {
	case !merchantIDPattern.MatchString(r.MerchantID):
		return pay.Errorf(pay.ErrInvalidRequest, "merchant_id", "merchant_id must be 1-64 characters of [A-Za-z0-9_.:-]")
	case r.Channel == "":
		return pay.Errorf(pay.ErrInvalidRequest, "channel", "channel is required")
	case !r.Scenario.Valid():
		return pay.Errorf(pay.ErrInvalidRequest, "scenario", "scenario must be one of %v", Scenarios)
	case len(r.Description) > 128 || !utf8.ValidString(r.Description):
		return pay.Errorf(pay.ErrInvalidRequest, "description", "description must be valid UTF-8 of at most 128 bytes")
	case r.Scenario == ScenarioScanned && (r.AuthCode == "" || len(r.AuthCode) > 64):
		return pay.Errorf(pay.ErrInvalidRequest, "auth_code", "a scanned payment needs the payer's auth_code (at most 64 bytes)")
	case r.Scenario == ScenarioAgreement && r.AgreementID == "":
		return pay.Errorf(pay.ErrInvalidRequest, "agreement_id", "an agreement payment needs agreement_id")
	case len(r.Payer) > 128:
		return pay.Errorf(pay.ErrInvalidRequest, "payer", "payer must be at most 128 bytes")
	case r.ExpiresIn < 0 || r.ExpiresIn > 7*24*3600:
		return pay.Errorf(pay.ErrInvalidRequest, "expires_in", "expires_in must be between 0 and 604800 seconds")
	}
	if err := checkUserID(r.UserID, false); err != nil {
		return err
	}
	return r.Amount.ValidatePositive("amount")
}

// CreatePayment charges the payer through the channel they chose and
// returns the payment: pending with the Action the payer takes next, or
// already final for scenarios the provider settles at once.
//
// The payment is stored before the provider is called, so a callback that
// beats the provider's answer finds it. The outcome of the call decides:
//   - accepted: pending (or final) with the provider's ID;
//   - ErrDeclined: failed, with the provider's reason (no error returned);
//   - ErrUnavailable: with req.Failover, the next channel the user may
//     choose for this scenario is tried with the same payment; otherwise
//     failed, and the error is returned;
//   - anything else, such as ErrOutcomeUnknown: the provider may have
//     accepted, so the payment stays pending on that channel (never failed
//     over, which could charge twice) until a callback or SyncPayment
//     settles it.
func (a *Aggregator) CreatePayment(ctx context.Context, req PaymentRequest) (Payment, error) {
	if err := req.validate(); err != nil {
		return Payment{}, err
	}
	cur := req.Amount.Currency
	if err := a.choosable(ctx, req.UserID, req.Channel, req.Scenario, cur); err != nil {
		return Payment{}, err
	}
	var providerAgreement string
	if req.Scenario == ScenarioAgreement {
		ag, err := a.usableAgreement(ctx, req)
		if err != nil {
			return Payment{}, err
		}
		providerAgreement = ag.ProviderID
	}
	now := a.clock.Now().UTC()
	p := Payment{
		ID: pay.NewID(PrefixPayment), MerchantID: req.MerchantID, UserID: req.UserID, Channel: req.Channel,
		Scenario: req.Scenario, Amount: req.Amount, Description: req.Description, Status: StatusPending,
		Refunded: pay.Money{Currency: cur}, Attempts: []ChargeAttempt{}, AgreementID: req.AgreementID,
		CreatedAt: now, UpdatedAt: now,
	}
	if err := a.store.InsertPayment(ctx, p); err != nil {
		return Payment{}, err
	}
	tried := []string{}
	for {
		name := p.Channel
		tried = append(tried, name)
		ch, err := a.Channel(name)
		if err != nil {
			return Payment{}, err
		}
		creq := ChargeRequest{
			ChargeID: p.ID, Scenario: p.Scenario, Amount: p.Amount, Description: p.Description,
			AuthCode: req.AuthCode, AgreementID: providerAgreement, Payer: req.Payer, NotifyURL: a.callbackURL(name),
		}
		if req.ExpiresIn > 0 {
			creq.ExpiresAt = now.Add(time.Duration(req.ExpiresIn) * time.Second)
		}
		charge, cerr := ch.CreateCharge(ctx, creq)
		if cerr == nil {
			return a.accepted(ctx, p.ID, name, charge)
		}
		if errors.Is(cerr, ErrUnavailable) && req.Failover && req.Scenario != ScenarioAgreement {
			if nextName := a.nextChoice(ctx, req.UserID, p.Scenario, cur, tried); nextName != "" {
				p, err = a.store.UpdatePayment(ctx, p.ID, "", func(q *Payment) error {
					q.Attempts = append(q.Attempts, ChargeAttempt{Channel: name, Error: errCode(cerr)})
					q.Channel, q.UpdatedAt = nextName, a.clock.Now().UTC()
					return nil
				})
				if err != nil {
					return Payment{}, err
				}
				continue
			}
		}
		return a.rejected(ctx, p.ID, name, cerr)
	}
}

// nextChoice is the first channel after those tried that the user may
// choose for the scenario, or "".
func (a *Aggregator) nextChoice(ctx context.Context, userID string, s Scenario, cur string, tried []string) string {
	choices, err := a.Choices(ctx, userID, s, cur)
	if err != nil {
		return ""
	}
	for _, c := range choices {
		if !slices.Contains(tried, c.Name) {
			return c.Name
		}
	}
	return ""
}

// accepted records the provider's answer to a create call.
func (a *Aggregator) accepted(ctx context.Context, id, name string, c Charge) (Payment, error) {
	return a.move(ctx, id, "", func(p *Payment) (Status, string, error) {
		p.Attempts = append(p.Attempts, ChargeAttempt{Channel: name})
		if p.ProviderID == "" {
			p.ProviderID = c.ProviderID
		}
		p.Action, p.UpdatedAt = c.Action, a.clock.Now().UTC()
		return c.Status, c.FailureReason, nil
	})
}

// rejected records a create call that failed; see CreatePayment.
func (a *Aggregator) rejected(ctx context.Context, id, name string, cerr error) (Payment, error) {
	final := errors.Is(cerr, ErrUnavailable) || errors.Is(cerr, ErrUnsupported)
	fail := final || errors.Is(cerr, ErrDeclined)
	p, err := a.move(ctx, id, "", func(p *Payment) (Status, string, error) {
		p.Attempts = append(p.Attempts, ChargeAttempt{Channel: name, Error: errCode(cerr)})
		p.UpdatedAt = a.clock.Now().UTC()
		if !fail {
			return "", "", nil // may have been accepted: stays pending
		}
		return StatusFailed, reason(cerr), nil
	})
	if err == nil && final {
		return p, cerr
	}
	return p, err
}

// move is every change of a payment's status: in one store update (de-
// duplicated by eventKey when set) edit adjusts the payment and names the
// status the channel reported ("" for none), which applyStatus then applies;
// after the commit, the transition's effects run.
func (a *Aggregator) move(ctx context.Context, id, eventKey string, edit func(*Payment) (Status, string, error)) (Payment, error) {
	var t transition
	p, err := a.store.UpdatePayment(ctx, id, eventKey, func(p *Payment) error {
		to, why, err := edit(p)
		if err != nil || to == "" {
			return err
		}
		t, err = a.applyStatus(ctx, p, to, why)
		return err
	})
	if err != nil {
		return Payment{}, err
	}
	a.after(ctx, p, t)
	return p, nil
}

// applyStatus moves p towards status to inside a store update, booking a
// success in the ledger in the same step.
func (a *Aggregator) applyStatus(ctx context.Context, p *Payment, to Status, why string) (transition, error) {
	t := next(p.Status, to)
	if t == noChange {
		return t, nil
	}
	if to == StatusSucceeded {
		if err := a.bookCharge(ctx, p); err != nil {
			return noChange, err
		}
		p.FailureReason = ""
	}
	if to == StatusFailed {
		p.FailureReason = why
	}
	p.Status, p.UpdatedAt = to, a.clock.Now().UTC()
	p.LateSuccess = p.LateSuccess || t == lateSuccess
	return t, nil
}

// lateSuccessReason is the reason of the automatic refund of a late success.
const lateSuccessReason = "late success after close"

// after runs the effects of a committed transition: wake waiters, tell the
// merchant, and refund a late success.
func (a *Aggregator) after(ctx context.Context, p Payment, t transition) {
	if t == noChange {
		return
	}
	a.waiters.wake(p.ID)
	a.notify(ctx, statusWebhook(p.Status), p)
	if t == lateSuccess {
		if _, err := a.Refund(context.WithoutCancel(ctx), p.ID, RefundParams{Amount: p.Amount, Reason: lateSuccessReason}); err != nil {
			a.log.ErrorContext(ctx, "channel: refunding a late success", "payment", p.ID, "err", err)
		}
	}
}

// Payment returns a payment by ID.
func (a *Aggregator) Payment(ctx context.Context, id string) (Payment, error) {
	return a.store.Payment(ctx, id)
}

// ClosePayment closes an unpaid payment at its channel so it can no longer
// be paid. Closing a payment that is already final returns it unchanged.
func (a *Aggregator) ClosePayment(ctx context.Context, id string) (Payment, error) {
	p, err := a.store.Payment(ctx, id)
	if err != nil || p.Status == StatusSucceeded || p.Status == StatusClosed {
		return p, err
	}
	ch, err := a.Channel(p.Channel)
	if err != nil {
		return Payment{}, err
	}
	if err := ch.CloseCharge(ctx, id); err != nil {
		if errors.Is(err, ErrDeclined) { // e.g. already paid: learn the truth
			return a.SyncPayment(ctx, id)
		}
		return Payment{}, err
	}
	return a.setStatus(ctx, id, "", StatusClosed, "")
}

// SyncPayment asks the channel for the payment's state and applies it, and
// does the same for its pending refunds: the reconciliation a backend runs
// for payments whose create call timed out or whose callback never came.
func (a *Aggregator) SyncPayment(ctx context.Context, id string) (Payment, error) {
	p, err := a.store.Payment(ctx, id)
	if err != nil {
		return Payment{}, err
	}
	ch, err := a.Channel(p.Channel)
	if err != nil {
		return Payment{}, err
	}
	c, err := ch.QueryCharge(ctx, id)
	if err != nil {
		return Payment{}, err
	}
	if !c.Amount.IsZero() && c.Amount != p.Amount {
		return Payment{}, Errorf(ErrAmountMismatch, "amount", "the channel reports %s for a payment of %s", c.Amount, p.Amount)
	}
	if p, err = a.setStatus(ctx, id, c.ProviderID, c.Status, c.FailureReason); err != nil {
		return Payment{}, err
	}
	for _, r := range p.Refunds {
		if r.Status != RefundPending {
			continue
		}
		got, err := ch.QueryRefund(ctx, id, r.ID)
		if err != nil {
			return Payment{}, err
		}
		if got.Status != RefundPending {
			if p, err = a.applyRefund(ctx, id, r.ID, "", got.Status, got.ProviderID, pay.Money{}); err != nil {
				return Payment{}, err
			}
		}
	}
	if left := p.Refundable(); p.LateSuccess && left.Amount > 0 {
		// The automatic refund of a late success did not go through when
		// the success arrived: try again.
		return a.Refund(ctx, id, RefundParams{Amount: left, Reason: lateSuccessReason})
	}
	return p, nil
}

// setStatus applies a status learnt outside a callback.
func (a *Aggregator) setStatus(ctx context.Context, id, providerID string, to Status, why string) (Payment, error) {
	return a.move(ctx, id, "", func(p *Payment) (Status, string, error) {
		if p.ProviderID == "" {
			p.ProviderID = providerID
		}
		return to, why, nil
	})
}

func (a *Aggregator) callbackURL(name string) string {
	if a.notifyURL == nil {
		return ""
	}
	return a.notifyURL(name)
}

// errCode is an error's stable code for records (never its message).
func errCode(err error) string {
	if s := sentinelOf(err); s != nil {
		return s.Error()
	}
	var pe *pay.Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return pay.ErrInternal.Code
}

// reason is a decline's message, safe to show (adapters keep secrets out).
func reason(err error) string {
	var pe *pay.Error
	if errors.As(err, &pe) && pe.Message != "" {
		return pe.Message
	}
	return "declined"
}
