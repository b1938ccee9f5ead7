package alipay

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/channel"
)

func TestRefunds(t *testing.T) {
	f := newFake(t)
	c := f.channel(t)
	ctx := context.Background()
	ch, err := c.CreateCharge(ctx, channel.ChargeRequest{ChargeID: "r_order", Scenario: channel.ScenarioScanned, Amount: cny(100_00), AuthCode: "2800001"})
	if err != nil {
		t.Fatal(err)
	}
	refund := func(id string, fen int64) (channel.Refund, error) {
		return c.Refund(ctx, channel.RefundRequest{RefundID: id, ChargeID: "r_order", ProviderChargeID: ch.ProviderID, Amount: cny(fen), Reason: "退货"})
	}
	succeeded := func(id string, fen int64) channel.Refund {
		return channel.Refund{RefundID: id, ChargeID: "r_order", ProviderID: ch.ProviderID, Status: channel.RefundSucceeded, Amount: cny(fen)}
	}

	got, err := refund("r_1", 30_00)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(succeeded("r_1", 30_00), got); d != "" {
		t.Fatalf("partial refund (-want +got):\n%s", d)
	}
	biz := bizOf(t, f.requests(methodRefund)[0])
	if d := cmp.Diff(map[string]any{"out_trade_no": "r_order", "trade_no": ch.ProviderID, "refund_amount": "30.00", "out_request_no": "r_1", "refund_reason": "退货"}, biz); d != "" {
		t.Fatalf("refund biz_content (-want +got):\n%s", d)
	}

	// A repeat answers fund_change=N; the refund query confirms it.
	got, err = refund("r_1", 30_00)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(succeeded("r_1", 30_00), got); d != "" {
		t.Fatalf("repeated refund (-want +got):\n%s", d)
	}
	if n := len(f.requests(methodRefundQuery)); n != 1 {
		t.Fatalf("%d refund queries after fund_change=N, want 1", n)
	}
	_, err = refund("r_1", 31_00)
	wantErr(t, err, channel.ErrAmountMismatch)

	_, err = refund("r_2", 80_00)
	wantErr(t, err, channel.ErrDeclined)

	if got, err = refund("r_3", 70_00); err != nil || got.Status != channel.RefundSucceeded {
		t.Fatalf("refund of the rest = %+v, %v", got, err)
	}
	if q, err := c.QueryCharge(ctx, "r_order"); err != nil || q.Status != channel.StatusClosed {
		t.Fatalf("fully refunded trade = %+v, %v", q, err)
	}

	q, err := c.QueryRefund(ctx, "r_order", "r_3")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(succeeded("r_3", 70_00), q); d != "" {
		t.Fatalf("query refund (-want +got):\n%s", d)
	}
	_, err = c.QueryRefund(ctx, "r_order", "r_9")
	wantErr(t, err, channel.ErrUnknownCharge)
	_, err = c.QueryRefund(ctx, "r_none", "r_1")
	wantErr(t, err, channel.ErrUnknownCharge)

	_, err = c.Refund(ctx, channel.RefundRequest{RefundID: "r_x", ChargeID: "r_none", Amount: cny(1)})
	wantErr(t, err, channel.ErrUnknownCharge)
}

func TestRefundValidation(t *testing.T) {
	f := newFake(t)
	c := f.channel(t)
	ok := channel.RefundRequest{RefundID: "rv_1", ChargeID: "rv_order", Amount: cny(1)}
	tests := []struct {
		name   string
		modify func(*channel.RefundRequest)
		want   error
	}{
		{"no refund id", func(r *channel.RefundRequest) { r.RefundID = "" }, channel.ErrMalformed},
		{"no charge id", func(r *channel.RefundRequest) { r.ChargeID = "" }, channel.ErrMalformed},
		{"bad provider id", func(r *channel.RefundRequest) { r.ProviderChargeID = "a&b" }, channel.ErrMalformed},
		{"USD", func(r *channel.RefundRequest) { r.Amount.Currency = "USD" }, channel.ErrUnsupported},
		{"zero", func(r *channel.RefundRequest) { r.Amount.Amount = 0 }, channel.ErrMalformed},
		{"long reason", func(r *channel.RefundRequest) { r.Reason = string(make([]rune, 257)) }, channel.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := ok
			tt.modify(&req)
			_, err := c.Refund(context.Background(), req)
			wantErr(t, err, tt.want)
		})
	}
	_, err := c.QueryRefund(context.Background(), "rv_order", "")
	wantErr(t, err, channel.ErrMalformed)
	if f.callCount() != 0 {
		t.Fatal("invalid refunds reached the gateway")
	}
}

func TestRefundSystemErrorIsOutcomeUnknown(t *testing.T) {
	f := newFake(t)
	c := f.channel(t)
	f.payTrade("rs_order", 100)
	f.setFault(methodRefund, fault{code: codeBusiness, subCode: subSystemError, subMsg: "系统错误"})
	_, err := c.Refund(context.Background(), channel.RefundRequest{RefundID: "rs_1", ChargeID: "rs_order", Amount: cny(100)})
	wantErr(t, err, channel.ErrOutcomeUnknown)
}
