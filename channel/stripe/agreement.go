package stripe

import (
	"context"
	"errors"
	"net/http"
	"unicode/utf8"

	"github.com/paykit-go/paykit/channel"
)

// A standing agreement at Stripe is a card saved for off-session use: a
// Customer created for the agreement (metadata[agreement_id], [user_id]), a
// SetupIntent with usage=off_session that the payer confirms in Stripe.js or
// a mobile SDK, and the PaymentMethod it attaches. The agreement's
// ProviderID is the SetupIntent (seti_…); agreement charges debit its
// PaymentMethod with off_session=true; terminating detaches it.
//
// The merchant agreement ID is found again from Stripe alone through the
// Customer Search API (metadata['agreement_id']) and the customer's
// SetupIntents, so QueryAgreement and TerminateAgreement work after a
// restart — subject to search's eventual consistency in the first minute.

// agreementRef is what the channel knows about an agreement.
type agreementRef struct {
	agreementID   string // merchant-side ID
	setupIntent   string // seti_…
	customer      string // cus_…
	paymentMethod string // pm_…, once signed
}

// SignAgreement starts signing: it creates the agreement's Customer (POST
// /v1/customers) and an off-session SetupIntent (POST /v1/setup_intents)
// and returns the pending agreement whose Action.AppParams hold
// "client_secret", "setup_intent" and "customer" for the payer's client to
// confirm. Both requests carry Idempotency-Keys derived from AgreementID.
// The setup_intent.succeeded webhook reports the signature. NotifyURL and
// ReturnURL are not used: Stripe has no hosted page for a bare SetupIntent.
func (c *Channel) SignAgreement(ctx context.Context, req channel.AgreementRequest) (channel.Agreement, error) {
	if !validMerchantID(req.AgreementID) {
		return channel.Agreement{}, invalidf("agreement_id", "agreement ID must be 1 to 64 characters of [A-Za-z0-9_-]")
	}
	if req.UserID == "" || len(req.UserID) > maxMetadataValue || !utf8.ValidString(req.UserID) {
		return channel.Agreement{}, invalidf("user_id", "user ID must be valid UTF-8 of 1 to %d bytes", maxMetadataValue)
	}
	if len(req.DisplayName) > 350 || !utf8.ValidString(req.DisplayName) {
		return channel.Agreement{}, invalidf("display_name", "display name must be valid UTF-8 of at most 350 bytes")
	}
	cp := (&form{}).add("metadata["+metaAgreementID+"]", req.AgreementID).add("metadata["+metaUserID+"]", req.UserID)
	if req.DisplayName != "" {
		cp.add("description", req.DisplayName)
	}
	var cus customer
	if _, err := c.call(ctx, "create customer", http.MethodPost, "/v1/customers", cp, idemAgreementCust+req.AgreementID, &cus); err != nil {
		return channel.Agreement{}, err
	}
	if cus.Object != "customer" || !validID(cus.ID, "cus_") || cus.Metadata[metaAgreementID] != req.AgreementID {
		return channel.Agreement{}, malformedf("Stripe answered something other than this agreement's customer")
	}
	if err := c.checkMode(cus.Livemode); err != nil {
		return channel.Agreement{}, err
	}
	sp := (&form{}).
		add("customer", cus.ID).
		add("usage", "off_session").
		add("payment_method_types[]", "card").
		add("metadata["+metaAgreementID+"]", req.AgreementID)
	if req.DisplayName != "" {
		sp.add("description", req.DisplayName)
	}
	var seti setupIntent
	if _, err := c.call(ctx, "create setup intent", http.MethodPost, "/v1/setup_intents", sp, idemAgreement+req.AgreementID, &seti); err != nil {
		return channel.Agreement{}, err
	}
	if err := c.checkSetup(&seti, req.AgreementID); err != nil {
		return channel.Agreement{}, err
	}
	if seti.Customer.ID != cus.ID {
		return channel.Agreement{}, malformedf("setup intent %s is for another customer", seti.ID)
	}
	ref := agreementRef{agreementID: req.AgreementID, setupIntent: seti.ID, customer: cus.ID, paymentMethod: seti.PaymentMethod.ID}
	c.remember(ref)
	return agreementFrom(&seti, req.AgreementID, channel.AgreementPending), nil
}

// QueryAgreement reports an agreement's state: pending until its
// SetupIntent succeeded, signed while the saved PaymentMethod is attached
// to the agreement's customer, terminated once the SetupIntent was
// canceled or the PaymentMethod detached. agreementID may be the merchant
// ID or the ProviderID (seti_…).
func (c *Channel) QueryAgreement(ctx context.Context, agreementID string) (channel.Agreement, error) {
	ref, seti, err := c.loadAgreement(ctx, agreementID)
	if err != nil {
		return channel.Agreement{}, err
	}
	status := channel.AgreementPending
	switch seti.Status {
	case "canceled":
		status = channel.AgreementTerminated
	case "succeeded":
		pm, err := c.getPaymentMethod(ctx, seti.PaymentMethod.ID)
		if err != nil {
			return channel.Agreement{}, err
		}
		status = channel.AgreementSigned
		if pm.Customer.ID != seti.Customer.ID {
			status = channel.AgreementTerminated
		}
	}
	return agreementFrom(&seti, ref.agreementID, status), nil
}

