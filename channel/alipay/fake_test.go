package alipay

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

// fakeAlipay is a local Alipay OpenAPI gateway. It verifies each request's
// RSA2 signature with the application's public key, dispatches on method,
// keeps trades, refunds and agreements, and signs its answers with Alipay's
// private key over the exact result bytes, whose members it writes code and
// msg first as Alipay does (not sorted), so that a client that re-encodes
// the JSON fails to verify. It also signs notifications for a notify URL.
type fakeAlipay struct {
	srv    *httptest.Server
	appPub *rsa.PublicKey
	key    *rsa.PrivateKey
	forger *rsa.PrivateKey
	clock  *clock.Fake

	mu         sync.Mutex
	trades     map[string]*fakeTrade
	agreements map[string]*fakeAgreement
	faults     map[string]fault
	calls      []map[string]string
	seq        int
}

type fakeTrade struct {
	outTradeNo, tradeNo, status string
	total, refunded             int64
	paidAt                      time.Time
	refunds                     map[string]int64
}

type fakeAgreement struct{ ext, no, status string }

// fault replaces the fake's answer to one method.
type fault struct {
	code, subCode, subMsg string // answer this result instead
	unsigned              bool   // leave sign out
	badSign               bool   // sign with a key that is not Alipay's
	reformat              bool   // indent the result after signing it
	httpStatus            int    // answer only this HTTP status
	otherTrade            bool   // name another out_trade_no in the result
	raw                   string // answer this body verbatim
}

func newFake(t testing.TB) *fakeAlipay {
	t.Helper()
	f := startFake()
	t.Cleanup(f.srv.Close)
	return f
}

// startFake starts a fake gateway; close f.srv when done.
func startFake() *fakeAlipay {
	k := testKeys()
	f := &fakeAlipay{
		appPub:     &k.app.PublicKey,
		key:        k.alipay,
		forger:     k.other,
		clock:      clock.NewFake(testStart),
		trades:     map[string]*fakeTrade{},
		agreements: map[string]*fakeAgreement{},
		faults:     map[string]fault{},
	}
	f.srv = httptest.NewServer(f)
	return f
}

