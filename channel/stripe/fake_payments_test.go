package stripe

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"
)

// ---- PaymentIntents ----

var currencyRe = regexp.MustCompile(`^[a-z]{3}$`)

func (f *fakeStripe) createIntent(w http.ResponseWriter, r *http.Request) {
	p, ok := f.params(w, r, "amount", "currency", "metadata", "description", "payment_method_types", "customer",
		"payment_method", "off_session", "confirm", "expand")
	if !ok {
		return
	}
	amount, err := strconv.ParseInt(str(p, "amount"), 10, 64)
	if err != nil || amount <= 0 {
		writeErr(w, 400, "invalid_request_error", "parameter_invalid_integer", "Invalid positive integer", "amount")
		return
	}
	if !currencyRe.MatchString(str(p, "currency")) {
		writeErr(w, 400, "invalid_request_error", "parameter_invalid", "Invalid currency", "currency")
		return
	}
	pi := map[string]any{
		"id": f.nextID("pi"), "object": "payment_intent", "amount": amount, "amount_received": 0,
		"currency": str(p, "currency"), "status": "requires_payment_method", "metadata": strMap(p["metadata"]),
		"livemode": false, "last_payment_error": nil, "latest_charge": nil, "customer": nil, "payment_method": nil,
		"description": nil,
	}
	pi["client_secret"] = pi["id"].(string) + "_secret_Xy12"
	if d := str(p, "description"); d != "" {
		pi["description"] = d
	}
	if c := str(p, "customer"); c != "" {
		if f.objects[c] == nil {
			writeErr(w, 400, "invalid_request_error", "resource_missing", "No such customer: '"+c+"'", "customer")
			return
		}
		pi["customer"] = c
	}
	if str(p, "confirm") == "true" {
		pmID := str(p, "payment_method")
		pm := f.objects[pmID]
		if pm == nil {
			writeErr(w, 400, "invalid_request_error", "resource_missing", "No such PaymentMethod: '"+pmID+"'", "payment_method")
			return
		}
		if str(p, "off_session") == "true" && (pi["customer"] == nil || pm["customer"] != pi["customer"]) {
			writeErr(w, 400, "invalid_request_error", "payment_method_not_attached",
				"The provided PaymentMethod is not attached to the customer; off-session payments need an attached PaymentMethod.", "payment_method")
			return
		}
		pi["payment_method"] = pmID
		f.put(pi)
		if declined := f.settle(pi, pm); declined {
			writeErr(w, 402, "card_error", "card_declined", "Your card was declined.", "", "decline_code", "generic_decline", "payment_intent", strip(pi))
			return
		}
		var exp []string
		if expands(p, "latest_charge") {
			exp = []string{"latest_charge"}
		}
		f.answer(w, r, f.expanded(pi, exp))
		return
	}
	f.put(pi)
	f.answer(w, r, pi)
}

// settle confirms pi with pm: success or a generic decline. It reports a
// decline.
func (f *fakeStripe) settle(pi, pm map[string]any) bool {
	if pm["decline"] == true {
		pi["status"] = "requires_payment_method"
		pi["last_payment_error"] = map[string]any{"type": "card_error", "code": "card_declined",
			"decline_code": "generic_decline", "message": "Your card was declined."}
		f.emit("payment_intent.payment_failed", pi)
		return true
	}
	chID := f.nextID("ch")
	pi["status"], pi["amount_received"], pi["last_payment_error"] = "succeeded", pi["amount"], nil
	pi["latest_charge"] = chID
	f.put(map[string]any{"id": chID, "object": "charge", "payment_intent": pi["id"], "amount": pi["amount"], "currency": pi["currency"], "paid": true})
	f.emit("payment_intent.succeeded", pi)
	return false
}

// pay confirms an in-app intent client-side with pm (what Stripe.js does).
func (f *fakeStripe) pay(piID, pmID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	pi, pm := f.objects[piID], f.objects[pmID]
	if pi == nil || pm == nil {
		f.t.Fatalf("fake.pay: unknown %s or %s", piID, pmID)
	}
	pi["payment_method"] = pmID
	f.settle(pi, pm)
}

func (f *fakeStripe) retrieve(object string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		obj := f.objects[r.PathValue("id")]
		if obj == nil || obj["object"] != object {
			writeErr(w, 404, "invalid_request_error", "resource_missing", "No such "+object+": '"+r.PathValue("id")+"'", "id")
			return
		}
		f.answer(w, r, f.expanded(obj, r.Form["expand[]"]))
	}
}

// expanded returns obj with latest_charge expanded when asked.
func (f *fakeStripe) expanded(obj map[string]any, expand []string) map[string]any {
	for _, e := range expand {
		if (e == "latest_charge" || e == "data.latest_charge") && obj["latest_charge"] != nil {
			out := strip(obj)
			if id, ok := obj["latest_charge"].(string); ok {
				out["latest_charge"] = strip(f.objects[id])
			}
			return out
		}
	}
	return obj
}

