package sandbox

import (
	"maps"
	"time"

	"github.com/paykit-go/paykit/channel"
)

// chargeRecord is a charge the provider stored. Fields are guarded by
// Provider.mu.
type chargeRecord struct {
	req        chargeRequestWire // as first accepted, for idempotency
	providerID string
	status     channel.Status
	action     channel.Action
	paidAt     time.Time
	reason     string
	refunded   int64 // minor units of pending and succeeded refunds
	// declined: the charge failed while being created, so every create
	// with its ID answers 402.
	declined bool
}

func (c *chargeRecord) wire() chargeWire {
	w := chargeWire{
		ChargeID:      c.req.ChargeID,
		ProviderID:    c.providerID,
		Status:        string(c.status),
		Amount:        c.req.Amount,
		Action:        c.action,
		FailureReason: c.reason,
	}
	if !c.paidAt.IsZero() {
		w.PaidAt = c.paidAt.Unix()
	}
	return w
}

func (c *chargeRecord) view() channel.Charge {
	return channel.Charge{
		ChargeID:      c.req.ChargeID,
		ProviderID:    c.providerID,
		Status:        c.status,
		Amount:        c.req.Amount,
		Action:        cloneAction(c.action),
		PaidAt:        c.paidAt,
		FailureReason: c.reason,
	}
}

func cloneAction(a channel.Action) channel.Action {
	a.AppParams = maps.Clone(a.AppParams)
	return a
}

// refundRecord is a refund the provider stored.
type refundRecord struct {
	req        refundRequestWire
	providerID string
	status     channel.RefundStatus
	declined   bool // failed while being created: every repeat answers 402
}

func (r *refundRecord) wire() refundWire {
	return refundWire{
		RefundID:   r.req.RefundID,
		ChargeID:   r.req.ChargeID,
		ProviderID: r.providerID,
		Status:     string(r.status),
		Amount:     r.req.Amount,
	}
}

// agreementRecord is a standing agreement the provider stored.
type agreementRecord struct {
	req        agreementRequestWire
	providerID string
	status     channel.AgreementStatus
	action     channel.Action
}

func (a *agreementRecord) wire() agreementWire {
	return agreementWire{
		AgreementID: a.req.AgreementID,
		ProviderID:  a.providerID,
		Status:      string(a.status),
		Action:      a.action,
	}
}

// settleChargeLocked moves a charge to status and records the callback
// that reports it. It returns nil when the charge is already there.
func (p *Provider) settleChargeLocked(c *chargeRecord, status channel.Status, reason string, now time.Time) *callbackRecord {
	if c.status == status {
		return nil
	}
	c.status = status
	var typ channel.EventType
	switch status {
	case channel.StatusSucceeded:
		c.paidAt, c.reason = now, ""
		typ = channel.EventChargeSucceeded
	case channel.StatusFailed:
		c.reason = reason
		typ = channel.EventChargeFailed
	case channel.StatusClosed:
		c.reason = reason
		typ = channel.EventChargeClosed
	default:
		return nil
	}
	amount := c.req.Amount
	return p.recordCallbackLocked(typ, c.req.NotifyURL, now, callbackDataWire{
		ChargeID: c.req.ChargeID, ProviderID: c.providerID, Amount: &amount, Reason: reason,
	})
}

// expireLocked closes a pending charge whose expires_at has passed. It is
// called whenever a charge is looked at, so expiry needs no timer.
func (p *Provider) expireLocked(c *chargeRecord, now time.Time) {
	if c.status != channel.StatusPending || c.req.ExpiresAt == 0 || now.Unix() < c.req.ExpiresAt {
		return
	}
	p.dispatchLocked(p.settleChargeLocked(c, channel.StatusClosed, "expired", now))
}

// settleRefundLocked moves a pending refund to succeeded or failed and
// records its callback. A failed refund gives its amount back to the charge.
func (p *Provider) settleRefundLocked(rf *refundRecord, status channel.RefundStatus, reason string, now time.Time) *callbackRecord {
	if rf.status != channel.RefundPending {
		return nil
	}
	rf.status = status
	typ := channel.EventRefundSucceeded
	if status == channel.RefundFailed {
		typ = channel.EventRefundFailed
	}
	providerCharge := ""
	if c := p.charges[rf.req.ChargeID]; c != nil {
		providerCharge = c.providerID
		if status == channel.RefundFailed {
			c.refunded -= rf.req.Amount.Amount
		}
	}
	amount := rf.req.Amount
	return p.recordCallbackLocked(typ, rf.req.NotifyURL, now, callbackDataWire{
		ChargeID: rf.req.ChargeID, ProviderID: providerCharge, RefundID: rf.req.RefundID, Amount: &amount, Reason: reason,
	})
}

// Charge returns the provider's view of a charge, as a query would.
func (p *Provider) Charge(chargeID string) (channel.Charge, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.charges[chargeID]
	if c == nil {
		return channel.Charge{}, false
	}
	p.expireLocked(c, p.clock.Now())
	return c.view(), true
}

// Accepted returns the number of distinct charges the provider stored,
// including ones that failed: tests assert a charge was accepted once
// however often its creation was retried.
func (p *Provider) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.charges)
}