// channel returns a Channel configured against the fake.
func (f *fakeAlipay) channel(t testing.TB, opts ...Option) *Channel {
	t.Helper()
	c, err := f.newChannel(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newChannel returns a Channel for the fake's application, sending to the
// fake and reading the fake's clock.
func (f *fakeAlipay) newChannel(opts ...Option) (*Channel, error) {
	k := testKeys()
	base := []Option{
		WithBaseURL(f.srv.URL + "/gateway.do"),
		WithHTTPClient(f.srv.Client()),
		WithClock(f.clock),
		WithRetryPolicy(pay.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}),
	}
	return New(Config{AppID: testAppID, PrivateKey: k.app, AlipayPublicKey: &k.alipay.PublicKey, NotifyURL: "https://merchant.example/alipay/notify"}, append(base, opts...)...)
}

func (f *fakeAlipay) setFault(method string, ft fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[method] = ft
}

// requests returns the parameters of every request made for method.
func (f *fakeAlipay) requests(method string) []map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []map[string]string
	for _, c := range f.calls {
		if c["method"] == method {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeAlipay) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// payTrade makes the buyer pay out_trade_no (as after scanning a QR code
// or paying in the app), creating the trade if Alipay has not seen it.
func (f *fakeAlipay) payTrade(outTradeNo string, fen int64) *fakeTrade {
	f.mu.Lock()
	defer f.mu.Unlock()
	tr := f.trade(outTradeNo, fen)
	tr.status, tr.paidAt = "TRADE_SUCCESS", f.clock.Now()
	return tr
}

// signAgreement makes the payer sign ext and returns Alipay's agreement_no.
func (f *fakeAlipay) signAgreement(ext string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	a := &fakeAgreement{ext: ext, no: fmt.Sprintf("2026%016d", f.seq), status: "NORMAL"}
	f.agreements[ext] = a
	return a.no
}

// trade returns (creating) a trade; f.mu must be held.
func (f *fakeAlipay) trade(outTradeNo string, fen int64) *fakeTrade {
	tr := f.trades[outTradeNo]
	if tr == nil {
		f.seq++
		tr = &fakeTrade{outTradeNo: outTradeNo, tradeNo: fmt.Sprintf("2026030122001%015d", f.seq), status: "WAIT_BUYER_PAY", total: fen, refunds: map[string]int64{}}
		f.trades[outTradeNo] = tr
	}
	return tr
}

// result is an answer: code and msg first, then the other members sorted.
type result struct {
	code, msg string
	fields    map[string]string
}

func ok(fields map[string]string) result {
	return result{code: codeSuccess, msg: "Success", fields: fields}
}

func failed(code, subCode, subMsg string) result {
	msg := map[string]string{codeBusiness: "Business Failed", codeInvalid: "Invalid Arguments", codeUnavailable: "Service Currently Unavailable"}[code]
	return result{code: code, msg: msg, fields: map[string]string{"sub_code": subCode, "sub_msg": subMsg}}
}

func (r result) json() []byte {
	var b bytes.Buffer
	enc := func(s string) { j, _ := json.Marshal(s); b.Write(j) }
	b.WriteString(`{"code":`)
	enc(r.code)
	b.WriteString(`,"msg":`)
	enc(r.msg)
	keys := make([]string, 0, len(r.fields))
	for k := range r.fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteByte(',')
		enc(k)
		b.WriteByte(':')
		enc(r.fields[k])
	}
	b.WriteByte('}')
	return b.Bytes()
}

func (f *fakeAlipay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	params := map[string]string{}
	for k, vs := range r.PostForm {
		params[k] = vs[0]
	}
	f.mu.Lock()
	f.calls = append(f.calls, params)
	ft := f.faults[params["method"]]
	f.mu.Unlock()
	if verifyRSA2(f.appPub, []byte(requestSignContent(params)), params[paramSign]) != nil || params["app_id"] != testAppID {
		writeBody(w, []byte(`{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature","sub_msg":"验签出错"}}`))
		return
	}
	ts, err := parseTime(params["timestamp"])
	if err != nil || params["format"] != "JSON" || params["charset"] != "utf-8" || params["version"] != "1.0" || params[paramSignType] != signTypeRSA2 ||
		ts.Sub(f.clock.Now()).Abs() > 10*time.Minute {
		f.answer(w, params["method"], failed(codeInvalid, "isv.invalid-timestamp", "非法的时间戳参数"), fault{})
		return
	}
	if ft.httpStatus != 0 {
		w.WriteHeader(ft.httpStatus)
		return
	}
	if ft.raw != "" {
		writeBody(w, []byte(ft.raw))
		return
	}
	var res result
	if ft.code != "" {
		res = failed(ft.code, ft.subCode, ft.subMsg)
	} else {
		var biz map[string]any
		if err := json.Unmarshal([]byte(params["biz_content"]), &biz); err != nil {
			res = failed(codeInvalid, "isv.invalid-biz-content", "biz_content")
		} else {
			res = f.dispatch(params["method"], biz)
		}
	}
	if ft.otherTrade && res.fields != nil {
		res.fields["out_trade_no"] = "someone-else"
	}
	f.answer(w, params["method"], res, ft)
}

func (f *fakeAlipay) answer(w http.ResponseWriter, method string, res result, ft fault) {
	body := res.json()
	key := f.key
	if ft.badSign {
		key = f.forger
	}
	sign, err := signRSA2(key, body)
	if err != nil {
		panic(err)
	}
	if ft.reformat {
		var b bytes.Buffer
		_ = json.Indent(&b, body, "", "  ")
		body = b.Bytes()
	}
	out := `{"` + responseKey(method) + `":` + string(body)
	if !ft.unsigned {
		out += `,"sign":"` + sign + `"`
	}
	writeBody(w, []byte(out+"}"))
}

func writeBody(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "text/html;charset=utf-8")
	_, _ = w.Write(b)
}
