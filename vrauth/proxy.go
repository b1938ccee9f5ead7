package vrauth

import (
	"context"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/internal/randid"
	"github.com/paykit-go/paykit/pay"
)

// AgreementRequest starts a proxy-debit agreement (POST
// /v1/vr/users/{user_id}/agreements): the channel to sign in and the
// limits paykit enforces on every debit under it.
type AgreementRequest struct {
	Channel    string    `json:"channel"`
	PerPayment pay.Money `json:"per_payment"`
	PerDay     pay.Money `json:"per_day"`
	// ReturnURL is where the channel's signing page sends the user after.
	ReturnURL string `json:"return_url,omitempty"`
}

// SignAgreement starts signing a proxy-debit agreement inside a channel
// (WeChat Pay entrusted deduction, Alipay agreement payment, the sandbox's
// equivalent). The user signs at SignURL; the channel's callback completes
// it. Only a verified user may sign.
func (s *Service) SignAgreement(ctx context.Context, userID string, req AgreementRequest) (Agreement, error) {
	if err := req.PerPayment.ValidatePositive("per_payment"); err != nil {
		return Agreement{}, err
	}
	if err := req.PerDay.ValidatePositive("per_day"); err != nil {
		return Agreement{}, err
	}
	if req.PerDay.Currency != req.PerPayment.Currency || req.PerDay.Amount < req.PerPayment.Amount {
		return Agreement{}, pay.Errorf(pay.ErrInvalidRequest, "per_day", "per_day must be in per_payment's currency and at least per_payment")
	}
	u, err := s.user(ctx, userID)
	if err != nil {
		return Agreement{}, err
	}
	if u.Status != UserVerified {
		return Agreement{}, pay.Errorf(ErrNotVerified, "user_id", "only a verified user may sign a proxy-debit agreement")
	}
	rec, err := s.agg.SignAgreement(ctx, channel.AgreementParams{Channel: req.Channel, UserID: u.ID, DisplayName: "paykit VR purchases", ReturnURL: req.ReturnURL})
	if err != nil {
		return Agreement{}, err
	}
	g := Agreement{ID: randid.New(PrefixAgreement), UserID: u.ID, Channel: rec.Channel, ChannelAgreementID: rec.ID,
		Status: string(rec.Status), SignURL: rec.Action.RedirectURL, PerPayment: req.PerPayment, PerDay: req.PerDay,
		CreatedAt: s.clock.Now().UTC()}
	if err := s.store.InsertAgreement(ctx, g); err != nil {
		return Agreement{}, err
	}
	return g, nil
}

// Agreement returns an agreement with its channel status read fresh from
// the aggregator.
func (s *Service) Agreement(ctx context.Context, id string) (Agreement, error) {
	if !randid.Valid(id, PrefixAgreement) {
		return Agreement{}, pay.Errorf(pay.ErrNotFound, "agreement_id", "no such agreement")
	}
	g, err := s.store.Agreement(ctx, id)
	if err != nil {
		return Agreement{}, err
	}
	return s.fresh(ctx, g)
}

// fresh fills in the channel agreement's status (and the day's total,
// which restarts each UTC day).
func (s *Service) fresh(ctx context.Context, g Agreement) (Agreement, error) {
	rec, err := s.agg.AgreementByID(ctx, g.ChannelAgreementID)
	if err != nil {
		return Agreement{}, err
	}
	g.Status = string(rec.Status)
	if rec.Status != channel.AgreementPending {
		g.SignURL = ""
	}
	if today := s.today(); g.Day != today {
		g.Day, g.SpentToday = today, 0
	}
	return g, nil
}

// Agreements lists a user's agreements.
func (s *Service) Agreements(ctx context.Context, userID string) ([]Agreement, error) {
	if _, err := s.user(ctx, userID); err != nil {
		return nil, err
	}
	gs, err := s.store.Agreements(ctx, userID)
	if err != nil {
		return nil, err
	}
	for i := range gs {
		if gs[i], err = s.fresh(ctx, gs[i]); err != nil {
			return nil, err
		}
	}
	return gs, nil
}

