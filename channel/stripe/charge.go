package stripe

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

// chargeRef is what the channel remembers about a charge it created: the
// PaymentIntent and/or Checkout Session behind it and the amount asked for.
type chargeRef struct {
	intent  string // pi_…
	session string // cs_…
	amount  pay.Money
}

// checkChargeID enforces the ChargeID contract (6–32 of [A-Za-z0-9_-]);
// the ID goes into metadata, a search query and an Idempotency-Key.
func checkChargeID(id string) error {
	if len(id) < 6 || len(id) > 32 || !validMerchantID(id) {
		return invalidf("charge_id", "charge ID must be 6 to 32 characters of [A-Za-z0-9_-]")
	}
	return nil
}

// CreateCharge creates the Stripe object for req.Scenario:
//
//   - ScenarioInApp: POST /v1/payment_intents (card, unconfirmed); the
//     Action's AppParams carry "client_secret" and "payment_intent" for
//     Stripe.js / the mobile SDKs to confirm.
//   - ScenarioWeb: POST /v1/checkout/sessions (mode=payment, one line item);
//     the Action's RedirectURL is the hosted Checkout page, ReturnURL is
//     the success and cancel URL. The PaymentIntent carries the same
//     metadata[charge_id].
//   - ScenarioAgreement: POST /v1/payment_intents with confirm=true and
//     off_session=true, debiting the PaymentMethod saved by the agreement's
//     SetupIntent. AgreementID is the agreement's ProviderID (seti_…), a
//     PaymentMethod ID (pm_…, with Payer the cus_… it is attached to) or a
//     merchant agreement ID this process signed.
//
// The Idempotency-Key is "paykit-charge-<ChargeID>", so repeating the call
// returns the same object. A decline answers the failed Charge together
// with an error matching channel.ErrDeclined. NotifyURL is not sent:
// Stripe delivers events to endpoints configured in its Dashboard.
func (c *Channel) CreateCharge(ctx context.Context, req channel.ChargeRequest) (channel.Charge, error) {
	if err := checkChargeID(req.ChargeID); err != nil {
		return channel.Charge{}, err
	}
	amount, cur, err := toStripeAmount(req.Amount, "amount")
	if err != nil {
		return channel.Charge{}, err
	}
	if req.Payer != "" && !validID(req.Payer, "cus_") {
		return channel.Charge{}, invalidf("payer", "Payer must be a Stripe customer ID (cus_…)")
	}
	if len(req.Description) > 1000 {
		return channel.Charge{}, invalidf("description", "description is longer than 1000 bytes")
	}
	p := (&form{}).add("amount", strconv.FormatInt(amount, 10)).add("currency", cur)
	switch req.Scenario {
	case channel.ScenarioInApp:
		p.add("payment_method_types[]", "card")
		if req.Payer != "" {
			p.add("customer", req.Payer)
		}
		return c.createIntent(ctx, req, p)
	case channel.ScenarioAgreement:
		ag, err := c.debitTarget(ctx, req)
		if err != nil {
			return channel.Charge{}, err
		}
		p.add("payment_method_types[]", "card").add("customer", ag.customer).add("payment_method", ag.paymentMethod).
			add("off_session", "true").add("confirm", "true").add("expand[]", "latest_charge")
		if ag.agreementID != "" {
			p.add("metadata["+metaAgreementID+"]", ag.agreementID)
		}
		return c.createIntent(ctx, req, p)
	case channel.ScenarioWeb:
		return c.createSession(ctx, req, amount, cur)
	}
	return channel.Charge{}, invalidf("scenario", "stripe does not support scenario %q", req.Scenario)
}

