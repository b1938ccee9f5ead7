package alipay

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

var sentinels = []error{
	channel.ErrMalformed, channel.ErrBadSignature, channel.ErrStale, channel.ErrUnsupported,
	channel.ErrDuplicate, channel.ErrUnavailable,
}

// checkPayError fails unless err is a *pay.Error matching one of want.
func checkPayError(t *testing.T, err error, want ...error) {
	t.Helper()
	var pe *pay.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %T %v is not a *pay.Error", err, err)
	}
	for _, s := range want {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error %v matches none of the expected sentinels", err)
}

func FuzzParseCallback(f *testing.F) {
	k := testKeys()
	fake := &fakeAlipay{key: k.alipay, clock: clock.NewFake(testStart)}
	f.Add(formBody(fake.notification(paidNotice())))
	f.Add(formBody(fake.notification(map[string]string{"notify_type": "dut_user_sign", "status": "NORMAL", "external_agreement_no": "agr1", "agreement_no": "20215607750930630440"})))
	f.Add(formBody(fake.notification(map[string]string{"notify_type": "trade_status_sync", "trade_status": "TRADE_CLOSED", "out_trade_no": "o1", "out_biz_no": "r1", "refund_fee": "1.00"})))
	tampered := fake.notification(paidNotice())
	tampered["total_amount"] = "0.01"
	f.Add(formBody(tampered))
	for _, junk := range []string{"", "=", "&&&", "a=b", "%", "%zz", "a=1;b=2", "sign=&sign_type=RSA2", "sign=AAAA&sign_type=RSA2&app_id=" + testAppID, "sign_type=RSA2&sign_type=RSA2"} {
		f.Add(junk)
	}
	c, err := New(Config{AppID: testAppID, PrivateKey: k.app, AlipayPublicKey: &k.alipay.PublicKey}, WithClock(fake.clock))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		ev, err := c.ParseCallback(notifyRequest(body))
		if err != nil {
			checkPayError(t, err, sentinels...)
			return
		}
		// Accepted: the body must really be signed by Alipay for this app.
		v, perr := url.ParseQuery(body)
		if perr != nil {
			t.Fatalf("accepted a body that does not parse: %v", perr)
		}
		form := map[string]string{}
		for key, vs := range v {
			if len(vs) != 1 {
				t.Fatalf("accepted a repeated %q", key)
			}
			form[key] = vs[0]
		}
		if verifyRSA2(&k.alipay.PublicKey, []byte(notifySignContent(form)), form[paramSign]) != nil {
			t.Fatal("accepted a notification whose signature does not verify")
		}
		if (form["app_id"] != testAppID && form["app_id"] != "") || ev.ID != form["notify_id"] || ev.Channel != Name {
			t.Fatalf("accepted event %+v for form %v", ev, form)
		}
	})
}

func FuzzResponse(f *testing.F) {
	k := testKeys()
	signed := func(result string) string {
		sign, err := signRSA2(k.alipay, []byte(result))
		if err != nil {
			f.Fatal(err)
		}
		return `{"alipay_trade_query_response":` + result + `,"sign":"` + sign + `"}`
	}
	f.Add([]byte(signed(`{"code":"10000","msg":"Success","out_trade_no":"o1","trade_status":"TRADE_SUCCESS","total_amount":"1.00"}`)))
	f.Add([]byte(signed(`{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST","sub_msg":"交易不存在"}`)))
	f.Add([]byte(`{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature"}}`))
	f.Add([]byte(`{"alipay_trade_query_response":{"code":"10000"}}`))
	f.Add([]byte(`{"alipay_trade_query_response":{"code":"10000"},"sign":"AAAA"}`))
	f.Add([]byte(`{"alipay_trade_query_response":"ZW5jcnlwdGVk","sign":"AAAA"}`))
	f.Add([]byte(`{"alipay_trade_query_response":{},"alipay_trade_query_response":{}}`))
	f.Add([]byte(`<html>`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := verifyResponse(body, methodQuery, &k.alipay.PublicKey)
		if err != nil {
			checkPayError(t, err, channel.ErrMalformed, channel.ErrBadSignature)
			return
		}
		if r.code == "" || !bytes.Contains(body, r.raw) {
			t.Fatalf("accepted result %q with code %q", r.raw, r.code)
		}
		env, err := splitResponse(body, methodQuery)
		if err != nil || !bytes.Equal(env.body, r.raw) {
			t.Fatalf("verified bytes differ from the envelope's: %v", err)
		}
		if env.sign == "" {
			if !unsignedAllowed(r.code) || r.failure(call{method: methodQuery}) == nil {
				t.Fatalf("accepted an unsigned %q as success", r.code)
			}
		} else if verifyRSA2(&k.alipay.PublicKey, r.raw, env.sign) != nil {
			t.Fatal("accepted a result whose signature does not verify")
		}
	})
}

