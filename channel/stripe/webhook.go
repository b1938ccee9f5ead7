package stripe

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

// MaxCallbackBytes bounds a webhook body; a larger one is refused unread.
const MaxCallbackBytes = 64 << 10

// maxUnix is 9999-12-31T23:59:59Z, the latest event time accepted (as for
// the signed timestamp, which pay.VerifyWebhook bounds the same way).
const maxUnix = 253402300799

// event is a Stripe event envelope. data.object is decoded in the same
// pass into eventObject, the union of the fields read from every object
// type handled, so a delivery is parsed once.
type event struct {
	ID       string `json:"id"`
	Object   string `json:"object"`
	Type     string `json:"type"`
	Created  int64  `json:"created"`
	Livemode bool   `json:"livemode"`
	Data     struct {
		Object *eventObject `json:"object"`
	} `json:"data"`
}

// eventObject holds the fields of a PaymentIntent, Checkout Session,
// Refund, SetupIntent or PaymentMethod that events are mapped from.
type eventObject struct {
	ID               string            `json:"id"`
	Object           string            `json:"object"`
	Amount           int64             `json:"amount"`
	AmountReceived   int64             `json:"amount_received"`
	AmountTotal      int64             `json:"amount_total"`
	Currency         string            `json:"currency"`
	Status           string            `json:"status"`
	Usage            string            `json:"usage"`
	FailureReason    string            `json:"failure_reason"`
	Metadata         map[string]string `json:"metadata"`
	Livemode         bool              `json:"livemode"`
	LastPaymentError *paymentError     `json:"last_payment_error"`
	PaymentIntent    expandable        `json:"payment_intent"`
	Customer         expandable        `json:"customer"`
	PaymentMethod    expandable        `json:"payment_method"`
}

// ParseCallback verifies a Stripe webhook delivery and returns it as a
// typed Event. It reads at most MaxCallbackBytes of the body, checks the
// Stripe-Signature header (every v1 against every configured secret, in
// constant time) and that the signed time is within the tolerance of the
// clock in both directions, then decodes the event:
//
//	payment_intent.succeeded        → charge.succeeded (amount_received, else amount)
//	payment_intent.payment_failed   → charge.failed (Reason: last_payment_error.message)
//	payment_intent.canceled         → charge.closed
//	checkout.session.expired        → charge.closed (a web charge never paid)
//	refund.created / refund.updated / refund.failed
//	                                → refund.succeeded or refund.failed once final
//	setup_intent.succeeded          → agreement.signed
//	payment_method.detached         → agreement.terminated (agreements known to this process)
//
// ChargeID, RefundID and AgreementID come from the metadata this package
// writes; Event.ID is Stripe's evt_ ID, by which the aggregator
// de-duplicates (Stripe retries, and replays of a captured delivery inside
// the tolerance window, carry the same ID). Errors: ErrMalformed (body,
// header or event shape), ErrBadSignature, ErrStale, and ErrUnsupported
// for other event types, objects paykit did not create and refunds still
// pending — Acknowledge answers those 200 so Stripe stops resending.
func (c *Channel) ParseCallback(r *http.Request) (channel.Event, error) {
	if len(c.secrets) == 0 {
		return channel.Event{}, channel.Errorf(channel.ErrUnavailable, "", "no webhook signing secret is configured (WithWebhookSecrets)")
	}
	if r.Method != http.MethodPost {
		return channel.Event{}, malformedf("a Stripe webhook is a POST, not %s", clip(r.Method))
	}
	if r.Body == nil {
		return channel.Event{}, malformedf("webhook has no body")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxCallbackBytes+1))
	if err != nil {
		return channel.Event{}, malformedf("webhook body could not be read")
	}
	if len(body) > MaxCallbackBytes {
		return channel.Event{}, malformedf("webhook body is larger than %d bytes", MaxCallbackBytes)
	}
	headers := r.Header.Values(SignatureHeader)
	if len(headers) > 1 {
		return channel.Event{}, headerMalformed("more than one %s header", SignatureHeader)
	}
	header := ""
	if len(headers) == 1 {
		header = headers[0]
	}
	if _, err := verifySignature(header, body, c.clock.Now(), c.tolerance, c.secrets); err != nil {
		return channel.Event{}, err
	}
	return c.decodeEvent(body)
}

