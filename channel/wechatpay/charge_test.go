package wechatpay_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/channel/wechatpay"
)

// verifyMerchantSig checks a pay-parameter signature with the merchant's
// public key, the way WeChat's client SDK does.
func verifyMerchantSig(t *testing.T, message, sig string) {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		t.Fatalf("signature is not base64: %v", err)
	}
	sum := sha256.Sum256([]byte(message))
	if err := rsa.VerifyPKCS1v15(&testKeys().merchant.PublicKey, crypto.SHA256, sum[:], raw); err != nil {
		t.Fatalf("pay params signature does not verify: %v", err)
	}
}

func TestCreateChargePerScenario(t *testing.T) {
	f := newFake()
	defer f.Close()
	ch := newTestChannel(t, f)
	expires := testNow.Add(2 * time.Hour)
	tests := []struct {
		name     string
		req      channel.ChargeRequest
		wantPath string
		check    func(t *testing.T, c channel.Charge, body map[string]any)
	}{{
		name:     "qr native",
		req:      channel.ChargeRequest{ChargeID: "order_qr_001", Scenario: channel.ScenarioQR, Amount: cny(1234), Description: "Image形象店-深圳腾大-QQ公仔", ExpiresAt: expires},
		wantPath: "/v3/pay/transactions/native",
		check: func(t *testing.T, c channel.Charge, body map[string]any) {
			if c.Action.QRCode != "weixin://wxpay/bizpayurl?pr=order_qr_001" {
				t.Errorf("QRCode = %q", c.Action.QRCode)
			}
			if body["time_expire"] != "2026-03-01T20:00:00+08:00" {
				t.Errorf("time_expire = %v", body["time_expire"])
			}
		},
	}, {
		name:     "in-app APP",
		req:      channel.ChargeRequest{ChargeID: "order_app_001", Scenario: channel.ScenarioInApp, Amount: cny(1)},
		wantPath: "/v3/pay/transactions/app",
		check: func(t *testing.T, c channel.Charge, body map[string]any) {
			p := c.Action.AppParams
			want := map[string]string{"appid": testAppID, "partnerid": testMchID, "prepayid": "wx201410272009395522657a690389285100", "package": "Sign=WXPay"}
			for k, v := range want {
				if p[k] != v {
					t.Errorf("AppParams[%s] = %q, want %q", k, p[k], v)
				}
			}
			verifyMerchantSig(t, p["appid"]+"\n"+p["timestamp"]+"\n"+p["noncestr"]+"\n"+p["prepayid"]+"\n", p["sign"])
			if body["description"] != "order_app_001" {
				t.Errorf("default description = %v", body["description"])
			}
		},
	}, {
		name:     "in-app JSAPI",
		req:      channel.ChargeRequest{ChargeID: "order_js_001", Scenario: channel.ScenarioInApp, Amount: cny(100), Payer: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
		wantPath: "/v3/pay/transactions/jsapi",
		check: func(t *testing.T, c channel.Charge, body map[string]any) {
			p := c.Action.AppParams
			if p["package"] != "prepay_id=wx201410272009395522657a690389285100" || p["signType"] != "RSA" || p["appId"] != testAppID {
				t.Errorf("AppParams = %v", p)
			}
			verifyMerchantSig(t, p["appId"]+"\n"+p["timeStamp"]+"\n"+p["nonceStr"]+"\n"+p["package"]+"\n", p["paySign"])
			if diff := cmp.Diff(map[string]any{"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}, body["payer"]); diff != "" {
				t.Errorf("payer (-want +got):\n%s", diff)
			}
		},
	}, {
		name:     "web H5",
		req:      channel.ChargeRequest{ChargeID: "order_h5_001", Scenario: channel.ScenarioWeb, Amount: cny(999), Payer: "203.0.113.7", ReturnURL: "https://shop.example/done?o=1"},
		wantPath: "/v3/pay/transactions/h5",
		check: func(t *testing.T, c channel.Charge, body map[string]any) {
			u, err := url.Parse(c.Action.RedirectURL)
			if err != nil || u.Host != "wx.tenpay.com" || u.Query().Get("redirect_url") != "https://shop.example/done?o=1" {
				t.Errorf("RedirectURL = %q", c.Action.RedirectURL)
			}
			want := map[string]any{"payer_client_ip": "203.0.113.7", "h5_info": map[string]any{"type": "Wap"}}
			if diff := cmp.Diff(want, body["scene_info"]); diff != "" {
				t.Errorf("scene_info (-want +got):\n%s", diff)
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ch.CreateCharge(context.Background(), tt.req)
			if err != nil {
				t.Fatalf("CreateCharge: %v", err)
			}
			if c.Status != channel.StatusPending || c.ChargeID != tt.req.ChargeID || c.Amount != tt.req.Amount {
				t.Errorf("charge = %+v", c)
			}
			req := f.lastRequest()
			if req.uri != tt.wantPath {
				t.Errorf("path = %q, want %q", req.uri, tt.wantPath)
			}
			wantAmount := map[string]any{"total": float64(tt.req.Amount.Amount), "currency": "CNY"}
			if diff := cmp.Diff(wantAmount, req.body["amount"]); diff != "" {
				t.Errorf("amount (-want +got):\n%s", diff)
			}
			if req.body["notify_url"] != testNotifyURL || req.body["mchid"] != testMchID || req.body["appid"] != testAppID {
				t.Errorf("body = %v", req.body)
			}
			tt.check(t, c, req.body)
			// Repeating with the same ChargeID is safe.
			again, err := ch.CreateCharge(context.Background(), tt.req)
			if err != nil || again.Status != channel.StatusPending {
				t.Fatalf("repeat CreateCharge = %+v, %v", again, err)
			}
		})
	}
}

func TestCreateChargeRefusedLocally(t *testing.T) {
	f := newFake()
	defer f.Close()
	ch := newTestChannel(t, f)
	ok := channel.ChargeRequest{ChargeID: "order_local_1", Scenario: channel.ScenarioQR, Amount: cny(100)}
	tests := []struct {
		name   string
		change func(r *channel.ChargeRequest)
		want   error
	}{
		{"scanned is v2 only", func(r *channel.ChargeRequest) {
			r.Scenario = channel.ScenarioScanned
			r.AuthCode = "134567890123456789"
		}, channel.ErrUnsupported},
		{"unknown scenario", func(r *channel.ChargeRequest) { r.Scenario = "barter" }, channel.ErrUnsupported},
		{"USD", func(r *channel.ChargeRequest) { r.Amount.Currency = "USD" }, channel.ErrUnsupported},
		{"zero amount", func(r *channel.ChargeRequest) { r.Amount.Amount = 0 }, channel.ErrMalformed},
		{"short charge ID", func(r *channel.ChargeRequest) { r.ChargeID = "abc" }, channel.ErrMalformed},
		{"charge ID with slash", func(r *channel.ChargeRequest) { r.ChargeID = "order/../x" }, channel.ErrMalformed},
		{"H5 without IP", func(r *channel.ChargeRequest) { r.Scenario = channel.ScenarioWeb }, channel.ErrMalformed},
		{"JSAPI bad openid", func(r *channel.ChargeRequest) { r.Scenario = channel.ScenarioInApp; r.Payer = "o id with spaces" }, channel.ErrMalformed},
		{"expired already", func(r *channel.ChargeRequest) { r.ExpiresAt = testNow.Add(-time.Minute) }, channel.ErrMalformed},
		{"long description", func(r *channel.ChargeRequest) { r.Description = strings.Repeat("x", 128) }, channel.ErrMalformed},
		{"notify URL with query", func(r *channel.ChargeRequest) { r.NotifyURL = "https://m.example/n?x=1" }, channel.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := ok
			tt.change(&req)
			_, err := ch.CreateCharge(context.Background(), req)
			wantErr(t, err, tt.want)
		})
	}
	if n := f.requestCount(); n != 0 {
		t.Errorf("%d requests reached the provider, want 0", n)
	}
}

func TestQueryAndCloseCharge(t *testing.T) {
	f := newFake()
	defer f.Close()
	ch := newTestChannel(t, f)
	ctx := context.Background()
	for _, id := range []string{"order_paid_01", "order_shut_01"} {
		if _, err := ch.CreateCharge(ctx, channel.ChargeRequest{ChargeID: id, Scenario: channel.ScenarioQR, Amount: cny(500)}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ch.QueryCharge(ctx, "order_paid_01")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(channel.Charge{ChargeID: "order_paid_01", Status: channel.StatusPending, Amount: cny(500)}, got); diff != "" {
		t.Errorf("pending charge (-want +got):\n%s", diff)
	}
	if q := f.lastRequest().uri; q != "/v3/pay/transactions/out-trade-no/order_paid_01?mchid="+testMchID {
		t.Errorf("query URI = %q", q)
	}

	f.pay("order_paid_01")
	got, err = ch.QueryCharge(ctx, "order_paid_01")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != channel.StatusSucceeded || got.ProviderID == "" || !got.PaidAt.Equal(testNow) {
		t.Errorf("paid charge = %+v", got)
	}
	wantErr(t, ch.CloseCharge(ctx, "order_paid_01"), channel.ErrDeclined) // ORDERPAID

	if err := ch.CloseCharge(ctx, "order_shut_01"); err != nil {
		t.Fatalf("CloseCharge: %v", err)
	}
	if req := f.lastRequest(); req.uri != "/v3/pay/transactions/out-trade-no/order_shut_01/close" || req.body["mchid"] != testMchID {
		t.Errorf("close request = %+v", req)
	}
	got, err = ch.QueryCharge(ctx, "order_shut_01")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != channel.StatusClosed || got.FailureReason != "已关闭" {
		t.Errorf("closed charge = %+v", got)
	}
	_, err = ch.QueryCharge(ctx, "order_never_1")
	wantErr(t, err, channel.ErrUnknownCharge)
}

func TestRefundAndQueryRefund(t *testing.T) {
	f := newFake()
	defer f.Close()
	ch := newTestChannel(t, f)
	ctx := context.Background()
	if _, err := ch.CreateCharge(ctx, channel.ChargeRequest{ChargeID: "order_rf_0001", Scenario: channel.ScenarioQR, Amount: cny(1000)}); err != nil {
		t.Fatal(err)
	}
	req := channel.RefundRequest{RefundID: "refund_0001", ChargeID: "order_rf_0001", Amount: cny(300), ChargeAmount: cny(1000), Reason: "商品已售完"}
	_, err := ch.Refund(ctx, req)
	wantErr(t, err, channel.ErrDeclined) // unpaid: TRADE_ERROR

	f.pay("order_rf_0001")
	got, err := ch.Refund(ctx, req)
	if err != nil {
		t.Fatalf("Refund: %v", err)
	}
	want := channel.Refund{RefundID: "refund_0001", ChargeID: "order_rf_0001", ProviderID: "50300refund_0001", Status: channel.RefundPending, Amount: cny(300)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("refund (-want +got):\n%s", diff)
	}
	wantBody := map[string]any{
		"out_trade_no": "order_rf_0001", "out_refund_no": "refund_0001", "reason": "商品已售完", "notify_url": testNotifyURL,
		"amount": map[string]any{"refund": float64(300), "total": float64(1000), "currency": "CNY"},
	}
	if diff := cmp.Diff(wantBody, f.lastRequest().body); diff != "" {
		t.Errorf("refund body (-want +got):\n%s", diff)
	}
	// Same RefundID again: de-duplicated, not refunded twice.
	if again, err := ch.Refund(ctx, req); err != nil || again.Amount != cny(300) {
		t.Fatalf("repeat Refund = %+v, %v", again, err)
	}

	f.settleRefund("refund_0001", "SUCCESS")
	got, err = ch.QueryRefund(ctx, "order_rf_0001", "refund_0001")
	if err != nil || got.Status != channel.RefundSucceeded {
		t.Fatalf("QueryRefund = %+v, %v", got, err)
	}
	if f.lastRequest().uri != "/v3/refund/domestic/refunds/refund_0001" {
		t.Errorf("query refund URI = %q", f.lastRequest().uri)
	}
	_, err = ch.QueryRefund(ctx, "order_other_1", "refund_0001")
	wantErr(t, err, channel.ErrUnknownCharge)
	_, err = ch.QueryRefund(ctx, "", "refund_none")
	wantErr(t, err, channel.ErrUnknownCharge)

	// Over-refund is declined by WeChat; a refund above the total never leaves.
	_, err = ch.Refund(ctx, channel.RefundRequest{RefundID: "refund_0002", ChargeID: "order_rf_0001", Amount: cny(800), ChargeAmount: cny(1000)})
	wantErr(t, err, channel.ErrDeclined)
	_, err = ch.Refund(ctx, channel.RefundRequest{RefundID: "refund_0003", ChargeID: "order_rf_0001", Amount: cny(1001), ChargeAmount: cny(1000)})
	wantErr(t, err, channel.ErrMalformed)
	_, err = ch.Refund(ctx, channel.RefundRequest{RefundID: "refund_0004", ChargeID: "order_rf_0001", Amount: cny(1)})
	wantErr(t, err, channel.ErrUnsupported) // no ChargeAmount: currency ""
}

func TestCapabilities(t *testing.T) {
	f := newFake()
	defer f.Close()
	with := newTestChannel(t, f)
	without, err := wechatpay.New(testConfig(), wechatpay.WithPlatformCertificates(testKeys().certA))
	if err != nil {
		t.Fatal(err)
	}
	want := channel.Capabilities{
		Scenarios:  []channel.Scenario{channel.ScenarioQR, channel.ScenarioInApp, channel.ScenarioWeb, channel.ScenarioAgreement},
		Currencies: []string{"CNY"}, Refunds: true, PartialRefunds: true, Agreements: true,
	}
	if diff := cmp.Diff(want, with.Capabilities()); diff != "" {
		t.Errorf("with plan (-want +got):\n%s", diff)
	}
	caps := without.Capabilities()
	if caps.Agreements || caps.Supports(channel.ScenarioAgreement, "CNY") || caps.Supports(channel.ScenarioScanned, "CNY") || caps.Supports(channel.ScenarioQR, "USD") {
		t.Errorf("without plan = %+v", caps)
	}
	if with.Name() != "wechatpay" {
		t.Errorf("Name = %q", with.Name())
	}
}

// TestRefundNotifyURL: a refund's callback goes where RefundRequest.NotifyURL
// says (the aggregator passes its per-channel callback URL), else to
// Config.NotifyURL; a bad override never leaves.
func TestRefundNotifyURL(t *testing.T) {
	f := newFake()
	defer f.Close()
	ch := newTestChannel(t, f)
	ctx := context.Background()
	if _, err := ch.CreateCharge(ctx, qrCharge("order_rf_notify")); err != nil {
		t.Fatal(err)
	}
	f.pay("order_rf_notify")
	const override = "https://merchant.example/callbacks/wechatpay"
	req := channel.RefundRequest{RefundID: "refund_n1", ChargeID: "order_rf_notify", Amount: cny(1), ChargeAmount: cny(10000), NotifyURL: override}
	if _, err := ch.Refund(ctx, req); err != nil {
		t.Fatalf("Refund: %v", err)
	}
	if got := f.lastRequest().body["notify_url"]; got != override {
		t.Errorf("notify_url = %v, want the request's %q", got, override)
	}
	req.RefundID, req.NotifyURL = "refund_n2", ""
	if _, err := ch.Refund(ctx, req); err != nil {
		t.Fatalf("Refund: %v", err)
	}
	if got := f.lastRequest().body["notify_url"]; got != testNotifyURL {
		t.Errorf("notify_url = %v, want Config.NotifyURL", got)
	}
	sent := f.requestCount()
	req.RefundID, req.NotifyURL = "refund_n3", "https://merchant.example/n?x=1"
	_, err := ch.Refund(ctx, req)
	wantErr(t, err, channel.ErrMalformed)
	if n := f.requestCount(); n != sent {
		t.Errorf("%d requests reached the provider, want none", n-sent)
	}
}
