package vrauth

import (
	"context"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/paykit-go/paykit/internal/randid"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/qr/qrimage"
	"github.com/paykit-go/paykit/verify"
)

// CheckoutRequest is a headset placing an order (POST
// /v1/vr/authorizations).
type CheckoutRequest struct {
	UserID    string `json:"user_id"`
	HeadsetID string `json:"headset_id"`
	Order     Order  `json:"order"`
	// Mode is cross_terminal (default) or proxy_debit.
	Mode Mode `json:"mode,omitempty"`
	// Risk is the merchant's risk score for the purchase, 0..100; the
	// policy may ask for more verification as it grows.
	Risk int `json:"risk,omitempty"`
	// Proofs are verification given up front, typically the payment
	// password of a proxy debit.
	Proofs []verify.Proof `json:"proofs,omitempty"`
}

// checkOrder validates an order: the items add up to the amount, in one
// currency, and every text fits.
func checkOrder(o Order) error {
	if err := pay.CheckText("order.merchant_id", o.MerchantID, true, 64); err != nil {
		return err
	}
	if err := pay.CheckText("order.description", o.Description, false, 128); err != nil {
		return err
	}
	if err := pay.CheckText("order.channel", o.Channel, false, 32); err != nil {
		return err
	}
	if err := o.Amount.ValidatePositive("order.amount"); err != nil {
		return err
	}
	if len(o.Items) == 0 || len(o.Items) > 50 {
		return pay.Errorf(pay.ErrInvalidRequest, "order.items", "an order has 1 to 50 items")
	}
	var sum int64
	for _, it := range o.Items {
		if err := pay.CheckText("order.items.name", it.Name, true, 64); err != nil {
			return err
		}
		if it.Quantity < 1 || it.Quantity > 1000 {
			return pay.Errorf(pay.ErrInvalidRequest, "order.items.quantity", "quantity must be 1 to 1000")
		}
		if err := it.UnitPrice.ValidatePositive("order.items.unit_price"); err != nil {
			return err
		}
		if it.UnitPrice.Currency != o.Amount.Currency {
			return pay.Errorf(pay.ErrInvalidRequest, "order.items.unit_price", "every item must be priced in the order's currency")
		}
		line := it.UnitPrice.Amount * int64(it.Quantity)
		if it.UnitPrice.Amount > math.MaxInt64/int64(it.Quantity) || sum > math.MaxInt64-line {
			return pay.Errorf(pay.ErrInvalidRequest, "order.items", "the items overflow")
		}
		sum += line
	}
	if sum != o.Amount.Amount {
		return pay.Errorf(pay.ErrInvalidRequest, "order.amount", "the items add up to %d minor units, not %d", sum, o.Amount.Amount)
	}
	return nil
}

// Checkout places a headset's order and starts its authorization. It
// checks eligibility (each missing condition its own error), asks the
// policy what the purchase needs, verifies the proofs given up front, and
// then either pays at once (a proxy debit whose proofs satisfy the
// policy) or waits: approval links go to the user's trusted terminals and
// the headset shows the user code and QR. Nothing is stored when a check
// or proof fails; a charge refused at once (a limit another debit reached
// meanwhile) leaves the authorization failed, never pending.
func (s *Service) Checkout(ctx context.Context, req CheckoutRequest) (Started, error) {
	if err := pay.CheckText("headset_id", req.HeadsetID, true, 64); err != nil {
		return Started{}, err
	}
	if err := checkOrder(req.Order); err != nil {
		return Started{}, err
	}
	if req.Mode == "" {
		req.Mode = ModeCrossTerminal
	}
	if req.Mode != ModeCrossTerminal && req.Mode != ModeProxyDebit {
		return Started{}, pay.Errorf(pay.ErrInvalidRequest, "mode", "mode must be cross_terminal or proxy_debit")
	}
	if req.Risk < 0 || req.Risk > 100 {
		return Started{}, pay.Errorf(pay.ErrInvalidRequest, "risk", "risk must be 0 to 100")
	}
	if len(req.Proofs) > 8 {
		return Started{}, pay.Errorf(pay.ErrInvalidRequest, "proofs", "at most 8 proofs")
	}
	u, err := s.eligible(ctx, req.UserID, req.HeadsetID)
	if err != nil {
		return Started{}, err
	}
	if err := s.limit("order:" + u.ID + "\x00" + req.HeadsetID); err != nil {
		return Started{}, err
	}
	need := s.engine.Requirement(verify.Payment{Amount: req.Order.Amount, Channel: req.Order.Channel, Risk: req.Risk, Flow: string(req.Mode)})
	now := s.clock.Now().UTC()
	a := Authorization{ID: randid.New(PrefixAuthorization), UserID: u.ID, HeadsetID: req.HeadsetID, Order: req.Order,
		Mode: req.Mode, Status: StatusPending, Requirement: need, Methods: []verify.Method{},
		ExpiresAt: now.Add(s.ttl), CreatedAt: now, UpdatedAt: now, Interval: s.interval}
	if req.Mode == ModeProxyDebit {
		g, err := s.agreementFor(ctx, u.ID, req.Order)
		if err != nil {
			return Started{}, err
		}
		a.AgreementID, a.Channel = g.ID, g.Channel
	} else if req.Order.Channel != "" {
		if err := s.offerable(ctx, u.ID, req.Order.Channel, req.Order.Amount.Currency); err != nil {
			return Started{}, err
		}
	}
	subject := verify.Subject{UserID: u.ID, DeviceID: req.HeadsetID}
	for _, p := range req.Proofs {
		if p.Method == verify.MethodTrustedTerminal {
			return Started{}, pay.Errorf(pay.ErrInvalidRequest, "proofs", "a trusted terminal approves through its link, not as a proof")
		}
		if err := s.engine.Check(ctx, subject, p); err != nil {
			return Started{}, err
		}
		if !slices.Contains(a.Methods, p.Method) {
			a.Methods = append(a.Methods, p.Method)
		}
	}
	satisfied := need.Satisfied(a.Methods, s.factorOf) == nil
	var terminals []Terminal
	if !satisfied && accepts(need, verify.MethodTrustedTerminal) {
		if terminals, err = s.store.Terminals(ctx, u.ID); err != nil {
			return Started{}, err
		}
		if len(terminals) == 0 && slices.Contains(need.Required, verify.MethodTrustedTerminal) {
			return Started{}, pay.Errorf(ErrNoTerminal, "user_id", "the user has no trusted terminal to approve on; add one first")
		}
	}
	device := newSecret()
	a.DeviceHash = hashSecret(device)
	out := Started{DeviceCode: device, ExpiresIn: int64(s.ttl / time.Second), Interval: int64(s.interval / time.Second)}
	tokens := make([]string, len(terminals))
	for i, t := range terminals {
		tokens[i] = newSecret()
		a.Links = append(a.Links, Link{Hash: hashSecret(tokens[i]), TerminalID: t.ID})
	}
	if len(terminals) > 0 {
		if err := s.withUserCode(ctx, &a, &out); err != nil {
			return Started{}, err
		}
	} else if err := s.store.InsertAuthorization(ctx, a); err != nil {
		return Started{}, err
	}
	for i, t := range terminals {
		s.sendLink(ctx, a, t, tokens[i])
	}
	if satisfied {
		if a, err = s.execute(ctx, a.ID, executeArgs{}); err != nil {
			s.abandon(ctx, a.ID, err)
			return Started{}, err
		}
	}
	out.Authorization = a
	return out, nil
}

