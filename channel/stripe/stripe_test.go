package stripe

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

func TestNewValidatesKeyAndOptions(t *testing.T) {
	tests := []struct {
		name  string
		key   string
		opts  []Option
		param string
	}{
		{"secret test key", "sk_test_abc123", nil, ""},
		{"secret live key", "sk_live_abc123", nil, ""},
		{"restricted keys", "rk_live_abc123", nil, ""},
		{"publishable key", "pk_test_abc123", nil, "secret_key"},
		{"no prefix", "abc123", nil, "secret_key"},
		{"empty after prefix", "sk_test_", nil, "secret_key"},
		{"header injection", "sk_test_abc\r\nX-Evil: 1", nil, "secret_key"},
		{"relative base URL", "sk_test_k", []Option{WithBaseURL("/v1")}, "base_url"},
		{"base URL with query", "sk_test_k", []Option{WithBaseURL("https://api.stripe.com?x=1")}, "base_url"},
		{"nil client", "sk_test_k", []Option{WithHTTPClient(nil)}, "http_client"},
		{"zero attempts", "sk_test_k", []Option{WithRetryPolicy(pay.RetryPolicy{BaseDelay: 1, MaxDelay: 1})}, "retry_policy"},
		{"nil clock", "sk_test_k", []Option{WithClock(nil)}, "clock"},
		{"no secrets", "sk_test_k", []Option{WithWebhookSecrets()}, "webhook_secrets"},
		{"not a whsec", "sk_test_k", []Option{WithWebhookSecrets("whsec_ok", "secret")}, "webhook_secrets"},
		{"zero tolerance", "sk_test_k", []Option{WithTolerance(0)}, "tolerance"},
		{"api version injection", "sk_test_k", []Option{WithAPIVersion("2024-06-20\r\nX: y")}, "api_version"},
		{"nil option", "sk_test_k", []Option{nil}, "options"},
		{"all good", "sk_test_k", []Option{WithBaseURL("http://127.0.0.1:1/"), WithHTTPClient(&http.Client{}), WithClock(fakeClock()),
			WithWebhookSecrets("whsec_a", "whsec_b"), WithTolerance(time.Minute), WithAPIVersion("2025-03-31.basil"),
			WithRetryPolicy(pay.NoRetries())}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.key, tt.opts...)
			if tt.param == "" {
				if err != nil || c == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			var pe *pay.Error
			if !errors.As(err, &pe) || pe.Param != tt.param || !errors.Is(err, pay.ErrInvalidRequest) {
				t.Fatalf("err = %v, want invalid %s", err, tt.param)
			}
			if len(tt.key) > 8 && strings.Contains(err.Error(), tt.key) {
				t.Fatalf("error echoes the key: %v", err)
			}
		})
	}
}

func fakeClock() pay.Clock { return fixedClock(fakeStart) }

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

func TestDefaults(t *testing.T) {
	c, err := New("sk_live_abc")
	if err != nil {
		t.Fatal(err)
	}
	if c.baseURL != DefaultBaseURL || c.tolerance != DefaultTolerance || c.mode != modeLive || c.Name() != "stripe" {
		t.Fatalf("defaults: %q %v %v %q", c.baseURL, c.tolerance, c.mode, c.Name())
	}
	want := channel.Capabilities{Scenarios: []channel.Scenario{channel.ScenarioInApp, channel.ScenarioWeb, channel.ScenarioAgreement},
		Refunds: true, PartialRefunds: true, Agreements: true}
	if diff := cmp.Diff(want, c.Capabilities()); diff != "" {
		t.Errorf("capabilities (-want +got):\n%s", diff)
	}
	if !c.Capabilities().Supports(channel.ScenarioWeb, "JPY") || c.Capabilities().Supports(channel.ScenarioQR, "USD") {
		t.Error("Supports disagrees with the scenarios")
	}
}

func TestLiveKeyRefusesTestObjects(t *testing.T) {
	f := newFake(t)
	f.key = "sk_live_RealLooking123"
	c, err := New(f.key, WithBaseURL(f.srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateCharge(ctx, channel.ChargeRequest{ChargeID: "pay_live001", Scenario: channel.ScenarioInApp, Amount: usd(100)})
	if !errors.Is(err, channel.ErrMalformed) {
		t.Fatalf("err = %v, want ErrMalformed for a livemode=false answer", err)
	}
}

func TestSafeScrubsSecrets(t *testing.T) {
	c := &Channel{key: "sk_test_OwnKey0000"}
	tests := []struct{ in, want string }{
		{"Invalid API Key provided: sk_test_OwnKey0000", "Invalid API Key provided: [redacted]"},
		{"key sk_live_abcDEF123 and rk_test_x9 seen", "key [redacted] and [redacted] seen"},
		{"masked sk_test_****1234", "masked [redacted]"},
		{"secret whsec_abc+/= leaked", "secret [redacted] leaked"},
		{"client secret pi_123_secret_abc", "client secret pi_123[redacted]"},
		{"line\nbreak\x00", "linebreak"},
		{strings.Repeat("é", 150), strings.Repeat("é", 100) + "…"},
		{"bad \xff utf8", "bad  utf8"},
	}
	for _, tt := range tests {
		if got := c.safe(tt.in); got != tt.want {
			t.Errorf("safe(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFormEncodesBrackets(t *testing.T) {
	f := (&form{}).add("amount", "1234").add("metadata[charge_id]", "pay_1").add("payment_method_types[]", "card").
		add("line_items[0][price_data][product_data][name]", "Tea & cake=1").add("success_url", "https://x.example/?a=1&b=2")
	want := "amount=1234&metadata[charge_id]=pay_1&payment_method_types[]=card&line_items[0][price_data][product_data][name]=Tea+%26+cake%3D1&success_url=https%3A%2F%2Fx.example%2F%3Fa%3D1%26b%3D2"
	if got := f.encode(); got != want {
		t.Fatalf("encode =\n%s\nwant\n%s", got, want)
	}
	// Round trip through the fake's bracket parser.
	vals, err := nested(mustQuery(t, want))
	if err != nil {
		t.Fatal(err)
	}
	if str(vals, "line_items", "0", "price_data", "product_data", "name") != "Tea & cake=1" || vals["payment_method_types"].([]string)[0] != "card" {
		t.Fatalf("parsed %v", vals)
	}
}

func TestIDCacheEvictsOldest(t *testing.T) {
	c := newIDCache[int](2)
	c.put("a", 1)
	c.put("b", 2)
	c.put("a", 10) // update keeps its slot
	c.put("c", 3)  // evicts a, the oldest
	if _, ok := c.get("a"); ok {
		t.Error("a survived eviction")
	}
	if v, _ := c.get("b"); v != 2 {
		t.Errorf("b = %d", v)
	}
	c.update("c", func(v *int) { *v++ })
	if v, _ := c.get("c"); v != 4 {
		t.Errorf("c = %d", v)
	}
}