// TerminateAgreement ends an agreement: it detaches the saved PaymentMethod
// (POST /v1/payment_methods/{id}/detach), after which Stripe refuses
// off-session charges with it, or cancels a SetupIntent that was never
// confirmed (POST /v1/setup_intents/{id}/cancel). Terminating twice
// succeeds. Stripe records no reason for either, so reason is not sent.
func (c *Channel) TerminateAgreement(ctx context.Context, agreementID, reason string) error {
	if len(reason) > maxMetadataValue {
		return invalidf("reason", "reason is longer than %d bytes", maxMetadataValue)
	}
	ref, seti, err := c.loadAgreement(ctx, agreementID)
	if err != nil {
		return err
	}
	switch seti.Status {
	case "canceled":
		return nil
	case "succeeded":
		return c.detach(ctx, seti.PaymentMethod.ID, seti.ID)
	}
	var got setupIntent
	p := (&form{}).add("cancellation_reason", "abandoned")
	_, err = c.call(ctx, "cancel setup intent", http.MethodPost, "/v1/setup_intents/"+seti.ID+"/cancel", p, idemAgreementCancel+seti.ID, &got)
	if err != nil {
		return err
	}
	if err := c.checkSetup(&got, ref.agreementID); err != nil {
		return err
	}
	if got.Status != "canceled" {
		return channel.Errorf(channel.ErrOutcomeUnknown, "agreement_id", "setup intent is %q after canceling it; query again", clip(got.Status))
	}
	return nil
}

// detach detaches a saved PaymentMethod; one already detached is fine.
func (c *Channel) detach(ctx context.Context, pmID, setiID string) error {
	var pm paymentMethod
	_, err := c.call(ctx, "detach payment method", http.MethodPost, "/v1/payment_methods/"+pmID+"/detach", &form{}, idemAgreementDetach+setiID, &pm)
	if err != nil {
		if !errors.Is(err, channel.ErrDeclined) {
			return err
		}
		cur, gerr := c.getPaymentMethod(ctx, pmID)
		if gerr != nil || cur.Customer.ID != "" {
			return err
		}
		return nil
	}
	if pm.Object != "payment_method" || pm.ID != pmID || pm.Customer.ID != "" {
		return malformedf("Stripe's answer to a detach is not the detached payment method")
	}
	return c.checkMode(pm.Livemode)
}

// debitTarget resolves a ScenarioAgreement charge's AgreementID to the
// customer and PaymentMethod to debit off-session.
func (c *Channel) debitTarget(ctx context.Context, req channel.ChargeRequest) (agreementRef, error) {
	id := req.AgreementID
	if validID(id, "pm_") {
		ref := agreementRef{paymentMethod: id, customer: req.Payer}
		if ag, ok := c.pmAgree.get(id); ok {
			ref.agreementID = ag
		}
		if ref.customer == "" {
			pm, err := c.getPaymentMethod(ctx, id)
			if err != nil {
				return agreementRef{}, err
			}
			if pm.Customer.ID == "" {
				return agreementRef{}, channel.Errorf(channel.ErrDeclined, "agreement_id", "the payment method is no longer attached to a customer")
			}
			ref.customer = pm.Customer.ID
		}
		return ref, nil
	}
	ref, ok := c.agreements.get(id)
	if !ok || ref.paymentMethod == "" || ref.customer == "" {
		r, seti, err := c.loadAgreement(ctx, id)
		if err != nil {
			return agreementRef{}, err
		}
		if seti.Status != "succeeded" || seti.PaymentMethod.ID == "" {
			return agreementRef{}, channel.Errorf(channel.ErrDeclined, "agreement_id", "the agreement is not signed (setup intent is %q)", clip(seti.Status))
		}
		ref = r
	}
	if req.Payer != "" && req.Payer != ref.customer {
		return agreementRef{}, invalidf("payer", "Payer is not the agreement's customer")
	}
	return ref, nil
}

// loadAgreement finds and fetches an agreement's SetupIntent.
func (c *Channel) loadAgreement(ctx context.Context, agreementID string) (agreementRef, setupIntent, error) {
	ref, err := c.resolveAgreement(ctx, agreementID)
	if err != nil {
		return agreementRef{}, setupIntent{}, err
	}
	var seti setupIntent
	if err := c.get(ctx, "retrieve setup intent", "/v1/setup_intents/"+ref.setupIntent, nil, &seti); err != nil {
		return agreementRef{}, setupIntent{}, err
	}
	want := ref.agreementID
	if want == "" {
		want = seti.Metadata[metaAgreementID]
	}
	if err := c.checkSetup(&seti, want); err != nil {
		return agreementRef{}, setupIntent{}, err
	}
	ref.agreementID, ref.customer, ref.paymentMethod = want, seti.Customer.ID, seti.PaymentMethod.ID
	c.remember(ref)
	return ref, seti, nil
}