// withUserCode gives a the user code and out the verification URLs and QR,
// and inserts a, drawing a new code in the (unlikely) case of a clash
// with another live authorization.
func (s *Service) withUserCode(ctx context.Context, a *Authorization, out *Started) error {
	var err error
	for range 4 {
		a.UserCode = newUserCode()
		if err = s.store.InsertAuthorization(ctx, *a); err == nil {
			break
		}
	}
	if err != nil {
		return err
	}
	out.UserCode = FormatUserCode(a.UserCode)
	out.VerificationURI = s.publicURL + verificationURI
	out.VerificationURIComplete = out.VerificationURI + "?user_code=" + out.UserCode
	out.QRPNG, err = qrimage.Encode(out.VerificationURIComplete, qrimage.WithLevel(qrimage.LevelM))
	return err
}

// sendLink sends one approval link; a failure is logged (the user can
// still type the code on another trusted terminal).
func (s *Service) sendLink(ctx context.Context, a Authorization, t Terminal, token string) {
	url := s.publicURL + approvalPath + token
	msg := verify.Message{To: t.Address, Kind: KindApproval, Link: url,
		Body: "Approve your VR purchase of " + a.Order.Amount.String() + " on " + t.Name + ": " + url}
	if err := s.sender.Send(ctx, msg); err != nil {
		s.log.WarnContext(ctx, "vrauth: approval link not sent", "authorization", a.ID, "terminal", t.ID, "err", err)
	}
}

// accepts reports whether m can count toward r.
func accepts(r verify.Requirement, m verify.Method) bool {
	return slices.Contains(r.Required, m) || len(r.Methods) == 0 || slices.Contains(r.Methods, m)
}

// factorOf is the factor category of a method, for Requirement.Satisfied.
func (s *Service) factorOf(m verify.Method) verify.Factor {
	if m == verify.MethodTrustedTerminal {
		return verify.FactorPossession
	}
	if v, ok := s.engine.Verifier(m); ok {
		return v.Factor()
	}
	return verify.FactorContext
}

// offerable checks that a channel may charge the user in the web scenario
// of cross-terminal approval.
func (s *Service) offerable(ctx context.Context, userID, name, currency string) error {
	choices, err := s.channels(ctx, userID, currency)
	if err != nil {
		return err
	}
	for _, c := range choices {
		if c == name {
			return nil
		}
	}
	return pay.Errorf(pay.ErrInvalidRequest, "channel", "channel %q is not enabled for this user and currency", pay.Clip(name, 32))
}

// abandon ends an authorization whose immediate charge was refused before
// it started (a limit reached meanwhile, the agreement ended): its device
// code was never handed out, so it is closed as failed and delivered,
// leaving nothing pending.
func (s *Service) abandon(ctx context.Context, id string, cause error) {
	_, _ = s.store.UpdateAuthorization(context.WithoutCancel(ctx), id, func(a *Authorization) error {
		if a.Status != StatusPending {
			return nil
		}
		a.Status, a.Delivered, a.UpdatedAt = StatusFailed, true, s.clock.Now().UTC()
		a.FailureReason = "refused at checkout"
		var pe *pay.Error
		if errors.As(cause, &pe) {
			a.FailureReason = pe.Code
		}
		return nil
	})
}