var searchRe = regexp.MustCompile(`^metadata\['([a-z_]+)'\]:'([A-Za-z0-9_-]*)'$`)

func (f *fakeStripe) search(object string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		m := searchRe.FindStringSubmatch(r.Form.Get("query"))
		if m == nil {
			writeErr(w, 400, "invalid_request_error", "parameter_invalid", "Invalid search query", "query")
			return
		}
		data := []any{}
		for _, id := range f.order {
			o := f.objects[id]
			if o["object"] != object || str(o, "metadata", m[1]) != m[2] {
				continue
			}
			if created, _ := o["created"].(int64); f.searchLag > 0 && f.clock.Now().Sub(time.Unix(created, 0)) < f.searchLag {
				continue
			}
			data = append(data, strip(f.expanded(o, r.Form["expand[]"])))
		}
		writeJSON(w, 200, map[string]any{"object": "search_result", "data": data, "has_more": false, "next_page": nil, "url": r.URL.Path})
	}
}

func (f *fakeStripe) list(object, filter string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		want := r.Form.Get(filter)
		limit, _ := strconv.Atoi(r.Form.Get("limit"))
		if limit <= 0 || limit > 100 {
			limit = 10
		}
		after := r.Form.Get("starting_after")
		data := []any{}
		// Stripe lists newest first.
		skipping := after != ""
		hasMore := false
		for i := len(f.order) - 1; i >= 0; i-- {
			o := f.objects[f.order[i]]
			if o["object"] != object || (want != "" && o[filter] != want) {
				continue
			}
			if skipping {
				skipping = o["id"] != after
				continue
			}
			if len(data) == limit {
				hasMore = true
				break
			}
			data = append(data, strip(o))
		}
		writeJSON(w, 200, map[string]any{"object": "list", "data": data, "has_more": hasMore, "url": r.URL.Path})
	}
}

func (f *fakeStripe) cancelIntent(w http.ResponseWriter, r *http.Request) {
	p, ok := f.params(w, r, "cancellation_reason")
	if !ok {
		return
	}
	pi := f.objects[r.PathValue("id")]
	if pi == nil || pi["object"] != "payment_intent" {
		writeErr(w, 404, "invalid_request_error", "resource_missing", "No such payment_intent", "id")
		return
	}
	if pi["from_session"] == true {
		writeErr(w, 400, "invalid_request_error", "payment_intent_unexpected_state", "This PaymentIntent was created by a Checkout Session; expire the session instead.", "")
		return
	}
	switch pi["status"] {
	case "requires_payment_method", "requires_confirmation", "requires_action":
		pi["status"] = "canceled"
		pi["cancellation_reason"] = str(p, "cancellation_reason")
		f.emit("payment_intent.canceled", pi)
		f.answer(w, r, pi)
	default:
		writeErr(w, 400, "invalid_request_error", "payment_intent_unexpected_state",
			fmt.Sprintf("You cannot cancel this PaymentIntent because it has a status of %s.", pi["status"]), "", "payment_intent", strip(pi))
	}
}

// ---- Checkout Sessions ----

func (f *fakeStripe) createSession(w http.ResponseWriter, r *http.Request) {
	p, ok := f.params(w, r, "mode", "line_items", "success_url", "cancel_url", "client_reference_id", "metadata",
		"payment_intent_data", "customer", "expires_at")
	if !ok {
		return
	}
	if str(p, "mode") != "payment" || str(p, "success_url") == "" {
		writeErr(w, 400, "invalid_request_error", "parameter_missing", "mode=payment and success_url are required", "success_url")
		return
	}
	amount, err := strconv.ParseInt(str(p, "line_items", "0", "price_data", "unit_amount"), 10, 64)
	qty := str(p, "line_items", "0", "quantity")
	cur := str(p, "line_items", "0", "price_data", "currency")
	if err != nil || amount <= 0 || qty != "1" || !currencyRe.MatchString(cur) || str(p, "line_items", "0", "price_data", "product_data", "name") == "" {
		writeErr(w, 400, "invalid_request_error", "parameter_invalid", "Invalid line_items", "line_items")
		return
	}
	expires := f.clock.Now().Add(24 * time.Hour).Unix()
	if e := str(p, "expires_at"); e != "" {
		expires, _ = strconv.ParseInt(e, 10, 64)
		d := time.Unix(expires, 0).Sub(f.clock.Now())
		if d < 30*time.Minute || d > 24*time.Hour {
			writeErr(w, 400, "invalid_request_error", "parameter_invalid", "expires_at must be between 30 minutes and 24 hours from now", "expires_at")
			return
		}
	}
	id := f.nextID("cs")
	s := map[string]any{
		"id": id, "object": "checkout.session", "mode": "payment", "amount_total": amount, "currency": cur,
		"status": "open", "payment_status": "unpaid", "url": f.srv.URL + "/c/pay/" + id,
		"client_reference_id": str(p, "client_reference_id"), "metadata": strMap(p["metadata"]), "livemode": false,
		"payment_intent": nil, "expires_at": expires, "success_url": str(p, "success_url"),
		"pi_metadata": strMap(str2(p, "payment_intent_data", "metadata")),
	}
	f.put(s)
	f.answer(w, r, s)
}

