package sandbox

import (
	"context"
	"net/http"

	"github.com/paykit-go/paykit/channel"
)

// CreateCharge creates a charge at the provider. A QR, in-app or web charge
// comes back pending with its Action; a scanned or agreement charge comes
// back succeeded. A charge the provider refuses (a declined auth code, an
// agreement that is not signed, an injected decline) is ErrDeclined.
// Repeating the same request returns the same charge; reusing its ChargeID
// with a different request is ErrDeclined. The answer must name the charge
// and amount asked for, else ErrMalformed.
func (c *Channel) CreateCharge(ctx context.Context, req channel.ChargeRequest) (channel.Charge, error) {
	if !req.Scenario.Valid() {
		return channel.Charge{}, channel.Errorf(channel.ErrUnsupported, "scenario", "scenario %q is not supported", clipText(string(req.Scenario)))
	}
	in := chargeRequestWire{
		ChargeID:    req.ChargeID,
		Scenario:    string(req.Scenario),
		Amount:      req.Amount,
		Description: req.Description,
		AuthCode:    req.AuthCode,
		AgreementID: req.AgreementID,
		Payer:       req.Payer,
		NotifyURL:   c.notify(req.NotifyURL),
		ReturnURL:   req.ReturnURL,
	}
	if !req.ExpiresAt.IsZero() {
		in.ExpiresAt = req.ExpiresAt.Unix()
	}
	return fetch(ctx, c, "create charge", http.MethodPost, "/v1/charges", in, decodeCharge, func(ch channel.Charge) bool {
		return ch.ChargeID == req.ChargeID && ch.Amount == req.Amount
	})
}

// QueryCharge returns the provider's current view of a charge, or
// ErrUnknownCharge.
func (c *Channel) QueryCharge(ctx context.Context, chargeID string) (channel.Charge, error) {
	return c.chargeCall(ctx, "query charge", http.MethodGet, chargeID, "", nil)
}

// CloseCharge closes a pending charge so it can no longer be paid (a
// charge.closed callback follows). Closing a closed charge succeeds again;
// closing a succeeded or failed charge is ErrDeclined.
func (c *Channel) CloseCharge(ctx context.Context, chargeID string) error {
	const op = "close charge"
	ch, err := c.chargeCall(ctx, op, http.MethodPost, chargeID, "/close", struct{}{})
	if err == nil && ch.Status != channel.StatusClosed {
		return channel.Errorf(channel.ErrMalformed, "", "%s: provider answered with a charge that is %s", op, ch.Status)
	}
	return err
}

// chargeCall sends a request about one existing charge (to
// /v1/charges/{chargeID}suffix) and checks that the answer is about it.
func (c *Channel) chargeCall(ctx context.Context, op, method, chargeID, suffix string, in any) (channel.Charge, error) {
	id, err := pathID("charge_id", chargeID, maxChargeIDLen)
	if err != nil {
		return channel.Charge{}, err
	}
	return fetch(ctx, c, op, method, "/v1/charges/"+id+suffix, in, decodeCharge, func(ch channel.Charge) bool {
		return ch.ChargeID == chargeID
	})
}