// FuzzMapNotification feeds arbitrary forms to the mapping that runs once a
// notification's signature has verified, which FuzzParseCallback cannot
// reach with forged bodies.
func FuzzMapNotification(f *testing.F) {
	for _, p := range []map[string]string{
		paidNotice(),
		{"notify_type": notifyTradeStatus, "trade_status": "TRADE_CLOSED", "out_trade_no": "o1"},
		{"notify_type": notifyTradeStatus, "trade_status": "TRADE_CLOSED", "out_trade_no": "o1", "total_amount": "1.00"},
		{"notify_type": notifyTradeStatus, "trade_status": "TRADE_SUCCESS", "out_trade_no": "o1", "trade_no": "t1", "total_amount": "5.00", "out_biz_no": "r1", "refund_fee": "2.00"},
		{"notify_type": notifySign, "status": "NORMAL", "external_agreement_no": "agr1", "agreement_no": "20215607750930630440"},
		{"notify_type": notifyUnsign, "status": "UNSIGN", "external_agreement_no": "agr1", "agreement_no": "20215607750930630440"},
		{"notify_type": notifyTradeStatus, "trade_status": "TRADE_SUCCESS", "out_trade_no": "o1", "total_amount": "-0.00"},
	} {
		f.Add(formBody(p))
	}
	f.Fuzz(func(t *testing.T, body string) {
		form, err := parseForm([]byte(body))
		if err != nil {
			return
		}
		ev, err := mapNotification(form)
		if err != nil {
			checkPayError(t, err, channel.ErrMalformed, channel.ErrUnsupported)
			return
		}
		switch ev.Type {
		case channel.EventAgreementSigned, channel.EventAgreementTerminated:
			if ev.AgreementID != form["external_agreement_no"] || ev.ProviderAgreementID != form["agreement_no"] || !isToken(ev.AgreementID) || !isToken(ev.ProviderAgreementID) {
				t.Fatalf("agreement event %+v from %v", ev, form)
			}
			return
		case channel.EventRefundSucceeded:
			// refund_fee is cumulative: a refund event carries no amount.
			if ev.RefundID != form["out_biz_no"] || !isToken(ev.RefundID) || ev.Amount != (pay.Money{}) {
				t.Fatalf("refund event %+v from %v", ev, form)
			}
		case channel.EventChargeSucceeded, channel.EventChargeClosed:
			if ev.Amount.Currency == "" && (ev.Type == channel.EventChargeSucceeded || form["total_amount"] != "") {
				t.Fatalf("event %+v dropped total_amount %q", ev, form["total_amount"])
			}
			if ev.Amount.Currency != "" && (ev.Amount.Currency != currency || ev.Amount.Amount < 0) {
				t.Fatalf("event amount %v", ev.Amount)
			}
		default:
			t.Fatalf("unexpected event type %q", ev.Type)
		}
		if ev.ChargeID != form["out_trade_no"] || !isToken(ev.ChargeID) || ev.ProviderChargeID != form["trade_no"] {
			t.Fatalf("trade event %+v from %v", ev, form)
		}
	})
}

// FuzzFromYuan checks that amounts from Alipay parse exactly or not at all,
// and that a refusal keeps the untrusted text short.
func FuzzFromYuan(f *testing.F) {
	for _, s := range []string{"0.01", "12.34", "100000000.00", "1", "1.5", "-1", "-0.00", "1e3", "1.234", "", " 1", "９", strings.Repeat("9", 30)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := fromYuan(s, "total_amount")
		if err != nil {
			checkPayError(t, err, channel.ErrMalformed)
			if len(err.Error()) > 1024 {
				t.Fatalf("error of %d bytes for %d bytes of input", len(err.Error()), len(s))
			}
			return
		}
		if m.Currency != currency || m.Amount < 0 || strings.HasPrefix(s, "-") {
			t.Fatalf("fromYuan(%q) = %v", s, m)
		}
		back, err := fromYuan(m.Decimal(), "total_amount")
		if err != nil || back != m {
			t.Fatalf("fromYuan(%q) = %v, which reads back as %v, %v", s, m, back, err)
		}
	})
}
