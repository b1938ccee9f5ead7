package wechatpay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/channel/wechatpay"
	"github.com/paykit-go/paykit/pay"
)

func TestParseCallbackRoundTrip(t *testing.T) {
	f := newFake()
	defer f.Close()
	ch := newTestChannel(t, f)
	created := time.Date(2026, 3, 1, 17, 59, 30, 0, time.FixedZone("CST", 8*3600))
	tests := []struct {
		name string
		n    notification
		want channel.Event
	}{{
		name: "TRANSACTION.SUCCESS",
		n:    notification{id: "EV-2018022511223320873", eventType: "TRANSACTION.SUCCESS", originalType: "transaction", summary: "支付成功", resource: transactionResource("order_cb_0001", "4200000985202103031441826014", 1234)},
		want: channel.Event{ID: "EV-2018022511223320873", Type: channel.EventChargeSucceeded, ChargeID: "order_cb_0001", ProviderChargeID: "4200000985202103031441826014", Amount: cny(1234)},
	}, {
		name: "REFUND.SUCCESS",
		n:    notification{id: "EV-r1", eventType: "REFUND.SUCCESS", originalType: "refund", summary: "退款成功", resource: refundResource("order_cb_0001", "refund_cb_1", "SUCCESS", 234, 1234)},
		want: channel.Event{ID: "EV-r1", Type: channel.EventRefundSucceeded, ChargeID: "order_cb_0001", ProviderChargeID: "4200000000order_cb_0001", RefundID: "refund_cb_1", Amount: cny(234)},
	}, {
		name: "REFUND.ABNORMAL",
		n:    notification{id: "EV-r2", eventType: "REFUND.ABNORMAL", originalType: "refund", summary: "退款异常", resource: refundResource("order_cb_0001", "refund_cb_2", "ABNORMAL", 100, 1234)},
		want: channel.Event{ID: "EV-r2", Type: channel.EventRefundFailed, ChargeID: "order_cb_0001", ProviderChargeID: "4200000000order_cb_0001", RefundID: "refund_cb_2", Amount: cny(100), Reason: "refund ABNORMAL"},
	}, {
		name: "REFUND.CLOSED",
		n:    notification{id: "EV-r3", eventType: "REFUND.CLOSED", originalType: "refund", summary: "退款关闭", resource: refundResource("order_cb_0001", "refund_cb_3", "CLOSED", 100, 1234)},
		want: channel.Event{ID: "EV-r3", Type: channel.EventRefundFailed, ChargeID: "order_cb_0001", ProviderChargeID: "4200000000order_cb_0001", RefundID: "refund_cb_3", Amount: cny(100), Reason: "refund CLOSED"},
	}, {
		name: "ENTRUST.SIGN",
		n:    notification{id: "EV-c1", eventType: "ENTRUST.SIGN", originalType: "entrust", summary: "委托代扣签约通知", resource: contractResource("ct0001", "Wx1546351125", "SIGNED")},
		want: channel.Event{ID: "EV-c1", Type: channel.EventAgreementSigned, AgreementID: "ct0001", ProviderAgreementID: "Wx1546351125"},
	}, {
		name: "ENTRUST.TERMINATE",
		n:    notification{id: "EV-c2", eventType: "ENTRUST.TERMINATE", originalType: "entrust", summary: "委托代扣解约通知", resource: contractResource("ct0001", "Wx1546351125", "TERMINATED")},
		want: channel.Event{ID: "EV-c2", Type: channel.EventAgreementTerminated, AgreementID: "ct0001", ProviderAgreementID: "Wx1546351125"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.n.created = created
			tt.want.Channel = "wechatpay"
			tt.want.Created = created
			got, err := ch.ParseCallback(tt.n.request(f.currentSigner(), f.clock.Now()))
			if err != nil {
				t.Fatalf("ParseCallback: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseCallbackRejects(t *testing.T) {
	f := newFake()
	defer f.Close()
	ch := newTestChannel(t, f)
	signer := f.currentSigner()
	now := f.clock.Now()
	paid := notification{eventType: "TRANSACTION.SUCCESS", originalType: "transaction", summary: "支付成功", resource: transactionResource("order_cb_0002", "4200000985202103031441826015", 500)}
	good := func() (http.Header, []byte) { return paid.build(signer, now) }
	resign := func(body []byte) (http.Header, []byte) { return signer.signHeaders(now, body), body }
	tests := []struct {
		name  string
		build func() (http.Header, []byte)
		want  error
	}{
		{"tampered body", func() (http.Header, []byte) {
			h, b := good()
			return h, bytes.Replace(b, []byte(`"summary":"支付成功"`), []byte(`"summary":"支付失败"`), 1)
		}, channel.ErrBadSignature},
		{"unknown serial", func() (http.Header, []byte) {
			h, b := good()
			h.Set("Wechatpay-Serial", "0123456789ABCDEF")
			return h, b
		}, channel.ErrBadSignature},
		{"signed by another key under the right serial", func() (http.Header, []byte) {
			return paid.build(platformSigner{key: testKeys().platformB, serial: signer.serial}, now)
		}, channel.ErrBadSignature},
		{"WeChat's signature probe", func() (http.Header, []byte) {
			h, b := good()
			h.Set("Wechatpay-Signature", "WECHATPAY/SIGNTEST/"+h.Get("Wechatpay-Signature")[19:])
			return h, b
		}, channel.ErrBadSignature},
		{"no signature", func() (http.Header, []byte) {
			h, b := good()
			h.Del("Wechatpay-Signature")
			return h, b
		}, channel.ErrBadSignature},
		{"two timestamps", func() (http.Header, []byte) {
			h, b := good()
			h.Add("Wechatpay-Timestamp", "1")
			return h, b
		}, channel.ErrBadSignature},
		{"stale by 301s", func() (http.Header, []byte) { return paid.build(signer, now.Add(-301*time.Second)) }, channel.ErrStale},
		{"from the future", func() (http.Header, []byte) { return paid.build(signer, now.Add(301*time.Second)) }, channel.ErrStale},
		{"wrong APIv3 key", func() (http.Header, []byte) {
			n := paid
			n.apiV3Key = strings.Repeat("k", 32)
			return n.build(signer, now)
		}, channel.ErrBadSignature},
		{"unknown envelope field", func() (http.Header, []byte) {
			_, b := good()
			return resign(bytes.Replace(b, []byte(`{"create_time"`), []byte(`{"extra":1,"create_time"`), 1))
		}, channel.ErrMalformed},
		{"trailing data", func() (http.Header, []byte) {
			_, b := good()
			return resign(append(b, []byte(" {}")...))
		}, channel.ErrMalformed},
		{"not JSON", func() (http.Header, []byte) { return resign([]byte("success")) }, channel.ErrMalformed},
		{"plain resource type", func() (http.Header, []byte) {
			_, b := good()
			return resign(bytes.Replace(b, []byte(`"encrypt-resource"`), []byte(`"plain"`), 1))
		}, channel.ErrMalformed},
		{"another merchant", func() (http.Header, []byte) {
			res := transactionResource("order_cb_0003", "42", 1)
			res["mchid"] = "1230000109"
			n := paid
			n.resource = res
			return n.build(signer, now)
		}, channel.ErrMalformed},
		{"success without SUCCESS", func() (http.Header, []byte) {
			res := transactionResource("order_cb_0003", "42", 1)
			res["trade_state"] = "NOTPAY"
			n := paid
			n.resource = res
			return n.build(signer, now)
		}, channel.ErrMalformed},
		{"foreign currency", func() (http.Header, []byte) {
			res := transactionResource("order_cb_0003", "42", 1)
			res["amount"] = map[string]any{"total": 1, "currency": "USD"}
			n := paid
			n.resource = res
			return n.build(signer, now)
		}, channel.ErrMalformed},
		{"refund status disagrees", func() (http.Header, []byte) {
			n := notification{eventType: "REFUND.SUCCESS", originalType: "refund", resource: refundResource("order_cb_0003", "r1", "CLOSED", 1, 1)}
			return n.build(signer, now)
		}, channel.ErrMalformed},
		{"contract of another merchant", func() (http.Header, []byte) {
			res := contractResource("ct0009", "Wx9", "SIGNED")
			res["mchid"] = "1230000109"
			n := notification{eventType: "ENTRUST.SIGN", originalType: "entrust", resource: res}
			return n.build(signer, now)
		}, channel.ErrMalformed},
		{"unmapped event type", func() (http.Header, []byte) {
			n := notification{eventType: "MCHTRANSFER.BILL.FINISHED", originalType: "mch_payment", resource: map[string]any{"out_bill_no": "x"}}
			return n.build(signer, now)
		}, channel.ErrUnsupported},
		{"oversized body", func() (http.Header, []byte) {
			return resign(append([]byte(`{"id":"`), bytes.Repeat([]byte("a"), wechatpay.MaxCallbackBytes)...))
		}, channel.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, b := tt.build()
			_, err := ch.ParseCallback(callbackRequest(h, b))
			wantErr(t, err, tt.want)
		})
	}
	t.Run("GET", func(t *testing.T) {
		h, b := good()
		r := callbackRequest(h, b)
		r.Method = http.MethodGet
		_, err := ch.ParseCallback(r)
		wantErr(t, err, channel.ErrMalformed)
	})
	t.Run("replay within the window is the caller's to de-duplicate", func(t *testing.T) {
		h, b := good()
		first, err1 := ch.ParseCallback(callbackRequest(h, b))
		second, err2 := ch.ParseCallback(callbackRequest(h, b))
		if err1 != nil || err2 != nil || first.ID != second.ID || first.ID == "" {
			t.Fatalf("replayed callback: %v %v %q %q", err1, err2, first.ID, second.ID)
		}
	})
}

func TestAcknowledge(t *testing.T) {
	f := newFake()
	defer f.Close()
	ch := newTestChannel(t, f)
	tests := []struct {
		err        error
		wantStatus int
		wantMsg    string
	}{
		{nil, 200, ""},
		{channel.Errorf(channel.ErrDuplicate, "", "seen"), 200, ""},
		{channel.Errorf(channel.ErrBadSignature, "", "bad "+testAPIv3Key), 400, "signature verification failed"},
		{channel.Errorf(channel.ErrStale, "", "old"), 400, "timestamp outside the accepted window"},
		{channel.Errorf(channel.ErrMalformed, "", "junk"), 400, "malformed notification"},
		{channel.Errorf(channel.ErrUnsupported, "", "what"), 400, "unsupported event type"},
		{channel.Errorf(channel.ErrUnknownCharge, "", "who"), 500, "temporary failure, retry later"},
		{errors.New("database down"), 500, "temporary failure, retry later"},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		ch.Acknowledge(w, tt.err)
		if w.Code != tt.wantStatus {
			t.Errorf("Acknowledge(%v) status = %d, want %d", tt.err, w.Code, tt.wantStatus)
		}
		if tt.wantMsg == "" {
			if w.Body.Len() != 0 {
				t.Errorf("Acknowledge(%v) body = %q, want empty", tt.err, w.Body)
			}
			continue
		}
		var got map[string]string
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatalf("body %q: %v", w.Body, err)
		}
		if diff := cmp.Diff(map[string]string{"code": "FAIL", "message": tt.wantMsg}, got); diff != "" {
			t.Errorf("Acknowledge(%v) body (-want +got):\n%s", tt.err, diff)
		}
		noSecrets(t, w.Body.String())
	}
}

// TestCallbackOverHTTP has the fake post callbacks to a merchant endpoint
// that parses and acknowledges them.
func TestCallbackOverHTTP(t *testing.T) {
	f := newFake()
	defer f.Close()
	ch := newTestChannel(t, f)
	events := make(chan channel.Event, 4)
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ev, err := ch.ParseCallback(r)
		if err == nil {
			events <- ev
		}
		ch.Acknowledge(w, err)
	}))
	defer merchant.Close()

	if _, err := ch.CreateCharge(context.Background(), qrCharge("order_http_01")); err != nil {
		t.Fatal(err)
	}
	resp, body, err := f.post(merchant.URL, f.pay("order_http_01"))
	if err != nil || resp.StatusCode != http.StatusOK || len(body) != 0 {
		t.Fatalf("delivery: %v %v %q", resp, err, body)
	}
	ev := <-events
	if ev.Type != channel.EventChargeSucceeded || ev.ChargeID != "order_http_01" || ev.Amount != cny(10000) {
		t.Errorf("event = %+v", ev)
	}

	// A callback signed by a stranger is refused with a FAIL body.
	stranger := notification{eventType: "TRANSACTION.SUCCESS", originalType: "transaction", resource: transactionResource("order_http_01", "x", 1)}
	h, b := stranger.build(platformSigner{key: testKeys().merchant, serial: "0123ABCD"}, f.clock.Now())
	req, _ := http.NewRequest(http.MethodPost, merchant.URL, bytes.NewReader(b))
	req.Header = h
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var fail map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&fail)
	if resp.StatusCode != http.StatusBadRequest || fail["code"] != "FAIL" {
		t.Errorf("forged delivery answered %d %v", resp.StatusCode, fail)
	}
	var pe *pay.Error
	_, err = ch.ParseCallback(callbackRequest(h, b))
	if !errors.As(err, &pe) {
		t.Errorf("err %v is not a *pay.Error", err)
	}
}
