package alipay

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/paykit-go/paykit/channel"
)

// TestGatewayAnswers drives a read (trade.query) and a state-changing call
// (trade.pay) through faulty answers and checks the failover contract.
func TestGatewayAnswers(t *testing.T) {
	tests := []struct {
		name      string
		fault     fault
		query     error // want for alipay.trade.query
		pay       error // want for alipay.trade.pay
		wantCalls int   // requests per call, when retried
	}{
		{"signature by another key", fault{badSign: true}, channel.ErrBadSignature, channel.ErrBadSignature, 1},
		{"result reformatted after signing", fault{reformat: true}, channel.ErrBadSignature, channel.ErrBadSignature, 1},
		{"unsigned success", fault{unsigned: true}, channel.ErrBadSignature, channel.ErrBadSignature, 1},
		{"answer about another trade", fault{otherTrade: true}, channel.ErrBadSignature, channel.ErrBadSignature, 1},
		{"unsigned invalid arguments", fault{code: codeInvalid, subCode: "isv.invalid-app-id", unsigned: true}, channel.ErrUnavailable, channel.ErrUnavailable, 1},
		{"unsigned service unavailable", fault{code: codeUnavailable, subCode: "isp.unknow-error", unsigned: true}, channel.ErrUnavailable, channel.ErrOutcomeUnknown, 1},
		{"signed service unavailable", fault{code: codeUnavailable, subCode: "aop.ACQ.SYSTEM_ERROR"}, channel.ErrUnavailable, channel.ErrOutcomeUnknown, 1},
		{"insufficient permissions", fault{code: codePermission, subCode: "isv.insufficient-isv-permissions"}, channel.ErrUnavailable, channel.ErrUnavailable, 1},
		{"business system error", fault{code: codeBusiness, subCode: subSystemError}, channel.ErrUnavailable, channel.ErrOutcomeUnknown, 1},
		{"unsigned business failure", fault{code: codeBusiness, subCode: "ACQ.TRADE_NOT_EXIST", unsigned: true}, channel.ErrBadSignature, channel.ErrBadSignature, 1},
		{"unknown code", fault{code: "99999"}, channel.ErrUnavailable, channel.ErrOutcomeUnknown, 1},
		{"HTML page", fault{raw: "<html><body>502 Bad Gateway</body></html>"}, channel.ErrMalformed, channel.ErrOutcomeUnknown, 1},
		{"torn answer", fault{raw: `{"alipay_trade_pay_response":{"code":"10000","msg":"Succ`}, channel.ErrMalformed, channel.ErrOutcomeUnknown, 1},
		{"HTTP 400", fault{httpStatus: http.StatusBadRequest}, channel.ErrUnavailable, channel.ErrOutcomeUnknown, 1},
		{"HTTP 500, retried", fault{httpStatus: http.StatusInternalServerError}, channel.ErrOutcomeUnknown, channel.ErrOutcomeUnknown, 2},
		{"HTTP 503, retried", fault{httpStatus: http.StatusServiceUnavailable}, channel.ErrUnavailable, channel.ErrUnavailable, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			c := f.channel(t)
			ctx := context.Background()
			f.payTrade("g_order", 100)
			f.setFault(methodQuery, tt.fault)
			f.setFault(methodPay, tt.fault)

			_, err := c.QueryCharge(ctx, "g_order")
			wantErr(t, err, tt.query)
			_, err = c.CreateCharge(ctx, channel.ChargeRequest{ChargeID: "g_new", Scenario: channel.ScenarioScanned, Amount: cny(100), AuthCode: "28123"})
			wantErr(t, err, tt.pay)
			if n := len(f.requests(methodPay)); n != tt.wantCalls {
				t.Errorf("%d pay attempts, want %d", n, tt.wantCalls)
			}
		})
	}
}

func TestRetriedAttemptsAreSignedAfresh(t *testing.T) {
	f := newFake(t)
	c := f.channel(t)
	f.setFault(methodQuery, fault{httpStatus: http.StatusBadGateway})
	_, _ = c.QueryCharge(context.Background(), "g_order")
	reqs := f.requests(methodQuery)
	if len(reqs) != 2 {
		t.Fatalf("%d attempts", len(reqs))
	}
	for _, p := range reqs {
		checkSigned(t, p)
	}
}

