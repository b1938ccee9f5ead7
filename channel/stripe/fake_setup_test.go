package stripe

import (
	"net/http"
)

// ---- Customers, SetupIntents, PaymentMethods ----

func (f *fakeStripe) createCustomer(w http.ResponseWriter, r *http.Request) {
	p, ok := f.params(w, r, "metadata", "description")
	if !ok {
		return
	}
	c := map[string]any{"id": f.nextID("cus"), "object": "customer", "metadata": strMap(p["metadata"]), "livemode": false, "description": str(p, "description")}
	f.put(c)
	f.answer(w, r, c)
}

func (f *fakeStripe) createSetup(w http.ResponseWriter, r *http.Request) {
	p, ok := f.params(w, r, "customer", "usage", "payment_method_types", "metadata", "description")
	if !ok {
		return
	}
	if f.objects[str(p, "customer")] == nil {
		writeErr(w, 400, "invalid_request_error", "resource_missing", "No such customer", "customer")
		return
	}
	if u := str(p, "usage"); u != "off_session" && u != "on_session" {
		writeErr(w, 400, "invalid_request_error", "parameter_invalid", "Invalid usage", "usage")
		return
	}
	s := map[string]any{
		"id": f.nextID("seti"), "object": "setup_intent", "status": "requires_payment_method", "usage": str(p, "usage"),
		"customer": str(p, "customer"), "payment_method": nil, "metadata": strMap(p["metadata"]), "livemode": false,
	}
	s["client_secret"] = s["id"].(string) + "_secret_Se56"
	f.put(s)
	f.answer(w, r, s)
}

// confirmSetup is the payer saving a card in Stripe.js; declining cards
// later decline off-session charges.
func (f *fakeStripe) confirmSetup(setiID string, decline bool) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.objects[setiID]
	if s == nil || s["status"] != "requires_payment_method" {
		f.t.Fatalf("fake.confirmSetup: bad setup intent %s", setiID)
	}
	pm := map[string]any{"id": f.nextID("pm"), "object": "payment_method", "customer": s["customer"], "metadata": map[string]any{}, "livemode": false, "type": "card", "decline": decline}
	f.put(pm)
	s["status"], s["payment_method"] = "succeeded", pm["id"]
	f.emit("setup_intent.succeeded", s)
	return pm["id"].(string)
}

func (f *fakeStripe) cancelSetup(w http.ResponseWriter, r *http.Request) {
	p, ok := f.params(w, r, "cancellation_reason")
	if !ok {
		return
	}
	s := f.objects[r.PathValue("id")]
	if s == nil || s["object"] != "setup_intent" {
		writeErr(w, 404, "invalid_request_error", "resource_missing", "No such setup_intent", "id")
		return
	}
	if s["status"] == "succeeded" || s["status"] == "canceled" {
		writeErr(w, 400, "invalid_request_error", "setup_intent_unexpected_state", "You cannot cancel this SetupIntent because it has a status of "+s["status"].(string)+".", "")
		return
	}
	s["status"], s["cancellation_reason"] = "canceled", str(p, "cancellation_reason")
	f.answer(w, r, s)
}

func (f *fakeStripe) detach(w http.ResponseWriter, r *http.Request) {
	if _, ok := f.params(w, r); !ok {
		return
	}
	pm := f.objects[r.PathValue("id")]
	if pm == nil || pm["object"] != "payment_method" {
		writeErr(w, 404, "invalid_request_error", "resource_missing", "No such PaymentMethod", "payment_method")
		return
	}
	if pm["customer"] == nil {
		writeErr(w, 400, "invalid_request_error", "", "The payment method you provided is not attached to a customer so detachment is impossible.", "")
		return
	}
	pm["customer"] = nil
	f.emit("payment_method.detached", pm)
	f.answer(w, r, pm)
}