// createIntent finishes and sends a PaymentIntent create request.
func (c *Channel) createIntent(ctx context.Context, req channel.ChargeRequest, p *form) (channel.Charge, error) {
	p.add("metadata["+metaChargeID+"]", req.ChargeID)
	if req.Description != "" {
		p.add("description", req.Description)
	}
	var pi paymentIntent
	ae, err := c.call(ctx, "create payment intent", http.MethodPost, "/v1/payment_intents", p, idemCharge+req.ChargeID, &pi)
	if err != nil {
		if errors.Is(err, channel.ErrDeclined) && ae != nil && ae.PaymentIntent != nil {
			if c.checkIntent(ae.PaymentIntent, req.ChargeID, &req.Amount) == nil {
				c.charges.put(req.ChargeID, chargeRef{intent: ae.PaymentIntent.ID, amount: req.Amount})
				ch, _ := c.chargeFromIntent(ae.PaymentIntent)
				ch.Status = channel.StatusFailed
				if ch.FailureReason == "" {
					ch.FailureReason = c.safe(ae.Message)
				}
				return ch, err
			}
		}
		return channel.Charge{}, err
	}
	if err := c.checkIntent(&pi, req.ChargeID, &req.Amount); err != nil {
		return channel.Charge{}, err
	}
	c.charges.put(req.ChargeID, chargeRef{intent: pi.ID, amount: req.Amount})
	return c.chargeFromIntent(&pi)
}

// createSession creates a hosted Checkout Session for a web charge.
func (c *Channel) createSession(ctx context.Context, req channel.ChargeRequest, amount int64, cur string) (channel.Charge, error) {
	if !absoluteHTTP(req.ReturnURL) {
		return channel.Charge{}, invalidf("return_url", "a web charge needs an absolute http(s) ReturnURL for Checkout's success_url")
	}
	name := req.Description
	if name == "" {
		name = "Order " + req.ChargeID
	}
	p := (&form{}).
		add("mode", "payment").
		add("line_items[0][price_data][currency]", cur).
		add("line_items[0][price_data][unit_amount]", strconv.FormatInt(amount, 10)).
		add("line_items[0][price_data][product_data][name]", name).
		add("line_items[0][quantity]", "1").
		add("success_url", req.ReturnURL).
		add("cancel_url", req.ReturnURL).
		add("client_reference_id", req.ChargeID).
		add("metadata["+metaChargeID+"]", req.ChargeID).
		add("payment_intent_data[metadata]["+metaChargeID+"]", req.ChargeID)
	if req.Description != "" {
		p.add("payment_intent_data[description]", req.Description)
	}
	if req.Payer != "" {
		p.add("customer", req.Payer)
	}
	if !req.ExpiresAt.IsZero() {
		p.add("expires_at", strconv.FormatInt(req.ExpiresAt.Unix(), 10))
	}
	var s checkoutSession
	if _, err := c.call(ctx, "create checkout session", http.MethodPost, "/v1/checkout/sessions", p, idemCharge+req.ChargeID, &s); err != nil {
		return channel.Charge{}, err
	}
	if err := c.checkSession(&s, req.ChargeID, &req.Amount); err != nil {
		return channel.Charge{}, err
	}
	c.charges.put(req.ChargeID, chargeRef{session: s.ID, intent: s.PaymentIntent.ID, amount: req.Amount})
	return c.chargeFromSession(&s)
}

// checkIntent is the response "verification" Stripe allows: API answers are
// authenticated only by TLS, so the shape is checked instead — the object
// type and ID, the mode, metadata[charge_id] and, when known, the amount
// and currency asked for. Any difference is ErrMalformed.
func (c *Channel) checkIntent(pi *paymentIntent, chargeID string, want *pay.Money) error {
	if pi.Object != "payment_intent" || !validID(pi.ID, "pi_") {
		return malformedf("Stripe answered something other than a payment_intent")
	}
	if err := c.checkMode(pi.Livemode); err != nil {
		return err
	}
	if pi.Metadata[metaChargeID] != chargeID {
		return malformedf("payment intent %s belongs to another charge (metadata.charge_id differs)", pi.ID)
	}
	got, err := fromStripeAmount(pi.Amount, pi.Currency)
	if err != nil {
		return err
	}
	if want != nil && got != *want {
		return malformedf("payment intent %s is for %s, not the %s asked for", pi.ID, got, *want)
	}
	return nil
}