// completeSession is the payer submitting the Checkout page with pm.
func (f *fakeStripe) completeSession(csID, pmID string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, pm := f.objects[csID], f.objects[pmID]
	if s == nil || pm == nil || s["status"] != "open" {
		f.t.Fatalf("fake.completeSession: bad session %s or pm %s", csID, pmID)
	}
	pi := map[string]any{
		"id": f.nextID("pi"), "object": "payment_intent", "amount": s["amount_total"], "amount_received": 0,
		"currency": s["currency"], "status": "requires_payment_method", "metadata": s["pi_metadata"], "livemode": false,
		"payment_method": pmID, "from_session": true, "latest_charge": nil, "customer": nil, "last_payment_error": nil,
	}
	pi["client_secret"] = pi["id"].(string) + "_secret_Cs34"
	f.put(pi)
	s["payment_intent"] = pi["id"]
	if !f.settle(pi, pm) {
		s["status"], s["payment_status"] = "complete", "paid"
		f.emit("checkout.session.completed", s)
	}
	return pi["id"].(string)
}

func (f *fakeStripe) expireSession(w http.ResponseWriter, r *http.Request) {
	if _, ok := f.params(w, r); !ok {
		return
	}
	s := f.objects[r.PathValue("id")]
	if s == nil || s["object"] != "checkout.session" {
		writeErr(w, 404, "invalid_request_error", "resource_missing", "No such checkout.session", "session")
		return
	}
	if s["status"] != "open" {
		writeErr(w, 400, "invalid_request_error", "", `Only Checkout Sessions with a status in ["open"] can be expired.`, "")
		return
	}
	s["status"] = "expired"
	if id, ok := s["payment_intent"].(string); ok {
		pi := f.objects[id]
		pi["status"] = "canceled"
		f.emit("payment_intent.canceled", pi)
	}
	f.emit("checkout.session.expired", s)
	f.answer(w, r, s)
}

// ---- Refunds ----

var refundReasons = map[string]bool{"duplicate": true, "fraudulent": true, "requested_by_customer": true}

func (f *fakeStripe) createRefund(w http.ResponseWriter, r *http.Request) {
	p, ok := f.params(w, r, "payment_intent", "amount", "metadata", "reason")
	if !ok {
		return
	}
	pi := f.objects[str(p, "payment_intent")]
	if pi == nil || pi["object"] != "payment_intent" {
		writeErr(w, 400, "invalid_request_error", "resource_missing", "No such payment_intent", "payment_intent")
		return
	}
	if reason := str(p, "reason"); reason != "" && !refundReasons[reason] {
		writeErr(w, 400, "invalid_request_error", "parameter_invalid", "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer", "reason")
		return
	}
	if pi["status"] != "succeeded" {
		writeErr(w, 400, "invalid_request_error", "charge_not_refundable", "This PaymentIntent does not have a successful charge to refund.", "payment_intent")
		return
	}
	amount, err := strconv.ParseInt(str(p, "amount"), 10, 64)
	if err != nil || amount <= 0 {
		writeErr(w, 400, "invalid_request_error", "parameter_invalid_integer", "Invalid positive integer", "amount")
		return
	}
	refunded := int64(0)
	for _, o := range f.objects {
		if o["object"] == "refund" && o["payment_intent"] == pi["id"] && o["status"] != "failed" {
			refunded += o["amount"].(int64)
		}
	}
	if refunded+amount > pi["amount_received"].(int64) {
		writeErr(w, 400, "invalid_request_error", "amount_too_large", "Refund amount is greater than unrefunded amount on charge", "amount")
		return
	}
	re := map[string]any{
		"id": f.nextID("re"), "object": "refund", "amount": amount, "currency": pi["currency"], "status": "succeeded",
		"payment_intent": pi["id"], "charge": pi["latest_charge"], "metadata": strMap(p["metadata"]),
		"reason": nil, "livemode": false,
	}
	if reason := str(p, "reason"); reason != "" {
		re["reason"] = reason
	}
	f.put(re)
	f.emit("refund.created", re)
	f.answer(w, r, re)
}

// failRefund is the bank returning a refund later.
func (f *fakeStripe) failRefund(reID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	re := f.objects[reID]
	re["status"], re["failure_reason"] = "failed", "expired_or_canceled_card"
	f.emit("refund.failed", re)
}
