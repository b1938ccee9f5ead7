package sandbox

import (
	"net/http"
	"net/url"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/internal/randid"
)

// DeclineAuthCode is the auth code that makes a scanned charge fail, as a
// payer's wallet with insufficient funds would.
const DeclineAuthCode = "decline"

// Limits of free-text request fields.
const (
	maxTextLen = 256
	maxURLLen  = 2048
)

// check returns what is wrong with a create request, or "".
func (in chargeRequestWire) check() string {
	switch {
	case !validID(in.ChargeID, maxChargeIDLen):
		return "charge_id must be 6-32 characters of A-Z a-z 0-9 _ -"
	case !channel.Scenario(in.Scenario).Valid():
		return "scenario is not one of qr, in_app, web, scanned, agreement"
	case !validMoney(in.Amount):
		return "amount must be a positive amount of an ISO 4217 currency"
	case in.Scenario == string(channel.ScenarioScanned) && in.AuthCode == "":
		return "a scanned charge needs auth_code"
	case in.Scenario == string(channel.ScenarioAgreement) && in.AgreementID == "":
		return "an agreement charge needs agreement_id"
	case len(in.Description) > maxTextLen || len(in.AuthCode) > maxTextLen || len(in.Payer) > maxTextLen || len(in.AgreementID) > maxTextLen:
		return "a text field is too long"
	case !validURL(in.NotifyURL) || !validURL(in.ReturnURL):
		return "notify_url and return_url must be absolute http(s) URLs"
	case in.ExpiresAt < 0:
		return "expires_at must be unix seconds"
	}
	return ""
}

// validURL reports whether s is empty or an absolute http(s) URL.
func validURL(s string) bool {
	if s == "" {
		return true
	}
	if len(s) > maxURLLen {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func errAnswer(code, msg string) errorWire {
	return errorWire{Error: errorBody{Code: code, Message: msg}}
}

func (p *Provider) handleCreateCharge(w http.ResponseWriter, r *http.Request, body []byte) {
	var in chargeRequestWire
	if !p.decodeRequest(w, r, body, &in) {
		return
	}
	f, ok := p.takeFaultOr503(w, r, OpCreate)
	if !ok {
		return
	}
	now := p.clock.Now()
	p.mu.Lock()
	c, existed := p.charges[in.ChargeID]
	if existed && c.req != in {
		p.mu.Unlock()
		p.answer(w, r, f, http.StatusConflict, errAnswer("conflict", "charge_id was already used with a different request"))
		return
	}
	var first *callbackRecord
	if !existed {
		c = p.newChargeLocked(in, baseURL(r))
		cb := p.settleNewChargeLocked(c, f, now)
		if f.is(FaultCallbackFirst) {
			first = cb
		} else {
			p.dispatchLocked(cb)
		}
		p.scheduleAutoPayLocked(c)
	}
	p.expireLocked(c, now)
	view, declined := c.wire(), c.declined
	p.mu.Unlock()

	p.deliverSync(r.Context(), first)
	if declined {
		p.answer(w, r, f, http.StatusPaymentRequired, errAnswer("declined", view.FailureReason))
		return
	}
	p.answer(w, r, f, http.StatusOK, view)
}

// newChargeLocked stores a pending charge with its scenario's action.
func (p *Provider) newChargeLocked(in chargeRequestWire, base string) *chargeRecord {
	c := &chargeRecord{req: in, providerID: randid.New(prefixCharge), status: channel.StatusPending}
	switch channel.Scenario(in.Scenario) {
	case channel.ScenarioQR:
		c.action.QRCode = "sandbox://pay/" + c.providerID
	case channel.ScenarioWeb:
		c.action.RedirectURL = base + "/pay/" + c.providerID
	case channel.ScenarioInApp:
		c.action.AppParams = map[string]string{"provider_id": c.providerID, "client_secret": randid.New(prefixClientSecret)}
	}
	p.charges[in.ChargeID] = c
	p.chargesByProvider[c.providerID] = c
	return c
}

// settleNewChargeLocked decides a new charge's fate: scanned and agreement
// charges settle at once, FaultDecline fails any charge, FaultCallbackFirst
// pays a pending one. It returns the callback reporting the outcome, if any.
func (p *Provider) settleNewChargeLocked(c *chargeRecord, f *Fault, now time.Time) *callbackRecord {
	decline := func(reason string) *callbackRecord {
		c.declined = true
		return p.settleChargeLocked(c, channel.StatusFailed, reason, now)
	}
	if f.is(FaultDecline) {
		reason := f.Reason
		if reason == "" {
			reason = "declined by the provider"
		}
		return decline(reason)
	}
	switch channel.Scenario(c.req.Scenario) {
	case channel.ScenarioScanned:
		if c.req.AuthCode == DeclineAuthCode {
			return decline("the payer's auth code was declined")
		}
	case channel.ScenarioAgreement:
		ag := p.agreementsByProvider[c.req.AgreementID] // the provider's agreement number, as real providers debit by
		if ag == nil {
			ag = p.agreements[c.req.AgreementID]
		}
		switch {
		case ag == nil:
			return decline("unknown agreement")
		case ag.status != channel.AgreementSigned:
			return decline("agreement is " + string(ag.status) + ", not signed")
		}
	default:
		if !f.is(FaultCallbackFirst) {
			return nil // pending until the payer pays
		}
	}
	return p.settleChargeLocked(c, channel.StatusSucceeded, "", now)
}

// scheduleAutoPayLocked pays a pending QR, in-app or web charge after the
// WithAutoPay delay.
func (p *Provider) scheduleAutoPayLocked(c *chargeRecord) {
	if !p.autoPay || c.status != channel.StatusPending {
		return
	}
	id := c.req.ChargeID
	p.goLocked(func() {
		if p.wait(p.ctx, p.autoPayDelay) {
			_ = p.Pay(p.ctx, id) // fails only if the charge left pending meanwhile
		}
	})
}

func (p *Provider) handleQueryCharge(w http.ResponseWriter, r *http.Request, _ []byte) {
	p.query(w, r, "no such charge", func() (any, bool) {
		c := p.charges[r.PathValue("charge_id")]
		if c == nil {
			return nil, false
		}
		p.expireLocked(c, p.clock.Now())
		return c.wire(), true
	})
}

func (p *Provider) handleCloseCharge(w http.ResponseWriter, r *http.Request, body []byte) {
	var in struct{}
	if !p.decodeOptional(w, r, body, &in) {
		return
	}
	f, ok := p.takeFaultOr503(w, r, OpClose)
	if !ok {
		return
	}
	now := p.clock.Now()
	p.mu.Lock()
	c := p.charges[r.PathValue("charge_id")]
	if c == nil {
		p.mu.Unlock()
		p.answer(w, r, f, http.StatusNotFound, errAnswer("not_found", "no such charge"))
		return
	}
	p.expireLocked(c, now)
	switch c.status {
	case channel.StatusPending:
		p.dispatchLocked(p.settleChargeLocked(c, channel.StatusClosed, "closed by the merchant", now))
	case channel.StatusClosed:
	default:
		status := c.status
		p.mu.Unlock()
		p.answer(w, r, f, http.StatusConflict, errAnswer("conflict", "charge is "+string(status)+" and cannot be closed"))
		return
	}
	view := c.wire()
	p.mu.Unlock()
	p.answer(w, r, f, http.StatusOK, view)
}