func TestWrongAppKeyIsRefusedBeforeActing(t *testing.T) {
	f := newFake(t)
	k := testKeys()
	c, err := New(Config{AppID: testAppID, PrivateKey: k.other, AlipayPublicKey: &k.alipay.PublicKey},
		WithBaseURL(f.srv.URL), WithHTTPClient(f.srv.Client()), WithClock(f.clock))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateCharge(context.Background(), channel.ChargeRequest{ChargeID: "w_order", Scenario: channel.ScenarioQR, Amount: cny(1)})
	wantErr(t, err, channel.ErrUnavailable)
	if !strings.Contains(err.Error(), "isv.invalid-signature") {
		t.Fatalf("error %q does not say why", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.trades) != 0 {
		t.Fatal("the fake acted on a badly signed request")
	}
}

// TestTamperedRequestRejected alters one signed parameter in transit.
func TestTamperedRequestRejected(t *testing.T) {
	f := newFake(t)
	c := f.channel(t)
	p, err := c.signedParams(call{method: methodPrecreate, biz: nil}, `{"out_trade_no":"t_order","total_amount":"0.01","subject":"x"}`)
	if err != nil {
		t.Fatal(err)
	}
	post := func(p map[string]string) string {
		resp, err := f.srv.Client().Post(f.srv.URL, "application/x-www-form-urlencoded", strings.NewReader(encodeParams(p)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	tampered := map[string]string{}
	for k, v := range p {
		tampered[k] = v
	}
	tampered["biz_content"] = strings.Replace(p["biz_content"], "0.01", "0.02", 1)
	if got := post(tampered); !strings.Contains(got, `"sub_code":"isv.invalid-signature"`) {
		t.Fatalf("tampered request answered %s", got)
	}
	if got := post(p); !strings.Contains(got, `"code":"10000"`) {
		t.Fatalf("untampered request answered %s", got)
	}
}

func TestUnreachableGatewayIsUnavailable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close()
	k := testKeys()
	c, err := New(Config{AppID: testAppID, PrivateKey: k.app, AlipayPublicKey: &k.alipay.PublicKey}, WithBaseURL(addr))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateCharge(context.Background(), channel.ChargeRequest{ChargeID: "u_order", Scenario: channel.ScenarioQR, Amount: cny(1)})
	wantErr(t, err, channel.ErrUnavailable)
}

// TestVerifyResponseKeepsExactBytes signs a result whose bytes a
// re-encoder would change (member order, escapes, non-ASCII text) and
// checks that it verifies as sent and fails once re-encoded.
func TestVerifyResponseKeepsExactBytes(t *testing.T) {
	k := testKeys()
	result := `{"code":"10000","msg":"Success","subject":"茶 \u0026 \u003ccake\u003e","out_trade_no":"x_1","a":"\/"}`
	sign, err := signRSA2(k.alipay, []byte(result))
	if err != nil {
		t.Fatal(err)
	}
	body := `{"alipay_trade_query_response":` + result + `,"sign":"` + sign + `"}`
	r, err := verifyResponse([]byte(body), methodQuery, &k.alipay.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if string(r.raw) != result || r.code != codeSuccess {
		t.Fatalf("raw = %s, code %q", r.raw, r.code)
	}
	var m map[string]string
	_ = json.Unmarshal([]byte(result), &m)
	reencoded, _ := json.Marshal(m)
	body = `{"alipay_trade_query_response":` + string(reencoded) + `,"sign":"` + sign + `"}`
	_, err = verifyResponse([]byte(body), methodQuery, &k.alipay.PublicKey)
	wantErr(t, err, channel.ErrBadSignature)
}

func TestSplitResponse(t *testing.T) {
	const m = "alipay.trade.query"
	tests := []struct {
		name, body, want string
		err              bool
	}{
		{"result and sign", `{"alipay_trade_query_response":{"code":"10000"},"sign":"c2ln"}`, `{"code":"10000"}`, false},
		{"sign first, spaces", `{ "sign" : "c2ln" , "alipay_trade_query_response" : {"code" : "10000"} }`, `{"code" : "10000"}`, false},
		{"cert sn ignored", `{"alipay_trade_query_response":{"code":"10000"},"alipay_cert_sn":"abc","sign":"c2ln"}`, `{"code":"10000"}`, false},
		{"error_response", `{"error_response":{"code":"40002"}}`, `{"code":"40002"}`, false},
		{"other method", `{"alipay_trade_pay_response":{"code":"10000"},"sign":"c2ln"}`, "", true},
		{"both", `{"alipay_trade_query_response":{},"error_response":{}}`, "", true},
		{"repeated result", `{"alipay_trade_query_response":{"code":"1"},"alipay_trade_query_response":{"code":"2"}}`, "", true},
		{"repeated sign", `{"alipay_trade_query_response":{},"sign":"a","sign":"b"}`, "", true},
		{"encrypted string", `{"alipay_trade_query_response":"AAAA","sign":"c2ln"}`, "", true},
		{"sign not a string", `{"alipay_trade_query_response":{},"sign":1}`, "", true},
		{"trailing data", `{"alipay_trade_query_response":{}}{}`, "", true},
		{"array", `[]`, "", true},
		{"truncated", `{"alipay_trade_query_response":{"code":"10`, "", true},
		{"empty", ``, "", true},
		{"html", `<html>502</html>`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := splitResponse([]byte(tt.body), m)
			if tt.err {
				wantErr(t, err, channel.ErrMalformed)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(env.body) != tt.want {
				t.Fatalf("body = %q, want %q", env.body, tt.want)
			}
		})
	}
}

func TestBusinessFailureMessageIsSafe(t *testing.T) {
	r := reply{code: codeBusiness, msg: "Business Failed", subCode: "ACQ.TRADE_STATUS_ERROR", subMsg: "交易状态不合法\n" + strings.Repeat("x", 100)}
	err := r.failure(call{method: methodClose, mutating: true})
	wantErr(t, err, channel.ErrDeclined)
	if strings.Contains(err.Error(), "\n") || len(err.Error()) > 300 {
		t.Fatalf("message not clipped: %q", err)
	}
	if errors.Is(err, channel.ErrUnavailable) {
		t.Fatal("a decline must not invite failover")
	}
}
