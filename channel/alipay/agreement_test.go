package alipay

import (
	"context"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/channel"
)

func TestAgreementLifecycle(t *testing.T) {
	f := newFake(t)
	c := f.channel(t)
	ctx := context.Background()

	a, err := c.SignAgreement(ctx, channel.AgreementRequest{AgreementID: "agr1001", UserID: "user-7", DisplayName: "Li Lei", ReturnURL: "https://shop.example/signed"})
	if err != nil {
		t.Fatal(err)
	}
	if f.callCount() != 0 {
		t.Fatal("page sign made a call")
	}
	if a.Status != channel.AgreementPending || a.AgreementID != "agr1001" {
		t.Fatalf("agreement = %+v", a)
	}
	u, err := url.Parse(a.Action.RedirectURL)
	if err != nil {
		t.Fatal(err)
	}
	if u.RawQuery != a.Action.AppParams["sign_params"] {
		t.Fatal("sign_params differ from the redirect URL's query")
	}
	p := query(t, u.RawQuery)
	checkSigned(t, p)
	if p["method"] != methodAgreementSign || p["return_url"] != "https://shop.example/signed" || p["notify_url"] != "https://merchant.example/alipay/notify" {
		t.Fatalf("params = %v", p)
	}
	wantBiz := map[string]any{
		"personal_product_code": "GENERAL_WITHHOLDING_P", "product_code": "GENERAL_WITHHOLDING",
		"sign_scene": "DEFAULT|DEFAULT", "external_agreement_no": "agr1001", "external_logon_id": "Li Lei",
		"access_params": map[string]any{"channel": "ALIPAYAPP"},
	}
	if d := cmp.Diff(wantBiz, bizOf(t, p)); d != "" {
		t.Fatalf("page.sign biz_content (-want +got):\n%s", d)
	}

	_, err = c.QueryAgreement(ctx, "agr1001")
	wantErr(t, err, channel.ErrUnknownCharge)

	no := f.signAgreement("agr1001")
	got, err := c.QueryAgreement(ctx, "agr1001")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(channel.Agreement{AgreementID: "agr1001", ProviderID: no, Status: channel.AgreementSigned}, got); d != "" {
		t.Fatalf("signed agreement (-want +got):\n%s", d)
	}

	ch, err := c.CreateCharge(ctx, channel.ChargeRequest{ChargeID: "agr_debit_1", Scenario: channel.ScenarioAgreement, Amount: cny(15_00), AgreementID: no})
	if err != nil {
		t.Fatal(err)
	}
	if ch.Status != channel.StatusSucceeded {
		t.Fatalf("debit = %+v", ch)
	}
	biz := bizOf(t, f.requests(methodPay)[0])
	if biz["product_code"] != "GENERAL_WITHHOLDING" || cmp.Diff(map[string]any{"agreement_no": no}, biz["agreement_params"]) != "" {
		t.Fatalf("debit biz_content = %v", biz)
	}

	if err := c.TerminateAgreement(ctx, "agr1001", "user asked"); err != nil {
		t.Fatal(err)
	}
	if got, err := c.QueryAgreement(ctx, "agr1001"); err != nil || got.Status != channel.AgreementTerminated {
		t.Fatalf("after unsign = %+v, %v", got, err)
	}
	wantErr(t, c.TerminateAgreement(ctx, "agr1001", ""), channel.ErrUnknownCharge)
	_, err = c.CreateCharge(ctx, channel.ChargeRequest{ChargeID: "agr_debit_2", Scenario: channel.ScenarioAgreement, Amount: cny(15_00), AgreementID: no})
	wantErr(t, err, channel.ErrDeclined)
}

func TestAgreementSignScene(t *testing.T) {
	f := newFake(t)
	c := f.channel(t, WithSignScene("INDUSTRY|DIGITAL_MEDIA"))
	_, _ = c.QueryAgreement(context.Background(), "agr2")
	if got := bizOf(t, f.requests(methodAgreementQuery)[0])["sign_scene"]; got != "INDUSTRY|DIGITAL_MEDIA" {
		t.Fatalf("sign_scene = %v", got)
	}
}

func TestAgreementValidation(t *testing.T) {
	f := newFake(t)
	c := f.channel(t)
	ctx := context.Background()
	tests := []channel.AgreementRequest{
		{UserID: "u"},
		{AgreementID: "a-too-long-for-alipay-0123456789012", UserID: "u"},
		{AgreementID: "agr3"},
		{AgreementID: "agr3", UserID: "u", ReturnURL: "javascript:alert(1)"},
	}
	for _, req := range tests {
		_, err := c.SignAgreement(ctx, req)
		wantErr(t, err, channel.ErrMalformed)
	}
	_, err := c.QueryAgreement(ctx, "")
	wantErr(t, err, channel.ErrMalformed)
	wantErr(t, c.TerminateAgreement(ctx, "a b", ""), channel.ErrMalformed)
	if f.callCount() != 0 {
		t.Fatal("invalid agreement calls reached the gateway")
	}
}
