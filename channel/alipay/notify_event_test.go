package alipay

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

func TestMapNotification(t *testing.T) {
	trade := func(kv ...string) map[string]string {
		m := map[string]string{"notify_type": "trade_status_sync", "out_trade_no": "m_order", "trade_no": "2026030122001499"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	charge := func(typ channel.EventType, fen int64) channel.Event {
		return channel.Event{Type: typ, ChargeID: "m_order", ProviderChargeID: "2026030122001499", Amount: cny(fen)}
	}
	// noAmount is an event of typ that reports no amount.
	noAmount := func(typ channel.EventType) channel.Event {
		ev := charge(typ, 0)
		ev.Amount = pay.Money{}
		return ev
	}
	refund := func(id string) channel.Event { // refund_fee is cumulative, so no Amount
		ev := noAmount(channel.EventRefundSucceeded)
		ev.RefundID = id
		return ev
	}
	tests := []struct {
		name string
		form map[string]string
		want channel.Event
		err  error
	}{
		{"paid", trade("trade_status", "TRADE_SUCCESS", "total_amount", "12.34"), charge(channel.EventChargeSucceeded, 1234), nil},
		{"finished", trade("trade_status", "TRADE_FINISHED", "total_amount", "100000.00"), charge(channel.EventChargeSucceeded, 100000_00), nil},
		{"closed unpaid", trade("trade_status", "TRADE_CLOSED", "total_amount", "0.01"), charge(channel.EventChargeClosed, 1), nil},
		{"closed, no amount", trade("trade_status", "TRADE_CLOSED"), noAmount(channel.EventChargeClosed), nil},
		{"partial refund", trade("trade_status", "TRADE_SUCCESS", "total_amount", "12.34", "out_biz_no", "rf_1", "refund_fee", "2.34", "gmt_refund", "2026-03-01 10:00:00.123"), refund("rf_1"), nil},
		{"full refund closes", trade("trade_status", "TRADE_CLOSED", "total_amount", "12.34", "out_biz_no", "rf_2", "refund_fee", "12.34"), refund("rf_2"), nil},
		{"refund_fee without out_biz_no is a close", trade("trade_status", "TRADE_CLOSED", "total_amount", "12.34", "refund_fee", "12.34"), charge(channel.EventChargeClosed, 1234), nil},
		{"signed", map[string]string{"notify_type": "dut_user_sign", "status": "NORMAL", "external_agreement_no": "agr1", "agreement_no": "20215607750930630440"},
			channel.Event{Type: channel.EventAgreementSigned, AgreementID: "agr1", ProviderAgreementID: "20215607750930630440"}, nil},
		{"unsigned", map[string]string{"notify_type": "dut_user_unsign", "status": "UNSIGN", "external_agreement_no": "agr1", "agreement_no": "20215607750930630440"},
			channel.Event{Type: channel.EventAgreementTerminated, AgreementID: "agr1", ProviderAgreementID: "20215607750930630440"}, nil},

		{"waiting", trade("trade_status", "WAIT_BUYER_PAY", "total_amount", "1.00"), channel.Event{}, channel.ErrUnsupported},
		{"unknown status", trade("trade_status", "TRADE_PENDING"), channel.Event{}, channel.ErrUnsupported},
		{"sign with other status", map[string]string{"notify_type": "dut_user_sign", "status": "TEMP", "external_agreement_no": "agr1", "agreement_no": "1"}, channel.Event{}, channel.ErrUnsupported},
		{"sign without numbers", map[string]string{"notify_type": "dut_user_sign", "status": "NORMAL"}, channel.Event{}, channel.ErrMalformed},
		{"no type", map[string]string{}, channel.Event{}, channel.ErrUnsupported},
		{"no order", trade("out_trade_no", "", "trade_status", "TRADE_SUCCESS", "total_amount", "1.00"), channel.Event{}, channel.ErrMalformed},
		{"paid without amount", trade("trade_status", "TRADE_SUCCESS"), channel.Event{}, channel.ErrMalformed},
		{"negative amount", trade("trade_status", "TRADE_SUCCESS", "total_amount", "-1.00"), channel.Event{}, channel.ErrMalformed},
		{"closed, bad amount", trade("trade_status", "TRADE_CLOSED", "total_amount", "1e3"), channel.Event{}, channel.ErrMalformed},
		{"three decimals", trade("trade_status", "TRADE_SUCCESS", "total_amount", "1.001"), channel.Event{}, channel.ErrMalformed},
		{"zero refund", trade("trade_status", "TRADE_SUCCESS", "out_biz_no", "rf", "refund_fee", "0.00"), channel.Event{}, channel.ErrMalformed},
		{"bad refund number", trade("trade_status", "TRADE_SUCCESS", "out_biz_no", "r f", "refund_fee", "1.00"), channel.Event{}, channel.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mapNotification(tt.form)
			if tt.err != nil {
				wantErr(t, err, tt.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Fatalf("event (-want +got):\n%s", d)
			}
		})
	}
}
