package sandbox

import (
	"context"
	"net/http"

	"github.com/paykit-go/paykit/channel"
)

// SignAgreement starts signing a standing agreement: the answer is pending
// with Action.RedirectURL, the signing page. The signed result arrives as an
// agreement.signed callback (Provider.SignAgreement simulates the payer).
// Repeating the same request returns the same agreement; reusing its ID
// with a different request is ErrDeclined.
func (c *Channel) SignAgreement(ctx context.Context, req channel.AgreementRequest) (channel.Agreement, error) {
	in := agreementRequestWire{
		AgreementID: req.AgreementID,
		UserID:      req.UserID,
		DisplayName: req.DisplayName,
		NotifyURL:   c.notify(req.NotifyURL),
		ReturnURL:   req.ReturnURL,
	}
	return fetch(ctx, c, "sign agreement", http.MethodPost, "/v1/agreements", in, decodeAgreement, func(ag channel.Agreement) bool {
		return ag.AgreementID == req.AgreementID
	})
}

// QueryAgreement returns the provider's view of an agreement;
// ErrUnknownCharge when it has none.
func (c *Channel) QueryAgreement(ctx context.Context, agreementID string) (channel.Agreement, error) {
	return c.agreementCall(ctx, "query agreement", http.MethodGet, agreementID, "", nil)
}

// TerminateAgreement ends an agreement (an agreement.terminated callback
// follows); later agreement charges under it are declined. Terminating it
// again succeeds.
func (c *Channel) TerminateAgreement(ctx context.Context, agreementID, reason string) error {
	const op = "terminate agreement"
	ag, err := c.agreementCall(ctx, op, http.MethodPost, agreementID, "/terminate", reasonWire{Reason: reason})
	if err == nil && ag.Status != channel.AgreementTerminated {
		return channel.Errorf(channel.ErrMalformed, "", "%s: provider answered with an agreement that is %s", op, ag.Status)
	}
	return err
}

// agreementCall sends a request about one existing agreement (to
// /v1/agreements/{agreementID}suffix) and checks that the answer is about it.
func (c *Channel) agreementCall(ctx context.Context, op, method, agreementID, suffix string, in any) (channel.Agreement, error) {
	id, err := pathID("agreement_id", agreementID, maxOtherIDLen)
	if err != nil {
		return channel.Agreement{}, err
	}
	return fetch(ctx, c, op, method, "/v1/agreements/"+id+suffix, in, decodeAgreement, func(ag channel.Agreement) bool {
		return ag.AgreementID == agreementID
	})
}
