package alipay

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/channel"
)

// bizOf decodes a request's biz_content.
func bizOf(t testing.TB, p map[string]string) map[string]any {
	t.Helper()
	var biz map[string]any
	if err := json.Unmarshal([]byte(p["biz_content"]), &biz); err != nil {
		t.Fatalf("biz_content %q: %v", p["biz_content"], err)
	}
	return biz
}

// checkSigned fails unless p carries a valid request signature by the
// application key.
func checkSigned(t testing.TB, p map[string]string) {
	t.Helper()
	if err := verifyRSA2(&testKeys().app.PublicKey, []byte(requestSignContent(p)), p[paramSign]); err != nil {
		t.Fatalf("request signature does not verify: %v", err)
	}
}

func TestCreateChargeQR(t *testing.T) {
	f := newFake(t)
	c := f.channel(t)
	ch, err := c.CreateCharge(context.Background(), channel.ChargeRequest{
		ChargeID: "order_qr_1", Scenario: channel.ScenarioQR, Amount: cny(1234),
		Description: "Coffee & cake <2>", ExpiresAt: testStart.Add(30 * time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ch.Action.QRCode, "https://qr.alipay.com/bax0") {
		t.Fatalf("QRCode = %q", ch.Action.QRCode)
	}
	want := channel.Charge{ChargeID: "order_qr_1", Status: channel.StatusPending, Amount: cny(1234), Action: channel.Action{QRCode: ch.Action.QRCode}}
	if d := cmp.Diff(want, ch); d != "" {
		t.Fatalf("charge (-want +got):\n%s", d)
	}
	reqs := f.requests(methodPrecreate)
	if len(reqs) != 1 {
		t.Fatalf("%d precreate requests", len(reqs))
	}
	p := reqs[0]
	checkSigned(t, p)
	common := map[string]string{
		"app_id": testAppID, "method": methodPrecreate, "format": "JSON", "charset": "utf-8",
		"sign_type": "RSA2", "timestamp": "2026-03-01 10:00:00", "version": "1.0",
		"notify_url": "https://merchant.example/alipay/notify",
	}
	for k, v := range common {
		if p[k] != v {
			t.Errorf("%s = %q, want %q", k, p[k], v)
		}
	}
	wantBiz := map[string]any{
		"out_trade_no": "order_qr_1", "total_amount": "12.34", "subject": "Coffee & cake <2>",
		"product_code": "FACE_TO_FACE_PAYMENT", "time_expire": "2026-03-01 10:30:00",
	}
	if d := cmp.Diff(wantBiz, bizOf(t, p)); d != "" {
		t.Fatalf("biz_content (-want +got):\n%s", d)
	}
	if strings.Contains(p["biz_content"], `\u003c`) {
		t.Errorf("biz_content is HTML-escaped: %s", p["biz_content"])
	}
}

func TestTimestampIsChinaStandardTime(t *testing.T) {
	f := newFake(t)
	f.clock.Set(time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC))
	c := f.channel(t)
	if _, err := c.QueryCharge(context.Background(), "nothing_here"); err == nil {
		t.Fatal("query of an unknown trade succeeded")
	}
	if got := f.requests(methodQuery)[0]["timestamp"]; got != "2026-03-01 10:00:00" {
		t.Fatalf("timestamp = %q, want China Standard Time", got)
	}
}

func TestCreateChargeScanned(t *testing.T) {
	tests := []struct {
		name, authCode string
		want           channel.Status
		wantErr        error
	}{
		{"paid", "287634438256643940", channel.StatusSucceeded, nil},
		{"payer confirming", "wait5678", channel.StatusPending, nil},
		{"balance too low", "poor1234", "", channel.ErrDeclined},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			c := f.channel(t)
			ch, err := c.CreateCharge(context.Background(), channel.ChargeRequest{ChargeID: "order_bar_1", Scenario: channel.ScenarioScanned, Amount: cny(50), AuthCode: tt.authCode})
			if tt.wantErr != nil {
				wantErr(t, err, tt.wantErr)
				if !strings.Contains(err.Error(), "ACQ.BUYER_BALANCE_NOT_ENOUGH") {
					t.Errorf("error %q does not name the sub_code", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ch.Status != tt.want || ch.ProviderID == "" || ch.Amount != cny(50) {
				t.Fatalf("charge = %+v", ch)
			}
			if tt.want == channel.StatusSucceeded && !ch.PaidAt.Equal(testStart) {
				t.Errorf("PaidAt = %v, want %v", ch.PaidAt, testStart)
			}
			biz := bizOf(t, f.requests(methodPay)[0])
			if biz["scene"] != "bar_code" || biz["auth_code"] != tt.authCode || biz["total_amount"] != "0.50" {
				t.Fatalf("biz_content = %v", biz)
			}
		})
	}
}

func TestCreateChargeRepeatOfPaidTradeQueries(t *testing.T) {
	f := newFake(t)
	c := f.channel(t)
	req := channel.ChargeRequest{ChargeID: "order_rep_1", Scenario: channel.ScenarioScanned, Amount: cny(990), AuthCode: "281234"}
	first, err := c.CreateCharge(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.CreateCharge(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(first, again); d != "" {
		t.Fatalf("repeat differs (-first +again):\n%s", d)
	}
	if n := len(f.requests(methodQuery)); n != 1 {
		t.Fatalf("%d queries after ACQ.TRADE_HAS_SUCCESS, want 1", n)
	}
}

func TestCreateChargeInApp(t *testing.T) {
	f := newFake(t)
	c := f.channel(t)
	ch, err := c.CreateCharge(context.Background(), channel.ChargeRequest{ChargeID: "order_app_1", Scenario: channel.ScenarioInApp, Amount: cny(100000_00), NotifyURL: "https://other.example/n"})
	if err != nil {
		t.Fatal(err)
	}
	if f.callCount() != 0 {
		t.Fatal("app pay made a call")
	}
	p := query(t, ch.Action.AppParams["order_string"])
	checkSigned(t, p)
	if p["method"] != methodAppPay || p["notify_url"] != "https://other.example/n" {
		t.Fatalf("order string params = %v", p)
	}
	biz := bizOf(t, p)
	if biz["product_code"] != "QUICK_MSECURITY_PAY" || biz["total_amount"] != "100000.00" || biz["subject"] != "order_app_1" {
		t.Fatalf("biz_content = %v", biz)
	}
}

func TestCreateChargeWeb(t *testing.T) {
	f := newFake(t)
	c := f.channel(t)
	ch, err := c.CreateCharge(context.Background(), channel.ChargeRequest{ChargeID: "order_web_1", Scenario: channel.ScenarioWeb, Amount: cny(1), ReturnURL: "https://shop.example/done?x=1"})
	if err != nil {
		t.Fatal(err)
	}
	if f.callCount() != 0 {
		t.Fatal("page pay made a call")
	}
	u, err := url.Parse(ch.Action.RedirectURL)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Scheme + "://" + u.Host + u.Path; got != f.srv.URL+"/gateway.do" {
		t.Fatalf("redirect to %q", got)
	}
	p := query(t, u.RawQuery)
	checkSigned(t, p)
	if p["method"] != methodPagePay || p["return_url"] != "https://shop.example/done?x=1" {
		t.Fatalf("params = %v", p)
	}
	if biz := bizOf(t, p); biz["product_code"] != "FAST_INSTANT_TRADE_PAY" || biz["total_amount"] != "0.01" {
		t.Fatalf("biz_content = %v", biz)
	}
}

func TestCreateChargeValidation(t *testing.T) {
	ok := channel.ChargeRequest{ChargeID: "order_val_1", Scenario: channel.ScenarioQR, Amount: cny(100)}
	tests := []struct {
		name   string
		modify func(*channel.ChargeRequest)
		want   error
	}{
		{"no charge id", func(r *channel.ChargeRequest) { r.ChargeID = "" }, channel.ErrMalformed},
		{"charge id with a space", func(r *channel.ChargeRequest) { r.ChargeID = "order 1" }, channel.ErrMalformed},
		{"charge id too long", func(r *channel.ChargeRequest) { r.ChargeID = strings.Repeat("a", 65) }, channel.ErrMalformed},
		{"unknown scenario", func(r *channel.ChargeRequest) { r.Scenario = "telepathy" }, channel.ErrUnsupported},
		{"USD", func(r *channel.ChargeRequest) { r.Amount.Currency = "USD" }, channel.ErrUnsupported},
		{"zero", func(r *channel.ChargeRequest) { r.Amount.Amount = 0 }, channel.ErrMalformed},
		{"negative", func(r *channel.ChargeRequest) { r.Amount.Amount = -1 }, channel.ErrMalformed},
		{"over the limit", func(r *channel.ChargeRequest) { r.Amount.Amount = maxFen + 1 }, channel.ErrMalformed},
		{"expired already", func(r *channel.ChargeRequest) { r.ExpiresAt = testStart.Add(-time.Second) }, channel.ErrMalformed},
		{"scanned without code", func(r *channel.ChargeRequest) { r.Scenario = channel.ScenarioScanned }, channel.ErrMalformed},
		{"agreement without id", func(r *channel.ChargeRequest) { r.Scenario = channel.ScenarioAgreement }, channel.ErrMalformed},
		{"bad notify url", func(r *channel.ChargeRequest) { r.NotifyURL = "ftp://x" }, channel.ErrMalformed},
		{"long subject", func(r *channel.ChargeRequest) { r.Description = strings.Repeat("茶", 257) }, channel.ErrMalformed},
	}
	f := newFake(t)
	c := f.channel(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := ok
			tt.modify(&req)
			_, err := c.CreateCharge(context.Background(), req)
			wantErr(t, err, tt.want)
		})
	}
	if f.callCount() != 0 {
		t.Fatalf("invalid requests reached the gateway %d times", f.callCount())
	}
}

func TestQueryCharge(t *testing.T) {
	f := newFake(t)
	c := f.channel(t)
	ctx := context.Background()
	for _, id := range []string{"q_pending", "q_paid", "q_closed"} {
		if _, err := c.CreateCharge(ctx, channel.ChargeRequest{ChargeID: id, Scenario: channel.ScenarioQR, Amount: cny(1999)}); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Advance(time.Minute)
	paid := f.payTrade("q_paid", 1999)
	if err := c.CloseCharge(ctx, "q_closed"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id   string
		want channel.Charge
	}{
		{"q_pending", channel.Charge{ChargeID: "q_pending", Status: channel.StatusPending, Amount: cny(1999)}},
		{"q_paid", channel.Charge{ChargeID: "q_paid", ProviderID: paid.tradeNo, Status: channel.StatusSucceeded, Amount: cny(1999), PaidAt: testStart.Add(time.Minute)}},
		{"q_closed", channel.Charge{ChargeID: "q_closed", Status: channel.StatusClosed, Amount: cny(1999)}},
	}
	for _, tt := range tests {
		got, err := c.QueryCharge(ctx, tt.id)
		if err != nil {
			t.Fatalf("%s: %v", tt.id, err)
		}
		if tt.want.ProviderID == "" {
			tt.want.ProviderID = got.ProviderID
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.id, d)
		}
	}
	_, err := c.QueryCharge(ctx, "q_nobody")
	wantErr(t, err, channel.ErrUnknownCharge)
}

func TestCloseCharge(t *testing.T) {
	f := newFake(t)
	c := f.channel(t)
	ctx := context.Background()
	if _, err := c.CreateCharge(ctx, channel.ChargeRequest{ChargeID: "c_open", Scenario: channel.ScenarioQR, Amount: cny(5)}); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseCharge(ctx, "c_open"); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseCharge(ctx, "c_open"); err != nil {
		t.Fatalf("closing twice: %v", err)
	}
	f.payTrade("c_paid", 5)
	wantErr(t, c.CloseCharge(ctx, "c_paid"), channel.ErrDeclined)
	wantErr(t, c.CloseCharge(ctx, "c_none"), channel.ErrUnknownCharge)
	wantErr(t, c.CloseCharge(ctx, ""), channel.ErrMalformed)
}