// decodeEvent maps a verified event body.
func (c *Channel) decodeEvent(body []byte) (channel.Event, error) {
	var ev event
	if err := json.Unmarshal(body, &ev); err != nil {
		return channel.Event{}, malformedf("webhook body is not a JSON event")
	}
	if ev.Object != "event" || !validID(ev.ID, "evt_") || ev.Type == "" || ev.Created <= 0 || ev.Created > maxUnix {
		return channel.Event{}, malformedf("webhook body is not a Stripe event")
	}
	if err := c.checkMode(ev.Livemode); err != nil {
		return channel.Event{}, err
	}
	out := channel.Event{ID: ev.ID, Channel: Name, Created: time.Unix(ev.Created, 0).UTC()}
	obj := ev.Data.Object
	if obj == nil {
		return channel.Event{}, malformedf("event %s has no data.object", ev.ID)
	}
	if err := c.checkMode(obj.Livemode); err != nil {
		return channel.Event{}, err
	}
	var err error
	switch ev.Type {
	case "payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled":
		err = c.intentEvent(ev.Type, obj, &out)
	case "checkout.session.expired":
		err = c.sessionEvent(obj, &out)
	case "refund.created", "refund.updated", "refund.failed":
		err = c.refundEvent(obj, &out)
	case "setup_intent.succeeded":
		err = c.setupEvent(obj, &out)
	case "payment_method.detached":
		err = c.detachEvent(obj, &out)
	default:
		return channel.Event{}, channel.Errorf(channel.ErrUnsupported, "type", "stripe event type %q is not handled", clip(ev.Type))
	}
	if err != nil {
		return channel.Event{}, err
	}
	return out, nil
}

// notOurs is the answer for a well-formed event about an object paykit did
// not create (no paykit metadata): acknowledged, not applied.
func notOurs(what string) error {
	return channel.Errorf(channel.ErrUnsupported, "metadata", "the %s carries no paykit metadata", what)
}

func (c *Channel) intentEvent(typ string, pi *eventObject, out *channel.Event) error {
	if pi.Object != "payment_intent" || !validID(pi.ID, "pi_") {
		return malformedf("event data is not a payment_intent")
	}
	id := pi.Metadata[metaChargeID]
	if id == "" {
		return notOurs("payment intent")
	}
	if err := checkChargeID(id); err != nil {
		return malformedf("payment intent metadata.charge_id is malformed")
	}
	raw := pi.Amount
	switch typ {
	case "payment_intent.succeeded":
		out.Type = channel.EventChargeSucceeded
		if pi.AmountReceived > 0 {
			raw = pi.AmountReceived
		}
	case "payment_intent.payment_failed":
		out.Type = channel.EventChargeFailed
		if pi.LastPaymentError != nil {
			out.Reason = c.safe(pi.LastPaymentError.Message)
		}
		if out.Reason == "" {
			out.Reason = "the payment failed"
		}
	default:
		out.Type = channel.EventChargeClosed
	}
	amount, err := fromStripeAmount(raw, pi.Currency)
	if err != nil {
		return err
	}
	out.ChargeID, out.ProviderChargeID, out.Amount = id, pi.ID, amount
	return nil
}

func (c *Channel) sessionEvent(s *eventObject, out *channel.Event) error {
	if s.Object != "checkout.session" || !validID(s.ID, "cs_") {
		return malformedf("event data is not a checkout.session")
	}
	id := s.Metadata[metaChargeID]
	if id == "" {
		return notOurs("checkout session")
	}
	if err := checkChargeID(id); err != nil {
		return malformedf("checkout session metadata.charge_id is malformed")
	}
	if s.Status != "expired" {
		return malformedf("checkout.session.expired event for a session that is %q", clip(s.Status))
	}
	amount, err := fromStripeAmount(s.AmountTotal, s.Currency)
	if err != nil {
		return err
	}
	out.Type, out.ChargeID, out.ProviderChargeID, out.Amount = channel.EventChargeClosed, id, s.ID, amount
	if validID(s.PaymentIntent.ID, "pi_") {
		out.ProviderChargeID = s.PaymentIntent.ID
	}
	return nil
}

