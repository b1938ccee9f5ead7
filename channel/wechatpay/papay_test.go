package wechatpay_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/channel/wechatpay"
)

func TestAgreementLifecycle(t *testing.T) {
	f := newFake()
	defer f.Close()
	ch := newTestChannel(t, f)
	ctx := context.Background()
	const code = "ct20260301user42"

	a, err := ch.SignAgreement(ctx, channel.AgreementRequest{AgreementID: code, UserID: "user42", DisplayName: "微信代扣用户A"})
	if err != nil {
		t.Fatalf("SignAgreement: %v", err)
	}
	want := channel.Agreement{AgreementID: code, Status: channel.AgreementPending,
		Action: channel.Action{RedirectURL: "https://payapp.weixin.qq.com/papay/readentrustwebtemplate?session_id=" + code}}
	if diff := cmp.Diff(want, a); diff != "" {
		t.Errorf("SignAgreement (-want +got):\n%s", diff)
	}
	wantBody := map[string]any{"appid": testAppID, "plan_id": float64(testPlanID), "out_contract_code": code,
		"contract_display_account": "微信代扣用户A", "contract_notify_url": testNotifyURL, "out_user_code": "user42"}
	if req := f.lastRequest(); req.uri != "/v3/papay/scheduled-deduct-sign/contracts/pre-entrust-sign/h5" || cmp.Diff(wantBody, req.body) != "" {
		t.Errorf("pre-sign request = %+v", req)
	}

	got, err := ch.QueryAgreement(ctx, code)
	if err != nil || got.Status != channel.AgreementPending {
		t.Fatalf("QueryAgreement before signing = %+v, %v", got, err)
	}
	// Unsigned, the contract has no contract_id yet; a debit naming the
	// out_contract_code instead is sent as it is and WeChat declines it.
	debit := channel.ChargeRequest{ChargeID: "papay_order_01", Scenario: channel.ScenarioAgreement, AgreementID: code, Amount: cny(1500), Description: "月度会员"}
	_, err = ch.CreateCharge(ctx, debit)
	wantErr(t, err, channel.ErrDeclined)
	if req := f.lastRequest(); req.uri != "/v3/papay/pay/transactions/apply" || req.body["contract_id"] != code {
		t.Errorf("unsigned debit request = %+v, want contract_id %q as given", req, code)
	}

	// The payer signs; WeChat says so in an ENTRUST.SIGN callback.
	n := f.userSigns(code)
	ev, err := ch.ParseCallback(n.request(f.currentSigner(), f.clock.Now()))
	if err != nil {
		t.Fatalf("ParseCallback(ENTRUST.SIGN): %v", err)
	}
	if ev.Type != channel.EventAgreementSigned || ev.AgreementID != code || ev.ProviderAgreementID == "" {
		t.Errorf("sign event = %+v", ev)
	}
	got, err = ch.QueryAgreement(ctx, code)
	if err != nil || got.Status != channel.AgreementSigned || got.ProviderID != ev.ProviderAgreementID {
		t.Fatalf("QueryAgreement after signing = %+v, %v", got, err)
	}
	if req := f.lastRequest(); req.uri != "/v3/papay/sign/contracts/plan-id/12535/out-contract-code/"+code {
		t.Errorf("query URI = %q", req.uri)
	}

	debit.AgreementID = got.ProviderID // debits name WeChat's contract_id
	c, err := ch.CreateCharge(ctx, debit)
	if err != nil {
		t.Fatalf("CreateCharge(agreement): %v", err)
	}
	if c.Status != channel.StatusPending || c.ChargeID != "papay_order_01" {
		t.Errorf("debit charge = %+v", c)
	}
	wantDebit := map[string]any{"appid": testAppID, "out_trade_no": "papay_order_01", "description": "月度会员",
		"transaction_notify_url": testNotifyURL, "contract_id": got.ProviderID,
		"amount": map[string]any{"total": float64(1500), "currency": "CNY"}}
	if req := f.lastRequest(); req.uri != "/v3/papay/pay/transactions/apply" || cmp.Diff(wantDebit, req.body) != "" {
		t.Errorf("debit request = %+v", req)
	}
	q, err := ch.QueryCharge(ctx, "papay_order_01")
	if err != nil || q.Status != channel.StatusPending {
		t.Fatalf("QueryCharge(accepted debit) = %+v, %v", q, err)
	}
	f.pay("papay_order_01")
	if q, err = ch.QueryCharge(ctx, "papay_order_01"); err != nil || q.Status != channel.StatusSucceeded {
		t.Fatalf("QueryCharge(debited) = %+v, %v", q, err)
	}

	if err := ch.TerminateAgreement(ctx, code, "用户取消自动续费"); err != nil {
		t.Fatalf("TerminateAgreement: %v", err)
	}
	if req := f.lastRequest(); req.body["contract_termination_remark"] != "用户取消自动续费" {
		t.Errorf("terminate body = %v", req.body)
	}
	if got, err = ch.QueryAgreement(ctx, code); err != nil || got.Status != channel.AgreementTerminated {
		t.Fatalf("QueryAgreement after terminating = %+v, %v", got, err)
	}
	debit.ChargeID = "papay_order_02"
	_, err = ch.CreateCharge(ctx, debit)
	wantErr(t, err, channel.ErrDeclined)
	wantErr(t, ch.TerminateAgreement(ctx, code, ""), channel.ErrDeclined)
	_, err = ch.QueryAgreement(ctx, "nosuchcontract")
	wantErr(t, err, channel.ErrUnknownCharge)
}

func TestAgreementsNeedAPlan(t *testing.T) {
	ch, err := wechatpay.New(testConfig(), wechatpay.WithPlatformCertificates(testKeys().certA))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, err = ch.SignAgreement(ctx, channel.AgreementRequest{AgreementID: "c1", UserID: "u"})
	wantErr(t, err, channel.ErrUnsupported)
	_, err = ch.QueryAgreement(ctx, "c1")
	wantErr(t, err, channel.ErrUnsupported)
	wantErr(t, ch.TerminateAgreement(ctx, "c1", ""), channel.ErrUnsupported)
	_, err = ch.CreateCharge(ctx, channel.ChargeRequest{ChargeID: "order_ag_01", Scenario: channel.ScenarioAgreement, AgreementID: "c1", Amount: cny(1)})
	wantErr(t, err, channel.ErrUnsupported)
}

func TestAgreementDebitServerErrorIsAmbiguous(t *testing.T) {
	f := newFake()
	defer f.Close()
	ch := newTestChannel(t, f)
	// The debit request may have been accepted (500 on every attempt): the
	// aggregator must not fail over.
	f.failNext(500, "SYSTEM_ERROR", 3)
	_, err := ch.CreateCharge(context.Background(), channel.ChargeRequest{ChargeID: "papay_order_09", Scenario: channel.ScenarioAgreement, AgreementID: "ct9", Amount: cny(1)})
	wantErr(t, err, channel.ErrOutcomeUnknown)
}
