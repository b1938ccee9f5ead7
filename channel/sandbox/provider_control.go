package sandbox

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

// Pay is the payer paying a pending charge (scanning the QR code, confirming
// in the app or on the web page): the charge succeeds and a charge.succeeded
// callback follows. It fails with ErrUnknownCharge for an unknown charge
// and ErrDeclined when the charge is not pending.
func (p *Provider) Pay(ctx context.Context, chargeID string) error {
	_, err := p.changeCharge(ctx, chargeID, channel.StatusPending, channel.StatusSucceeded, "")
	return err
}

// Decline is the payer's bank refusing a pending charge: it fails with
// reason (a default when empty) and a charge.failed callback follows.
// Errors as for Pay.
func (p *Provider) Decline(ctx context.Context, chargeID, reason string) error {
	_, err := p.changeCharge(ctx, chargeID, channel.StatusPending, channel.StatusFailed, reason)
	return err
}

// PayLate pays a charge that is already closed: the payer paid just as the
// merchant closed it. The charge succeeds and a charge.succeeded callback
// follows, which the aggregator must book and refund. It fails with
// ErrDeclined when the charge is not closed.
func (p *Provider) PayLate(ctx context.Context, chargeID string) error {
	_, err := p.changeCharge(ctx, chargeID, channel.StatusClosed, channel.StatusSucceeded, "")
	return err
}

// SignAgreement is the payer confirming a pending agreement: it becomes
// signed and an agreement.signed callback follows. It fails with
// ErrUnknownCharge for an unknown agreement and ErrDeclined when it is not
// pending.
func (p *Provider) SignAgreement(ctx context.Context, agreementID string) error {
	_, err := p.signAgreement(ctx, func() *agreementRecord { return p.agreements[agreementID] })
	return err
}

func (p *Provider) changeCharge(ctx context.Context, chargeID string, from, to channel.Status, reason string) (chargeWire, error) {
	return p.changeChargeBy(ctx, func() *chargeRecord { return p.charges[chargeID] }, from, to, reason)
}

// changeChargeBy moves the charge find returns (under p.mu) from one status
// to another and dispatches the callback.
func (p *Provider) changeChargeBy(ctx context.Context, find func() *chargeRecord, from, to channel.Status, reason string) (chargeWire, error) {
	if err := ctx.Err(); err != nil {
		return chargeWire{}, channel.Errorf(channel.ErrUnavailable, "", "context ended: %v", err)
	}
	if to == channel.StatusFailed && reason == "" {
		reason = "declined by the payer's bank"
	}
	now := p.clock.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	c := find()
	if c == nil {
		return chargeWire{}, channel.Errorf(channel.ErrUnknownCharge, "charge_id", "no such charge")
	}
	p.expireLocked(c, now)
	if c.status != from {
		return c.wire(), channel.Errorf(channel.ErrDeclined, "charge_id", "charge is %s, not %s", c.status, from)
	}
	p.dispatchLocked(p.settleChargeLocked(c, to, reason, now))
	return c.wire(), nil
}

