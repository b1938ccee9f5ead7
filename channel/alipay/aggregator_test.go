package alipay

import (
	"context"
	"testing"

	"github.com/paykit-go/paykit/channel"
)

// newAggregator returns an aggregator with a Channel against the fake
// registered.
func newAggregator(t *testing.T) (*fakeAlipay, *Channel, *channel.Aggregator) {
	t.Helper()
	f := newFake(t)
	c := f.channel(t)
	agg, err := channel.New()
	if err != nil {
		t.Fatal(err)
	}
	if err := agg.Register(c); err != nil {
		t.Fatal(err)
	}
	return f, c, agg
}

// deliver signs a notification with the fake, parses it with c and applies
// the event to agg, as HandleCallback does.
func deliver(t *testing.T, f *fakeAlipay, c *Channel, agg *channel.Aggregator, params map[string]string) error {
	t.Helper()
	ev, err := c.ParseCallback(notifyRequest(formBody(f.notification(params))))
	if err != nil {
		t.Fatalf("ParseCallback: %v", err)
	}
	return agg.ApplyEvent(context.Background(), ev)
}

// TestAggregatorClosesWithoutTotalAmount: total_amount is optional in
// Alipay's notifications. A TRADE_CLOSED without it must not be reported as
// an amount of 0.00 CNY, which the aggregator would refuse as a mismatch
// (and Alipay would re-send for 25 hours).
func TestAggregatorClosesWithoutTotalAmount(t *testing.T) {
	f, c, agg := newAggregator(t)
	ctx := context.Background()
	p, err := agg.CreatePayment(ctx, channel.PaymentRequest{MerchantID: "m1", Channel: Name, Scenario: channel.ScenarioQR, Amount: cny(12_34)})
	if err != nil {
		t.Fatal(err)
	}
	err = deliver(t, f, c, agg, map[string]string{"notify_type": notifyTradeStatus, "trade_status": "TRADE_CLOSED", "out_trade_no": p.ID})
	if err != nil {
		t.Fatalf("TRADE_CLOSED without total_amount: %v", err)
	}
	if p, err = agg.Payment(ctx, p.ID); err != nil || p.Status != channel.StatusClosed {
		t.Fatalf("payment after the close = %s, %v", p.Status, err)
	}
}

// TestAggregatorAppliesPartialRefundNotifications: refund_fee is the total
// refunded so far, so the second partial refund's notification carries more
// than that refund; it must still be applied.
func TestAggregatorAppliesPartialRefundNotifications(t *testing.T) {
	f, c, agg := newAggregator(t)
	ctx := context.Background()
	p, err := agg.CreatePayment(ctx, channel.PaymentRequest{MerchantID: "m1", Channel: Name, Scenario: channel.ScenarioScanned, AuthCode: "2800001", Amount: cny(100_00)})
	if err != nil || p.Status != channel.StatusSucceeded {
		t.Fatalf("payment = %s, %v", p.Status, err)
	}
	total := int64(0)
	for i, amount := range []int64{30_00, 20_00} {
		if p, err = agg.Refund(ctx, p.ID, channel.RefundParams{Amount: cny(amount)}); err != nil {
			t.Fatal(err)
		}
		total += amount
		r := p.Refunds[i]
		err := deliver(t, f, c, agg, map[string]string{
			"notify_type": notifyTradeStatus, "trade_status": "TRADE_SUCCESS", "out_trade_no": p.ID,
			"total_amount": "100.00", "out_biz_no": r.ID, "refund_fee": fen(total),
		})
		if err != nil {
			t.Fatalf("notification of refund %d (refund_fee %s): %v", i+1, fen(total), err)
		}
	}
}