func (c *Channel) refundEvent(re *eventObject, out *channel.Event) error {
	if re.Object != "refund" || !validID(re.ID, "re_") {
		return malformedf("event data is not a refund")
	}
	refundID, chargeID := re.Metadata[metaRefundID], re.Metadata[metaChargeID]
	if refundID == "" || chargeID == "" {
		return notOurs("refund")
	}
	if !validMerchantID(refundID) || checkChargeID(chargeID) != nil {
		return malformedf("refund metadata is malformed")
	}
	st, ok := refundStatus(re.Status)
	switch {
	case !ok:
		return malformedf("refund %s has unknown status %q", re.ID, clip(re.Status))
	case st == channel.RefundPending:
		return channel.Errorf(channel.ErrUnsupported, "status", "refund %s is still %s; a later event reports the outcome", re.ID, clip(re.Status))
	case st == channel.RefundSucceeded:
		out.Type = channel.EventRefundSucceeded
	default:
		out.Type = channel.EventRefundFailed
		out.Reason = c.safe(re.FailureReason)
		if out.Reason == "" {
			out.Reason = "the refund " + re.Status
		}
	}
	amount, err := fromStripeAmount(re.Amount, re.Currency)
	if err != nil {
		return err
	}
	out.RefundID, out.ChargeID, out.ProviderChargeID, out.Amount = refundID, chargeID, re.PaymentIntent.ID, amount
	return nil
}

func (c *Channel) setupEvent(obj *eventObject, out *channel.Event) error {
	s := setupIntent{ID: obj.ID, Object: obj.Object, Status: obj.Status, Usage: obj.Usage, Customer: obj.Customer,
		PaymentMethod: obj.PaymentMethod, Metadata: obj.Metadata, Livemode: obj.Livemode}
	if s.Object != "setup_intent" || !validID(s.ID, "seti_") {
		return malformedf("event data is not a setup_intent")
	}
	id := s.Metadata[metaAgreementID]
	if id == "" {
		return notOurs("setup intent")
	}
	if !validMerchantID(id) {
		return malformedf("setup intent metadata.agreement_id is malformed")
	}
	if err := c.checkSetup(&s, id); err != nil {
		return err
	}
	if s.Status != "succeeded" {
		return malformedf("setup_intent.succeeded event for a setup intent that is %q", clip(s.Status))
	}
	c.remember(agreementRef{agreementID: id, setupIntent: s.ID, customer: s.Customer.ID, paymentMethod: s.PaymentMethod.ID})
	out.Type, out.AgreementID, out.ProviderAgreementID = channel.EventAgreementSigned, id, s.ID
	return nil
}

func (c *Channel) detachEvent(pm *eventObject, out *channel.Event) error {
	if pm.Object != "payment_method" || !validID(pm.ID, "pm_") {
		return malformedf("event data is not a payment_method")
	}
	id, ok := c.pmAgree.get(pm.ID)
	if !ok {
		id = pm.Metadata[metaAgreementID]
	}
	if id == "" {
		return channel.Errorf(channel.ErrUnsupported, "agreement_id", "payment method %s is not linked to an agreement this process knows", pm.ID)
	}
	if !validMerchantID(id) {
		return malformedf("payment method metadata.agreement_id is malformed")
	}
	out.Type, out.AgreementID, out.ProviderAgreementID = channel.EventAgreementTerminated, id, pm.ID
	if ref, ok := c.agreements.get(id); ok && ref.setupIntent != "" {
		out.ProviderAgreementID = ref.setupIntent
	}
	return nil
}

// Acknowledge answers Stripe: 200 {"received":true} for a handled event,
// and also for ErrUnsupported (an event type or object paykit does not
// handle) and ErrDuplicate (already applied), so Stripe stops resending
// them; 400 for a delivery that failed verification (ErrBadSignature,
// ErrStale, ErrMalformed); 500 for anything else, which Stripe retries with
// backoff for up to three days.
func (c *Channel) Acknowledge(w http.ResponseWriter, err error) {
	status, body := http.StatusOK, `{"received":true}`
	switch {
	case err == nil, errors.Is(err, channel.ErrUnsupported), errors.Is(err, channel.ErrDuplicate):
	case errors.Is(err, channel.ErrBadSignature), errors.Is(err, channel.ErrStale), errors.Is(err, channel.ErrMalformed):
		status, body = http.StatusBadRequest, `{"received":false,"error":"`+codeOf(err)+`"}`
	default:
		status, body = http.StatusInternalServerError, `{"received":false,"error":"temporary failure, retry later"}`
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// codeOf names the verification failure without any detail an attacker
// could use: the channel sentinel's text.
func codeOf(err error) string {
	for _, s := range []error{channel.ErrBadSignature, channel.ErrStale, channel.ErrMalformed} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return pay.ErrInvalidRequest.Code
}
