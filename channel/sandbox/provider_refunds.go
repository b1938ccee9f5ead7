package sandbox

import (
	"net/http"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/internal/randid"
)

// check returns what is wrong with a refund request, or "".
func (in refundRequestWire) check() string {
	switch {
	case !validID(in.RefundID, maxOtherIDLen):
		return "refund_id must be 6-64 characters of A-Z a-z 0-9 _ -"
	case !validID(in.ChargeID, maxChargeIDLen):
		return "charge_id must be 6-32 characters of A-Z a-z 0-9 _ -"
	case !validMoney(in.Amount):
		return "amount must be a positive amount of an ISO 4217 currency"
	case len(in.Reason) > maxTextLen:
		return "reason is too long"
	case !validURL(in.NotifyURL):
		return "notify_url must be an absolute http(s) URL"
	}
	return ""
}

// handleCreateRefund stores a refund as pending and settles it in the
// background (refund.succeeded callback). Only a succeeded charge can be
// refunded, in its currency, up to what is left of it.
func (p *Provider) handleCreateRefund(w http.ResponseWriter, r *http.Request, body []byte) {
	var in refundRequestWire
	if !p.decodeRequest(w, r, body, &in) {
		return
	}
	f, ok := p.takeFaultOr503(w, r, OpRefund)
	if !ok {
		return
	}
	now := p.clock.Now()
	p.mu.Lock()
	if rf := p.refunds[in.RefundID]; rf != nil {
		view, declined := rf.wire(), rf.declined
		same := rf.req == in
		p.mu.Unlock()
		switch {
		case !same:
			p.answer(w, r, f, http.StatusConflict, errAnswer("conflict", "refund_id was already used with a different request"))
		case declined:
			p.answer(w, r, f, http.StatusPaymentRequired, errAnswer("declined", "refund declined by the provider"))
		default:
			p.answer(w, r, f, http.StatusOK, view)
		}
		return
	}
	c := p.charges[in.ChargeID]
	if c == nil {
		p.mu.Unlock()
		p.answer(w, r, f, http.StatusNotFound, errAnswer("not_found", "no such charge"))
		return
	}
	p.expireLocked(c, now)
	if msg := refundRefusal(c, in); msg != "" {
		p.mu.Unlock()
		p.answer(w, r, f, http.StatusBadRequest, errAnswer("declined", msg))
		return
	}
	rf := &refundRecord{req: in, providerID: randid.New(prefixRefund), status: channel.RefundPending}
	p.refunds[in.RefundID] = rf
	c.refunded += in.Amount.Amount
	status := http.StatusOK
	var first *callbackRecord
	switch {
	case f.is(FaultDecline):
		reason := f.Reason
		if reason == "" {
			reason = "refund declined by the provider"
		}
		rf.declined = true
		p.dispatchLocked(p.settleRefundLocked(rf, channel.RefundFailed, reason, now))
		status = http.StatusPaymentRequired
	case f.is(FaultCallbackFirst):
		first = p.settleRefundLocked(rf, channel.RefundSucceeded, "", now)
	default:
		id := in.RefundID
		p.goLocked(func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			if rf := p.refunds[id]; rf != nil {
				p.dispatchLocked(p.settleRefundLocked(rf, channel.RefundSucceeded, "", p.clock.Now()))
			}
		})
	}
	view := rf.wire()
	p.mu.Unlock()

	p.deliverSync(r.Context(), first)
	if status == http.StatusPaymentRequired {
		p.answer(w, r, f, status, errAnswer("declined", "refund declined by the provider"))
		return
	}
	p.answer(w, r, f, status, view)
}

// refundRefusal says why charge c cannot take refund in, or "".
func refundRefusal(c *chargeRecord, in refundRequestWire) string {
	switch {
	case c.status != channel.StatusSucceeded:
		return "charge is " + string(c.status) + ", only a succeeded charge can be refunded"
	case in.Amount.Currency != c.req.Amount.Currency:
		return "refund currency differs from the charge's"
	case in.Amount.Amount > c.req.Amount.Amount-c.refunded:
		return "refunds would exceed the charge amount"
	}
	return ""
}

func (p *Provider) handleQueryRefund(w http.ResponseWriter, r *http.Request, _ []byte) {
	p.query(w, r, "no such refund of this charge", func() (any, bool) {
		rf := p.refunds[r.PathValue("refund_id")]
		if rf == nil || rf.req.ChargeID != r.PathValue("charge_id") {
			return nil, false
		}
		return rf.wire(), true
	})
}