// resolveAgreement maps a merchant agreement ID or seti_… to the
// SetupIntent: from memory, or through the Customer Search API and the
// customer's SetupIntents.
func (c *Channel) resolveAgreement(ctx context.Context, id string) (agreementRef, error) {
	if ref, ok := c.agreements.get(id); ok {
		return ref, nil
	}
	if validID(id, "seti_") {
		return agreementRef{setupIntent: id}, nil
	}
	if !validMerchantID(id) {
		return agreementRef{}, invalidf("agreement_id", "agreement ID must be a seti_ ID or 1 to 64 characters of [A-Za-z0-9_-]")
	}
	var found list[customer]
	q := (&form{}).add("query", searchQuery(metaAgreementID, id)).add("limit", "10")
	if err := c.get(ctx, "search customers", "/v1/customers/search", q, &found); err != nil {
		return agreementRef{}, err
	}
	for _, cus := range found.Data {
		if cus.Object != "customer" || !validID(cus.ID, "cus_") || cus.Metadata[metaAgreementID] != id {
			return agreementRef{}, malformedf("Stripe's customer search answered a customer of another agreement")
		}
		var setis list[setupIntent]
		if err := c.get(ctx, "list setup intents", "/v1/setup_intents", (&form{}).add("customer", cus.ID).add("limit", "100"), &setis); err != nil {
			return agreementRef{}, err
		}
		for _, s := range setis.Data {
			if s.Metadata[metaAgreementID] == id && validID(s.ID, "seti_") {
				return agreementRef{agreementID: id, setupIntent: s.ID, customer: cus.ID}, nil
			}
		}
	}
	return agreementRef{}, channel.Errorf(channel.ErrUnknownCharge, "agreement_id",
		"Stripe has no agreement %s (customer search lags writes by up to a minute)", id)
}

// checkSetup checks a SetupIntent's shape: object, ID, mode, off-session
// usage, a customer, and metadata[agreement_id] when agreementID is given.
func (c *Channel) checkSetup(s *setupIntent, agreementID string) error {
	if s.Object != "setup_intent" || !validID(s.ID, "seti_") {
		return malformedf("Stripe answered something other than a setup_intent")
	}
	if err := c.checkMode(s.Livemode); err != nil {
		return err
	}
	if agreementID != "" && s.Metadata[metaAgreementID] != agreementID {
		return malformedf("setup intent %s belongs to another agreement", s.ID)
	}
	if s.Usage != "off_session" || !validID(s.Customer.ID, "cus_") {
		return malformedf("setup intent %s is not an off-session setup for a customer", s.ID)
	}
	if s.PaymentMethod.ID != "" && !validID(s.PaymentMethod.ID, "pm_") {
		return malformedf("setup intent %s names a malformed payment method", s.ID)
	}
	if s.Status == "succeeded" && s.PaymentMethod.ID == "" {
		return malformedf("setup intent %s succeeded without a payment method", s.ID)
	}
	return nil
}

func (c *Channel) getPaymentMethod(ctx context.Context, id string) (paymentMethod, error) {
	if !validID(id, "pm_") {
		return paymentMethod{}, malformedf("malformed payment method ID")
	}
	var pm paymentMethod
	if err := c.get(ctx, "retrieve payment method", "/v1/payment_methods/"+id, nil, &pm); err != nil {
		return paymentMethod{}, err
	}
	if pm.Object != "payment_method" || pm.ID != id {
		return paymentMethod{}, malformedf("Stripe answered something other than payment method %s", id)
	}
	if pm.Customer.ID != "" && !validID(pm.Customer.ID, "cus_") {
		return paymentMethod{}, malformedf("payment method %s names a malformed customer", id)
	}
	return pm, c.checkMode(pm.Livemode)
}

// remember stores an agreement under its merchant ID and its SetupIntent,
// and its PaymentMethod's link back to the merchant ID.
func (c *Channel) remember(ref agreementRef) {
	if ref.agreementID != "" {
		c.agreements.put(ref.agreementID, ref)
	}
	if ref.setupIntent != "" {
		c.agreements.put(ref.setupIntent, ref)
	}
	if ref.paymentMethod != "" && ref.agreementID != "" {
		c.pmAgree.put(ref.paymentMethod, ref.agreementID)
	}
}

// agreementFrom maps a checked SetupIntent to an Agreement.
func agreementFrom(s *setupIntent, agreementID string, status channel.AgreementStatus) channel.Agreement {
	a := channel.Agreement{AgreementID: agreementID, ProviderID: s.ID, Status: status}
	if status == channel.AgreementPending && s.ClientSecret != "" {
		a.Action.AppParams = map[string]string{"client_secret": s.ClientSecret, "setup_intent": s.ID, "customer": s.Customer.ID}
	}
	return a
}
