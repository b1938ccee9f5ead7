package sandbox

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/internal/randid"
	"github.com/paykit-go/paykit/pay"
)

// MaxCallbackBytes bounds a callback body ParseCallback reads.
const MaxCallbackBytes = 64 << 10

// ParseCallback verifies a provider callback and returns it as an Event
// named after this channel. It reads at most MaxCallbackBytes of r.Body,
// checks the SignatureHeader against the body, the secret and the clock
// with the tolerance (ErrBadSignature when missing, malformed or forged,
// ErrStale when authentic but too old or too far in the future), decodes the
// body strictly (ErrMalformed for bad JSON, unknown fields, trailing data, a
// missing required field or an oversized body) and refuses an unknown event
// type (ErrUnsupported). It does not de-duplicate: a redelivered callback
// parses again with the same Event.ID, which the aggregator drops.
func (c *Channel) ParseCallback(r *http.Request) (channel.Event, error) {
	if r.Body == nil {
		return channel.Event{}, channel.Errorf(channel.ErrMalformed, "body", "callback has no body")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxCallbackBytes+1))
	if err != nil {
		return channel.Event{}, channel.Errorf(channel.ErrMalformed, "body", "callback body unreadable")
	}
	if len(body) > MaxCallbackBytes {
		return channel.Event{}, channel.Errorf(channel.ErrMalformed, "body", "callback body is larger than %d bytes", MaxCallbackBytes)
	}
	return c.parseCallback(r.Header.Get(SignatureHeader), body)
}

// parseCallback is ParseCallback after the body was read.
func (c *Channel) parseCallback(header string, body []byte) (channel.Event, error) {
	if _, err := pay.VerifyWebhook(header, body, c.clock.Now(), c.tolerance, c.secret); err != nil {
		return channel.Event{}, verifyError("callback", err)
	}
	var w callbackWire
	if err := decodeStrict(body, &w); err != nil {
		return channel.Event{}, channel.Errorf(channel.ErrMalformed, "body", "callback is not the expected JSON object")
	}
	if !randid.Valid(w.ID, prefixEvent) {
		return channel.Event{}, channel.Errorf(channel.ErrMalformed, "id", "callback id is not a sandbox event ID")
	}
	if w.Created <= 0 || w.Created > maxUnix {
		return channel.Event{}, channel.Errorf(channel.ErrMalformed, "created", "callback created is not a unix time")
	}
	typ := channel.EventType(w.Type)
	d := w.Data
	var missing string
	switch typ {
	case channel.EventChargeSucceeded, channel.EventChargeFailed, channel.EventChargeClosed:
		missing = firstMissing(
			field{"charge_id", validID(d.ChargeID, maxChargeIDLen)},
			field{"provider_id", randid.Valid(d.ProviderID, prefixCharge)},
			field{"amount", d.Amount != nil && validMoney(*d.Amount)})
	case channel.EventRefundSucceeded, channel.EventRefundFailed:
		missing = firstMissing(
			field{"charge_id", validID(d.ChargeID, maxChargeIDLen)},
			field{"refund_id", validID(d.RefundID, maxOtherIDLen)},
			field{"amount", d.Amount != nil && validMoney(*d.Amount)})
	case channel.EventAgreementSigned, channel.EventAgreementTerminated:
		missing = firstMissing(
			field{"agreement_id", validID(d.AgreementID, maxOtherIDLen)},
			field{"provider_agreement_id", randid.Valid(d.ProviderAgreementID, prefixAgreement)})
	default:
		return channel.Event{}, channel.Errorf(channel.ErrUnsupported, "type", "callback type %q is not a sandbox event type", clipText(w.Type))
	}
	if missing != "" {
		return channel.Event{}, channel.Errorf(channel.ErrMalformed, missing, "%s callback lacks a valid %s", typ, missing)
	}
	e := channel.Event{
		ID:                  w.ID,
		Channel:             c.name,
		Type:                typ,
		Created:             time.Unix(w.Created, 0).UTC(),
		ChargeID:            d.ChargeID,
		ProviderChargeID:    d.ProviderID,
		RefundID:            d.RefundID,
		AgreementID:         d.AgreementID,
		ProviderAgreementID: d.ProviderAgreementID,
		Reason:              d.Reason,
	}
	if d.Amount != nil {
		e.Amount = *d.Amount
	}
	return e, nil
}

// maxUnix is 9999-12-31T23:59:59Z, the latest time paykit signs.
const maxUnix = 253402300799

// field is a required callback field and whether it is present and valid.
type field struct {
	name string
	ok   bool
}

// firstMissing returns the name of the first field that is not ok, or "".
func firstMissing(fields ...field) string {
	for _, f := range fields {
		if !f.ok {
			return f.name
		}
	}
	return ""
}

// Acknowledge answers a callback: 200 {"received":true} when err is nil or
// ErrDuplicate (already applied);
// 400 {"received":false,"error":<sentinel>} when the callback can never be
// accepted (ErrBadSignature, ErrStale, ErrMalformed, ErrUnsupported), which
// makes the provider stop retrying that delivery; 500 for any other error
// (the receiver failed to process it), which makes the provider retry.
func (c *Channel) Acknowledge(w http.ResponseWriter, err error) {
	status := http.StatusOK
	var out struct {
		Received bool   `json:"received"`
		Error    string `json:"error,omitempty"`
	}
	if errors.Is(err, channel.ErrDuplicate) {
		err = nil // already applied: success, so the provider stops resending
	}
	out.Received = err == nil
	if err != nil {
		status, out.Error = http.StatusInternalServerError, "retry_later"
		for _, s := range []error{channel.ErrBadSignature, channel.ErrStale, channel.ErrMalformed, channel.ErrUnsupported} {
			if errors.Is(err, s) {
				status, out.Error = http.StatusBadRequest, s.Error()
				break
			}
		}
	}
	body, _ := json.Marshal(out)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