// checkSession is checkIntent for a Checkout Session.
func (c *Channel) checkSession(s *checkoutSession, chargeID string, want *pay.Money) error {
	if s.Object != "checkout.session" || !validID(s.ID, "cs_") {
		return malformedf("Stripe answered something other than a checkout.session")
	}
	if err := c.checkMode(s.Livemode); err != nil {
		return err
	}
	if s.Metadata[metaChargeID] != chargeID {
		return malformedf("checkout session belongs to another charge (metadata.charge_id differs)")
	}
	if s.PaymentIntent.ID != "" && !validID(s.PaymentIntent.ID, "pi_") {
		return malformedf("checkout session names a malformed payment intent")
	}
	if s.Status == "open" && !absoluteHTTP(s.URL) {
		return malformedf("open checkout session has no payment page URL")
	}
	got, err := fromStripeAmount(s.AmountTotal, s.Currency)
	if err != nil {
		return err
	}
	if want != nil && got != *want {
		return malformedf("checkout session is for %s, not the %s asked for", got, *want)
	}
	return nil
}

// intentStatus maps a PaymentIntent status onto the shared vocabulary. A
// requires_payment_method intent whose last attempt failed is failed (the
// payer may still retry, which paykit's state machine allows).
func intentStatus(pi *paymentIntent) channel.Status {
	switch pi.Status {
	case "succeeded":
		return channel.StatusSucceeded
	case "canceled":
		return channel.StatusClosed
	case "requires_payment_method":
		if pi.LastPaymentError != nil {
			return channel.StatusFailed
		}
	}
	// requires_payment_method, requires_confirmation, requires_action,
	// processing, requires_capture
	return channel.StatusPending
}

// chargeFromIntent maps a checked PaymentIntent to a Charge.
func (c *Channel) chargeFromIntent(pi *paymentIntent) (channel.Charge, error) {
	status := intentStatus(pi)
	raw := pi.Amount
	if status == channel.StatusSucceeded && pi.AmountReceived > 0 {
		raw = pi.AmountReceived
	}
	amount, err := fromStripeAmount(raw, pi.Currency)
	if err != nil {
		return channel.Charge{}, err
	}
	ch := channel.Charge{
		ChargeID:   pi.Metadata[metaChargeID],
		ProviderID: pi.ID,
		Status:     status,
		Amount:     amount,
	}
	switch status {
	case channel.StatusSucceeded:
		if pi.LatestCharge.Created > 0 {
			ch.PaidAt = time.Unix(pi.LatestCharge.Created, 0).UTC()
		}
	case channel.StatusFailed:
		if pi.LastPaymentError != nil {
			ch.FailureReason = c.safe(pi.LastPaymentError.Message)
		}
		if ch.FailureReason == "" {
			ch.FailureReason = "the payment failed"
		}
	case channel.StatusPending:
		if pi.ClientSecret != "" && pi.Status != "processing" {
			ch.Action.AppParams = map[string]string{"client_secret": pi.ClientSecret, "payment_intent": pi.ID}
		}
	}
	return ch, nil
}

// chargeFromSession maps a checked Checkout Session that has no
// PaymentIntent to look at (or whose state is decided by the session).
func (c *Channel) chargeFromSession(s *checkoutSession) (channel.Charge, error) {
	amount, err := fromStripeAmount(s.AmountTotal, s.Currency)
	if err != nil {
		return channel.Charge{}, err
	}
	ch := channel.Charge{ChargeID: s.Metadata[metaChargeID], ProviderID: s.ID, Status: channel.StatusPending, Amount: amount}
	if s.PaymentIntent.ID != "" {
		ch.ProviderID = s.PaymentIntent.ID
	}
	switch {
	case s.Status == "expired":
		ch.Status = channel.StatusClosed
	case s.Status == "complete" && s.PaymentStatus == "paid":
		ch.Status = channel.StatusSucceeded
	case s.Status == "open":
		ch.Action.RedirectURL = s.URL
	}
	return ch, nil
}

// absoluteHTTP reports whether s is an absolute http(s) URL.
func absoluteHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
