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
		NotifyURL:   req.NotifyURL,
		ReturnURL:   req.ReturnURL,
	}
	if in.NotifyURL == "" {
		in.NotifyURL = c.notifyURL
	}
	if !req.ExpiresAt.IsZero() {
		in.ExpiresAt = req.ExpiresAt.Unix()
	}
	const op = "create charge"
	status, body, err := c.call(ctx, op, http.MethodPost, "/v1/charges", in)
	if err != nil {
		return channel.Charge{}, err
	}
	if status != http.StatusOK {
		return channel.Charge{}, providerError(op, status, body)
	}
	ch, err := decodeCharge(body)
	if err != nil {
		return channel.Charge{}, err
	}
	if ch.ChargeID != req.ChargeID || ch.Amount != req.Amount {
		return channel.Charge{}, channel.Errorf(channel.ErrMalformed, "", "%s: provider answered for a different charge or amount", op)
	}
	return ch, nil
}

// QueryCharge returns the provider's current view of a charge, or
// ErrUnknownCharge.
func (c *Channel) QueryCharge(ctx context.Context, chargeID string) (channel.Charge, error) {
	return c.chargeCall(ctx, "query charge", http.MethodGet, chargeID, "")
}

// CloseCharge closes a pending charge so it can no longer be paid (a
// charge.closed callback follows). Closing a closed charge succeeds again;
// closing a succeeded or failed charge is ErrDeclined.
func (c *Channel) CloseCharge(ctx context.Context, chargeID string) error {
	ch, err := c.chargeCall(ctx, "close charge", http.MethodPost, chargeID, "/close")
	if err == nil && ch.Status != channel.StatusClosed {
		return channel.Errorf(channel.ErrMalformed, "", "close charge: provider answered with a charge that is %s", ch.Status)
	}
	return err
}

// chargeCall sends a request about one existing charge and checks that
// the answer is about that charge.
func (c *Channel) chargeCall(ctx context.Context, op, method, chargeID, suffix string) (channel.Charge, error) {
	id, err := pathID("charge_id", chargeID, maxChargeIDLen)
	if err != nil {
		return channel.Charge{}, err
	}
	var in any
	if method == http.MethodPost {
		in = struct{}{}
	}
	status, body, err := c.call(ctx, op, method, "/v1/charges/"+id+suffix, in)
	if err != nil {
		return channel.Charge{}, err
	}
	if status != http.StatusOK {
		return channel.Charge{}, providerError(op, status, body)
	}
	ch, err := decodeCharge(body)
	if err != nil {
		return channel.Charge{}, err
	}
	if ch.ChargeID != chargeID {
		return channel.Charge{}, channel.Errorf(channel.ErrMalformed, "", "%s: provider answered for a different charge", op)
	}
	return ch, nil
}
