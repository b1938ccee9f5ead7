package stripe

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

var ctx = context.Background()

func usd(n int64) pay.Money { return pay.Money{Amount: n, Currency: "USD"} }

func TestCreateChargeScenarios(t *testing.T) {
	tests := []struct {
		name     string
		req      channel.ChargeRequest
		path     string
		want     func(f *fakeStripe, got channel.Charge) channel.Charge
		wireHas  []string
		wireForm map[string]string
	}{
		{
			name: "in-app returns the client secret",
			req:  channel.ChargeRequest{ChargeID: "pay_inapp01", Scenario: channel.ScenarioInApp, Amount: usd(1234), Description: "Green tea"},
			path: "/v1/payment_intents",
			want: func(_ *fakeStripe, got channel.Charge) channel.Charge {
				return channel.Charge{ChargeID: "pay_inapp01", ProviderID: got.ProviderID, Status: channel.StatusPending, Amount: usd(1234),
					Action: channel.Action{AppParams: map[string]string{"client_secret": got.ProviderID + "_secret_Xy12", "payment_intent": got.ProviderID}}}
			},
			wireHas:  []string{"metadata[charge_id]=pay_inapp01", "payment_method_types[]=card", "description=Green+tea"},
			wireForm: map[string]string{"amount": "1234", "currency": "usd"},
		},
		{
			name: "web returns the Checkout URL",
			req: channel.ChargeRequest{ChargeID: "pay_web0001", Scenario: channel.ScenarioWeb, Amount: usd(990), Description: "Mug",
				ReturnURL: "https://shop.example/done", ExpiresAt: fakeStart.Add(2 * time.Hour)},
			path: "/v1/checkout/sessions",
			want: func(f *fakeStripe, got channel.Charge) channel.Charge {
				return channel.Charge{ChargeID: "pay_web0001", ProviderID: got.ProviderID, Status: channel.StatusPending, Amount: usd(990),
					Action: channel.Action{RedirectURL: f.srv.URL + "/c/pay/" + got.ProviderID}}
			},
			wireHas: []string{"line_items[0][price_data][currency]=usd", "line_items[0][price_data][unit_amount]=990",
				"line_items[0][price_data][product_data][name]=Mug", "payment_intent_data[metadata][charge_id]=pay_web0001"},
			wireForm: map[string]string{"mode": "payment", "success_url": "https://shop.example/done", "client_reference_id": "pay_web0001",
				"expires_at": "1772373600"},
		},
		{
			name: "agreement debits a saved card off-session",
			req: channel.ChargeRequest{ChargeID: "pay_agree01", Scenario: channel.ScenarioAgreement, Amount: usd(500),
				AgreementID: "pm_seed_visa", Payer: "cus_seed"},
			path: "/v1/payment_intents",
			want: func(_ *fakeStripe, got channel.Charge) channel.Charge {
				return channel.Charge{ChargeID: "pay_agree01", ProviderID: got.ProviderID, Status: channel.StatusSucceeded, Amount: usd(500), PaidAt: fakeStart}
			},
			wireHas:  []string{"expand[]=latest_charge", "metadata[charge_id]=pay_agree01"},
			wireForm: map[string]string{"off_session": "true", "confirm": "true", "customer": "cus_seed", "payment_method": "pm_seed_visa"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			c := f.channel(WithAPIVersion("2024-06-20"))
			got, err := c.CreateCharge(ctx, tt.req)
			if err != nil {
				t.Fatalf("CreateCharge: %v", err)
			}
			if diff := cmp.Diff(tt.want(f, got), got); diff != "" {
				t.Errorf("charge (-want +got):\n%s", diff)
			}
			r := f.lastRequest("POST", tt.path)
			if r.IdemKey != "paykit-charge-"+tt.req.ChargeID {
				t.Errorf("Idempotency-Key = %q", r.IdemKey)
			}
			if r.Version != "2024-06-20" {
				t.Errorf("Stripe-Version = %q", r.Version)
			}
			for _, s := range tt.wireHas {
				if !strings.Contains("&"+r.Body+"&", "&"+s+"&") {
					t.Errorf("body lacks %q: %s", s, r.Body)
				}
			}
			for k, v := range tt.wireForm {
				if got := r.Form.Get(k); got != v {
					t.Errorf("form %s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestCreateChargeDecline(t *testing.T) {
	f := newFake(t)
	c := f.channel()
	got, err := c.CreateCharge(ctx, channel.ChargeRequest{ChargeID: "pay_decl001", Scenario: channel.ScenarioAgreement,
		Amount: usd(700), AgreementID: "pm_card_chargeDeclined", Payer: "cus_seed"})
	if !errors.Is(err, channel.ErrDeclined) || !errors.Is(err, pay.ErrDeclined) {
		t.Fatalf("err = %v, want ErrDeclined", err)
	}
	want := channel.Charge{ChargeID: "pay_decl001", ProviderID: got.ProviderID, Status: channel.StatusFailed, Amount: usd(700),
		FailureReason: "Your card was declined."}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("charge (-want +got):\n%s", diff)
	}
	if !strings.Contains(err.Error(), "Your card was declined.") {
		t.Errorf("error does not carry Stripe's safe message: %v", err)
	}
	q, err := c.QueryCharge(ctx, "pay_decl001")
	if err != nil || q.Status != channel.StatusFailed {
		t.Fatalf("QueryCharge after decline = %+v, %v", q, err)
	}
}

func TestIdempotentRetryAfterTornResponse(t *testing.T) {
	f := newFake(t)
	f.tear["/v1/payment_intents"] = 1 // Stripe acts, the answer is a 500
	c := f.channel()
	req := channel.ChargeRequest{ChargeID: "pay_torn001", Scenario: channel.ScenarioInApp, Amount: usd(100)}
	got, err := c.CreateCharge(ctx, req)
	if err != nil {
		t.Fatalf("CreateCharge: %v", err)
	}
	if n := f.count("payment_intent"); n != 1 {
		t.Fatalf("fake holds %d intents, want 1", n)
	}
	if n := f.requestCount("POST", "/v1/payment_intents"); n != 2 {
		t.Fatalf("%d attempts, want 2", n)
	}
	again, err := c.CreateCharge(ctx, req)
	if err != nil || again.ProviderID != got.ProviderID {
		t.Fatalf("repeat = %+v, %v; want the same intent %s", again, err, got.ProviderID)
	}
	if n := f.count("payment_intent"); n != 1 {
		t.Fatalf("fake holds %d intents after a repeat, want 1", n)
	}
}

func TestCreateChargeTransportErrors(t *testing.T) {
	t.Run("503s exhaust retries: unavailable, nothing created", func(t *testing.T) {
		f := newFake(t)
		f.unavailable = 3
		_, err := f.channel().CreateCharge(ctx, channel.ChargeRequest{ChargeID: "pay_unav001", Scenario: channel.ScenarioInApp, Amount: usd(100)})
		if !errors.Is(err, channel.ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
		if n := f.count("payment_intent"); n != 0 {
			t.Fatalf("%d intents created", n)
		}
	})
	t.Run("torn 500s exhaust retries: outcome unknown", func(t *testing.T) {
		f := newFake(t)
		f.tear["/v1/payment_intents"] = 3
		_, err := f.channel().CreateCharge(ctx, channel.ChargeRequest{ChargeID: "pay_torn002", Scenario: channel.ScenarioInApp, Amount: usd(100)})
		if !errors.Is(err, channel.ErrOutcomeUnknown) {
			t.Fatalf("err = %v, want ErrOutcomeUnknown", err)
		}
	})
	t.Run("same ChargeID, other parameters: idempotency conflict", func(t *testing.T) {
		f := newFake(t)
		c := f.channel()
		if _, err := c.CreateCharge(ctx, channel.ChargeRequest{ChargeID: "pay_conf001", Scenario: channel.ScenarioInApp, Amount: usd(100)}); err != nil {
			t.Fatal(err)
		}
		_, err := c.CreateCharge(ctx, channel.ChargeRequest{ChargeID: "pay_conf001", Scenario: channel.ScenarioInApp, Amount: usd(200)})
		if !errors.Is(err, channel.ErrDuplicate) || !errors.Is(err, pay.ErrConflict) {
			t.Fatalf("err = %v, want ErrDuplicate (conflict)", err)
		}
	})
	t.Run("bad key: unauthorized, unavailable, key not echoed", func(t *testing.T) {
		f := newFake(t)
		wrong := "sk_test_WrongKey987654321"
		c, err := New(wrong, WithBaseURL(f.srv.URL))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.CreateCharge(ctx, channel.ChargeRequest{ChargeID: "pay_auth001", Scenario: channel.ScenarioInApp, Amount: usd(100)})
		if !errors.Is(err, pay.ErrUnauthorized) || !errors.Is(err, channel.ErrUnavailable) {
			t.Fatalf("err = %v, want unauthorized + ErrUnavailable", err)
		}
		if strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), "WrongKey") {
			t.Fatalf("error leaks the key: %v", err)
		}
		if r := f.lastRequest("POST", "/v1/payment_intents"); !strings.Contains(r.Body, "amount=100") {
			t.Fatalf("request not sent as expected: %q", r.Body)
		}
	})
}

func TestCreateChargeRefusedBeforeSending(t *testing.T) {
	tests := []struct {
		name  string
		req   channel.ChargeRequest
		param string
	}{
		{"QR is not a Stripe scenario", channel.ChargeRequest{ChargeID: "pay_qr00001", Scenario: channel.ScenarioQR, Amount: usd(1)}, "scenario"},
		{"short charge ID", channel.ChargeRequest{ChargeID: "pay", Scenario: channel.ScenarioInApp, Amount: usd(1)}, "charge_id"},
		{"quote in charge ID", channel.ChargeRequest{ChargeID: "pay_x'OR'1", Scenario: channel.ScenarioInApp, Amount: usd(1)}, "charge_id"},
		{"zero amount", channel.ChargeRequest{ChargeID: "pay_zero001", Scenario: channel.ScenarioInApp, Amount: usd(0)}, "amount"},
		{"KWD not ending in 0", channel.ChargeRequest{ChargeID: "pay_kwd0001", Scenario: channel.ScenarioInApp, Amount: pay.Money{Amount: 5124, Currency: "KWD"}}, "amount"},
		{"web without return URL", channel.ChargeRequest{ChargeID: "pay_web0002", Scenario: channel.ScenarioWeb, Amount: usd(1)}, "return_url"},
		{"payer not a customer", channel.ChargeRequest{ChargeID: "pay_payr001", Scenario: channel.ScenarioInApp, Amount: usd(1), Payer: "openid-123"}, "payer"},
		{"agreement without ID", channel.ChargeRequest{ChargeID: "pay_agre002", Scenario: channel.ScenarioAgreement, Amount: usd(1)}, "agreement_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			_, err := f.channel().CreateCharge(ctx, tt.req)
			var pe *pay.Error
			if !errors.Is(err, channel.ErrUnsupported) || !errors.As(err, &pe) || pe.Param != tt.param {
				t.Fatalf("err = %v, want ErrUnsupported on %s", err, tt.param)
			}
			if len(f.requests) != 0 {
				t.Fatalf("%d requests reached Stripe", len(f.requests))
			}
		})
	}
}

func TestResponseShapeIsVerified(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(obj map[string]any)
	}{
		{"other object type", func(o map[string]any) { o["object"] = "charge" }},
		{"other charge's metadata", func(o map[string]any) { o["metadata"] = map[string]any{"charge_id": "pay_other01"} }},
		{"other amount", func(o map[string]any) { o["amount"] = 1235 }},
		{"other currency", func(o map[string]any) { o["currency"] = "eur" }},
		{"upper-case currency", func(o map[string]any) { o["currency"] = "USD" }},
		{"live object for a test key", func(o map[string]any) { o["livemode"] = true }},
		{"path-unsafe ID", func(o map[string]any) { o["id"] = "pi_../../v1/refunds" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.mutate = func(_ string, o map[string]any) { tt.mutate(o) }
			_, err := f.channel().CreateCharge(ctx, channel.ChargeRequest{ChargeID: "pay_shape01", Scenario: channel.ScenarioInApp, Amount: usd(1234)})
			if !errors.Is(err, channel.ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestCurrenciesOnTheWire(t *testing.T) {
	tests := []struct {
		money pay.Money
		wire  string
	}{
		{pay.Money{Amount: 5, Currency: "ISK"}, "500"},
		{pay.Money{Amount: 500, Currency: "JPY"}, "500"},
		{pay.Money{Amount: 5120, Currency: "KWD"}, "5120"},
		{pay.Money{Amount: 1050, Currency: "HUF"}, "1050"},
		{pay.Money{Amount: 3000, Currency: "UGX"}, "3000"},
		{pay.Money{Amount: 15000, Currency: "IDR"}, "1500000"},
	}
	for _, tt := range tests {
		t.Run(tt.money.Currency, func(t *testing.T) {
			f := newFake(t)
			got, err := f.channel().CreateCharge(ctx, channel.ChargeRequest{ChargeID: "pay_cur0001", Scenario: channel.ScenarioInApp, Amount: tt.money})
			if err != nil {
				t.Fatal(err)
			}
			r := f.lastRequest("POST", "/v1/payment_intents")
			if r.Form.Get("amount") != tt.wire || r.Form.Get("currency") != strings.ToLower(tt.money.Currency) {
				t.Errorf("wire amount %s %s, want %s", r.Form.Get("amount"), r.Form.Get("currency"), tt.wire)
			}
			if got.Amount != tt.money {
				t.Errorf("amount back = %v, want %v", got.Amount, tt.money)
			}
		})
	}
}
