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
	const op = "sign agreement"
	in := agreementRequestWire{
		AgreementID: req.AgreementID,
		UserID:      req.UserID,
		DisplayName: req.DisplayName,
		NotifyURL:   req.NotifyURL,
		ReturnURL:   req.ReturnURL,
	}
	if in.NotifyURL == "" {
		in.NotifyURL = c.notifyURL
	}
	return c.agreementCall(ctx, op, http.MethodPost, "/v1/agreements", req.AgreementID, in)
}

// QueryAgreement returns the provider's view of an agreement;
// ErrUnknownCharge when it has none.
func (c *Channel) QueryAgreement(ctx context.Context, agreementID string) (channel.Agreement, error) {
	id, err := pathID("agreement_id", agreementID, maxOtherIDLen)
	if err != nil {
		return channel.Agreement{}, err
	}
	return c.agreementCall(ctx, "query agreement", http.MethodGet, "/v1/agreements/"+id, agreementID, nil)
}

// TerminateAgreement ends an agreement (an agreement.terminated callback
// follows); later agreement charges under it are declined. Terminating it
// again succeeds.
func (c *Channel) TerminateAgreement(ctx context.Context, agreementID, reason string) error {
	id, err := pathID("agreement_id", agreementID, maxOtherIDLen)
	if err != nil {
		return err
	}
	const op = "terminate agreement"
	ag, err := c.agreementCall(ctx, op, http.MethodPost, "/v1/agreements/"+id+"/terminate", agreementID, reasonWire{Reason: reason})
	if err == nil && ag.Status != channel.AgreementTerminated {
		return channel.Errorf(channel.ErrMalformed, "", "%s: provider answered with an agreement that is %s", op, ag.Status)
	}
	return err
}

func (c *Channel) agreementCall(ctx context.Context, op, method, path, agreementID string, in any) (channel.Agreement, error) {
	status, body, err := c.call(ctx, op, method, path, in)
	if err != nil {
		return channel.Agreement{}, err
	}
	if status != http.StatusOK {
		return channel.Agreement{}, providerError(op, status, body)
	}
	ag, err := decodeAgreement(body)
	if err != nil {
		return channel.Agreement{}, err
	}
	if ag.AgreementID != agreementID {
		return channel.Agreement{}, channel.Errorf(channel.ErrMalformed, "", "%s: provider answered for a different agreement", op)
	}
	return ag, nil
}
