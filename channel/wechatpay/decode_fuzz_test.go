package wechatpay

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/channel/internal/httpx"
	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

// FuzzDecodeAnswers runs every decoder of provider bytes — orders, refunds,
// contracts, error bodies, callback envelopes, certificate lists, and the
// decrypted resources of every mapped callback type — on the same input. None may panic; every failure is a *pay.Error; and whatever
// decodes satisfies the invariants the channel relies on.
func FuzzDecodeAnswers(f *testing.F) {
	for _, s := range []string{
		`{"appid":"wx1","mchid":"1900000109","out_trade_no":"order_0001","transaction_id":"4200","trade_state":"SUCCESS","success_time":"2026-03-01T18:00:00+08:00","amount":{"total":100,"payer_total":100,"currency":"CNY"}}`,
		`{"out_trade_no":"order_0001","trade_state":"NOTPAY","amount":{"total":1}}`,
		`{"out_trade_no":"order_0001","trade_state":"WHAT"}`,
		`{"out_trade_no":"o","trade_state":"SUCCESS","amount":{"total":-1,"currency":"CNY"}}`,
		`{"refund_id":"50300","out_refund_no":"r1","out_trade_no":"order_0001","status":"PROCESSING","amount":{"refund":1,"total":2,"currency":"CNY"}}`,
		`{"out_contract_code":"ct1","contract_id":"Wx1","contract_state":"SIGNED"}`,
		`{"mchid":"1900000109","out_contract_code":"ct1","contract_id":"Wx1","contract_state":"TERMINATED"}`,
		`{"mchid":"1900000109","out_trade_no":"order_0001","out_refund_no":"r1","refund_id":"50","refund_status":"SUCCESS","amount":{"total":2,"refund":1}}`,
		`{"mchid":"1900000109","out_trade_no":"order_0001","out_refund_no":"r1","refund_status":"ABNORMAL","amount":{"total":2,"refund":-1}}`,
		`{"code":"ORDER_NOT_EXIST","message":"订单不存在"}`,
		`{"id":"EV-1","create_time":"2026-03-01T18:00:00+08:00","event_type":"TRANSACTION.SUCCESS","resource_type":"encrypt-resource","summary":"x","resource":{"algorithm":"AEAD_AES_256_GCM","ciphertext":"AAAAAAAAAAAAAAAAAAAAAA==","nonce":"123456789012","associated_data":"transaction","original_type":"transaction"}}`,
		`{"data":[{"serial_no":"AB","effective_time":"","expire_time":"","encrypt_certificate":{"algorithm":"AEAD_AES_256_GCM","nonce":"123456789012","associated_data":"certificate","ciphertext":"AAAAAAAAAAAAAAAAAAAAAA=="}}]}`,
		`{} {}`,
		`null`,
		``,
		"\xff",
	} {
		f.Add([]byte(s))
	}
	c := &Channel{
		cfg:   Config{MchID: "1900000109"},
		gcm:   newGCM([]byte("a7cde1ZQBvLm3kP9sT2uW4xY6zR8nE0f")),
		clock: clock.NewFake(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)),
	}
	isPayErr := func(t *testing.T, what string, err error) {
		t.Helper()
		var pe *pay.Error
		if !errors.As(err, &pe) {
			t.Fatalf("%s: error %T %v is not a *pay.Error", what, err, err)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if ch, err := decodeTransaction(body); err != nil {
			isPayErr(t, "transaction", err)
		} else if !validOrderNo(ch.ChargeID, 1, 32) || ch.Amount.Amount < 0 || (ch.Amount.Currency != "" && ch.Amount.Currency != "CNY") {
			t.Fatalf("decoded charge %+v", ch)
		}
		if r, err := decodeRefund(body); err != nil {
			isPayErr(t, "refund", err)
		} else if r.RefundID == "" || r.Status == "" || r.Amount.Amount < 0 {
			t.Fatalf("decoded refund %+v", r)
		}
		if a, err := decodeContract(body); err != nil {
			isPayErr(t, "contract", err)
		} else if !validToken(a.AgreementID, 1, 32) || a.Status == "" {
			t.Fatalf("decoded agreement %+v", a)
		}
		for _, status := range []int{400, 401, 403, 404} {
			err := providerError("fuzz", httpx.Response{Status: status, Header: http.Header{}, Body: body})
			isPayErr(t, "provider error", err)
			n := 0
			for _, s := range []error{channel.ErrDeclined, channel.ErrUnavailable, channel.ErrUnknownCharge} {
				if errors.Is(err, s) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("provider error %v matches %d sentinels", err, n)
			}
		}
		if n, err := parseEnvelope(body); err != nil {
			isPayErr(t, "envelope", err)
		} else {
			if n.ID == "" || n.EventType == "" || n.ResourceType != ResourceTypeEncrypted || n.CreateTime.IsZero() {
				t.Fatalf("parsed envelope %+v", n)
			}
			if _, err := openResource(c.gcm, n.Resource); err != nil {
				isPayErr(t, "resource", err)
			}
		}
		for _, typ := range []string{EventTransactionSuccess, EventRefundSuccess, EventRefundAbnormal, EventRefundClosed, EventEntrustSign, EventEntrustTerminate} {
			ev, err := c.event(Notification{ID: "EV-1", EventType: typ, Plaintext: body})
			if err != nil {
				isPayErr(t, typ, err)
				continue
			}
			switch {
			case ev.ID != "EV-1" || ev.Type == "":
				t.Fatalf("%s: event %+v", typ, ev)
			case ev.AgreementID == "" && (!validOrderNo(ev.ChargeID, 1, 32) || ev.Amount.Amount < 0 || ev.Amount.Currency != "CNY"):
				t.Fatalf("%s: charge or refund event %+v", typ, ev)
			case ev.AgreementID != "" && !validToken(ev.AgreementID, 1, 32):
				t.Fatalf("%s: agreement event %+v", typ, ev)
			}
		}
		if certs, err := c.decodeCertificates(body); err != nil {
			isPayErr(t, "certificates", err)
		} else if len(certs) > maxCertificates {
			t.Fatalf("%d certificates", len(certs))
		}
	})
}