// TerminateAgreement ends an agreement at its channel; later debits are
// refused.
func (s *Service) TerminateAgreement(ctx context.Context, id, reason string) (Agreement, error) {
	if err := pay.CheckText("reason", reason, false, 128); err != nil {
		return Agreement{}, err
	}
	g, err := s.Agreement(ctx, id)
	if err != nil {
		return Agreement{}, err
	}
	if _, err := s.agg.TerminateAgreement(ctx, g.ChannelAgreementID, reason); err != nil {
		return Agreement{}, err
	}
	return s.Agreement(ctx, id)
}

func (s *Service) today() string { return s.clock.Now().UTC().Format("2006-01-02") }

// agreementFor picks the user's signed agreement for an order (on the
// order's channel if it names one) whose limits leave room for it.
func (s *Service) agreementFor(ctx context.Context, userID string, o Order) (Agreement, error) {
	gs, err := s.Agreements(ctx, userID)
	if err != nil {
		return Agreement{}, err
	}
	var limitErr error
	for _, g := range gs {
		if g.Status != string(channel.AgreementSigned) || (o.Channel != "" && g.Channel != o.Channel) {
			continue
		}
		if err := withinLimits(g, o.Amount); err != nil {
			limitErr = err
			continue
		}
		return g, nil
	}
	if limitErr != nil {
		return Agreement{}, limitErr
	}
	return Agreement{}, pay.Errorf(ErrNoAgreement, "user_id", "the user has no signed proxy-debit agreement for this purchase (sign one, or wait for the channel to confirm it)")
}

// withinLimits checks an amount against an agreement whose day is current.
func withinLimits(g Agreement, m pay.Money) error {
	switch {
	case m.Currency != g.PerPayment.Currency:
		return pay.Errorf(ErrLimit, "order.amount", "the agreement's limits are in %s", g.PerPayment.Currency)
	case m.Amount > g.PerPayment.Amount:
		return pay.Errorf(ErrLimit, "order.amount", "%s exceeds the agreement's per-payment limit of %s", m, g.PerPayment)
	case g.SpentToday+m.Amount > g.PerDay.Amount:
		return pay.Errorf(ErrLimit, "order.amount", "%s would exceed the agreement's daily limit of %s (%s left today)",
			m, g.PerDay, pay.Money{Amount: g.PerDay.Amount - g.SpentToday, Currency: g.PerDay.Currency})
	}
	return nil
}

// reserve counts a proxy debit against its agreement's day, atomically
// with the limit check, after confirming the channel agreement is still
// signed. It returns the day counted against.
func (s *Service) reserve(ctx context.Context, a Authorization) (string, error) {
	g, err := s.Agreement(ctx, a.AgreementID)
	if err != nil {
		return "", err
	}
	if g.Status != string(channel.AgreementSigned) {
		return "", pay.Errorf(ErrNoAgreement, "agreement_id", "the proxy-debit agreement is %s", g.Status)
	}
	day := s.today()
	_, err = s.store.UpdateAgreement(ctx, g.ID, func(g *Agreement) error {
		if g.Day != day {
			g.Day, g.SpentToday = day, 0
		}
		if err := withinLimits(*g, a.Order.Amount); err != nil {
			return err
		}
		g.SpentToday += a.Order.Amount.Amount
		return nil
	})
	return day, err
}

// release gives back a reservation that didn't become a payment (only if
// its day is still the agreement's current day).
func (s *Service) release(ctx context.Context, agreementID string, amount int64, day string) {
	_, err := s.store.UpdateAgreement(ctx, agreementID, func(g *Agreement) error {
		if g.Day == day {
			g.SpentToday = max(0, g.SpentToday-amount)
		}
		return nil
	})
	if err != nil {
		s.log.ErrorContext(ctx, "vrauth: releasing a proxy-debit reservation", "agreement", agreementID, "err", err)
	}
}

// releaseOf releases what a failed authorization reserved.
func (s *Service) releaseOf(ctx context.Context, a Authorization) {
	if a.ReservedDay != "" && a.Reserved > 0 {
		s.release(ctx, a.AgreementID, a.Reserved, a.ReservedDay)
	}
}
