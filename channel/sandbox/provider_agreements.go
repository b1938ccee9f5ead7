package sandbox

import (
	"net/http"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/internal/randid"
)

// check returns what is wrong with an agreement request, or "".
func (in agreementRequestWire) check() string {
	switch {
	case !validID(in.AgreementID, maxOtherIDLen):
		return "agreement_id must be 6-64 characters of A-Z a-z 0-9 _ -"
	case in.UserID == "" || len(in.UserID) > maxTextLen:
		return "user_id is required"
	case len(in.DisplayName) > maxTextLen:
		return "display_name is too long"
	case !validURL(in.NotifyURL) || !validURL(in.ReturnURL):
		return "notify_url and return_url must be absolute http(s) URLs"
	}
	return ""
}

// handleCreateAgreement stores a pending agreement whose action is the
// signing page; it is idempotent by agreement_id.
func (p *Provider) handleCreateAgreement(w http.ResponseWriter, r *http.Request, body []byte) {
	var in agreementRequestWire
	if !p.decodeRequest(w, r, body, &in) {
		return
	}
	p.mu.Lock()
	ag := p.agreements[in.AgreementID]
	if ag != nil && ag.req != in {
		p.mu.Unlock()
		p.fail(w, r, http.StatusConflict, "conflict", "agreement_id was already used with a different request")
		return
	}
	if ag == nil {
		ag = &agreementRecord{req: in, providerID: randid.New(prefixAgreement), status: channel.AgreementPending}
		ag.action.RedirectURL = baseURL(r) + "/sign/" + ag.providerID
		p.agreements[in.AgreementID] = ag
		p.agreementsByProvider[ag.providerID] = ag
	}
	view := ag.wire()
	p.mu.Unlock()
	p.reply(w, r, http.StatusOK, view)
}

func (p *Provider) handleQueryAgreement(w http.ResponseWriter, r *http.Request, _ []byte) {
	p.query(w, r, "no such agreement", func() (any, bool) {
		ag := p.agreements[r.PathValue("agreement_id")]
		if ag == nil {
			return nil, false
		}
		return ag.wire(), true
	})
}

// handleTerminateAgreement ends an agreement (pending or signed) with an
// agreement.terminated callback; terminating it again changes nothing.
func (p *Provider) handleTerminateAgreement(w http.ResponseWriter, r *http.Request, body []byte) {
	var in reasonWire
	if !p.decodeOptional(w, r, body, &in) {
		return
	}
	if len(in.Reason) > maxTextLen {
		p.fail(w, r, http.StatusBadRequest, "invalid_request", "reason is too long")
		return
	}
	p.mu.Lock()
	ag := p.agreements[r.PathValue("agreement_id")]
	if ag == nil {
		p.mu.Unlock()
		p.fail(w, r, http.StatusNotFound, "not_found", "no such agreement")
		return
	}
	p.dispatchLocked(p.settleAgreementLocked(ag, channel.AgreementTerminated, in.Reason))
	view := ag.wire()
	p.mu.Unlock()
	p.reply(w, r, http.StatusOK, view)
}

// settleAgreementLocked moves an agreement to status and records its
// callback; nil when it is already there.
func (p *Provider) settleAgreementLocked(ag *agreementRecord, status channel.AgreementStatus, reason string) *callbackRecord {
	if ag.status == status {
		return nil
	}
	ag.status = status
	typ := channel.EventAgreementSigned
	if status == channel.AgreementTerminated {
		typ = channel.EventAgreementTerminated
	}
	return p.recordCallbackLocked(typ, ag.req.NotifyURL, p.clock.Now(), callbackDataWire{
		AgreementID: ag.req.AgreementID, ProviderAgreementID: ag.providerID, Reason: reason,
	})
}