func (p *Provider) signAgreement(ctx context.Context, find func() *agreementRecord) (agreementWire, error) {
	if err := ctx.Err(); err != nil {
		return agreementWire{}, channel.Errorf(channel.ErrUnavailable, "", "context ended: %v", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	ag := find()
	if ag == nil {
		return agreementWire{}, channel.Errorf(channel.ErrUnknownCharge, "agreement_id", "no such agreement")
	}
	if ag.status != channel.AgreementPending {
		return ag.wire(), channel.Errorf(channel.ErrDeclined, "agreement_id", "agreement is %s, not pending", ag.status)
	}
	p.dispatchLocked(p.settleAgreementLocked(ag, channel.AgreementSigned, ""))
	return ag.wire(), nil
}

// controlError answers a failed control call: 404 unknown, 409 wrong state,
// 502 receiver failure, 400 otherwise.
func (p *Provider) controlError(w http.ResponseWriter, r *http.Request, err error) {
	var status int
	var code string
	switch {
	case errors.Is(err, channel.ErrUnknownCharge):
		status, code = http.StatusNotFound, "not_found"
	case errors.Is(err, channel.ErrDeclined):
		status, code = http.StatusConflict, "conflict"
	case errors.Is(err, channel.ErrUnavailable):
		status, code = http.StatusBadGateway, "unavailable"
	default:
		status, code = http.StatusBadRequest, "invalid_request"
	}
	p.fail(w, r, status, code, "%s", errorMessage(err))
}

// errorMessage is a *pay.Error's message without its "paykit: code:" prefix.
func errorMessage(err error) string {
	var pe *pay.Error
	if errors.As(err, &pe) {
		return clipText(pe.Message)
	}
	return clipText(err.Error())
}

func (p *Provider) handleControlCharge(w http.ResponseWriter, r *http.Request, body []byte, from, to channel.Status) {
	var in reasonWire
	if !p.decodeOptional(w, r, body, &in) {
		return
	}
	view, err := p.changeCharge(r.Context(), r.PathValue("charge_id"), from, to, clipText(in.Reason))
	if err != nil {
		p.controlError(w, r, err)
		return
	}
	p.reply(w, r, http.StatusOK, view)
}

func (p *Provider) handleControlPay(w http.ResponseWriter, r *http.Request, body []byte) {
	p.handleControlCharge(w, r, body, channel.StatusPending, channel.StatusSucceeded)
}

func (p *Provider) handleControlDecline(w http.ResponseWriter, r *http.Request, body []byte) {
	p.handleControlCharge(w, r, body, channel.StatusPending, channel.StatusFailed)
}

func (p *Provider) handleControlPayLate(w http.ResponseWriter, r *http.Request, body []byte) {
	p.handleControlCharge(w, r, body, channel.StatusClosed, channel.StatusSucceeded)
}

func (p *Provider) handleControlSign(w http.ResponseWriter, r *http.Request, _ []byte) {
	id := r.PathValue("agreement_id")
	view, err := p.signAgreement(r.Context(), func() *agreementRecord { return p.agreements[id] })
	if err != nil {
		p.controlError(w, r, err)
		return
	}
	p.reply(w, r, http.StatusOK, view)
}

func (p *Provider) handleControlFault(w http.ResponseWriter, r *http.Request, body []byte) {
	var in faultWire
	if !p.decodeBody(w, r, body, &in) {
		return
	}
	f := Fault{Kind: in.Kind, Times: in.Times, Delay: time.Duration(in.DelayMS) * time.Millisecond, Reason: clipText(in.Reason)}
	if in.DelayMS < 0 || in.DelayMS > int64(time.Hour/time.Millisecond) {
		p.fail(w, r, http.StatusBadRequest, "invalid_request", "delay_ms must be between 0 and one hour")
		return
	}
	if err := f.check(in.Op); err != nil {
		p.fail(w, r, http.StatusBadRequest, "invalid_request", "%s", err.Error())
		return
	}
	p.inject(in.Op, f)
	p.reply(w, r, http.StatusOK, in)
}

func (p *Provider) handleControlHold(w http.ResponseWriter, r *http.Request, body []byte) {
	var in holdWire
	if !p.decodeBody(w, r, body, &in) {
		return
	}
	p.HoldCallbacks(in.Hold)
	p.reply(w, r, http.StatusOK, in)
}

func (p *Provider) handleControlCallbacks(w http.ResponseWriter, r *http.Request, _ []byte) {
	p.reply(w, r, http.StatusOK, callbacksWire{Callbacks: p.Callbacks()})
}

func (p *Provider) handleControlDeliver(w http.ResponseWriter, r *http.Request, _ []byte) {
	id := r.PathValue("event_id")
	if err := p.Deliver(r.Context(), id); err != nil {
		p.controlError(w, r, err)
		return
	}
	p.mu.Lock()
	cb := p.callbackByID[id].Callback
	p.mu.Unlock()
	p.reply(w, r, http.StatusOK, cb)
}
