package wechatpay_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"

	"github.com/paykit-go/paykit/channel/wechatpay"
	"github.com/paykit-go/paykit/internal/clock"
)

// fakeWeChat is a local WeChat Pay API v3: it checks each request's
// Authorization (signature by the merchant key, fresh timestamp, unused
// nonce) and answers 401 SIGN_ERROR otherwise, keeps orders, refunds and
// papay contracts, signs every answer with its platform key, serves
// /v3/certificates with the certificates AEAD-encrypted under the APIv3 key,
// and builds or posts signed, encrypted callbacks.
type fakeWeChat struct {
	srv   *httptest.Server
	clock *clock.Fake

	mu             sync.Mutex
	signer         platformSigner
	published      []*x509.Certificate
	certAPIv3Key   string // what /v3/certificates encrypts under
	orders         map[string]*fakeOrder
	refunds        map[string]*fakeRefund
	contracts      map[string]*fakeContract
	nonces         map[string]bool
	certDownloads  int
	requests       []fakeRequest
	next           []fakeFailure // forced answers, consumed first
	corruptSig     bool          // sign answers over the wrong bytes
	unsigned       bool          // omit Wechatpay-* headers
	answerSkew     time.Duration // shift answers' Wechatpay-Timestamp
	acceptedCalls  int
	lastAuthHeader string
}

type fakeRequest struct {
	method string
	uri    string
	body   map[string]any
}

type fakeFailure struct {
	status int
	code   string
}

type fakeOrder struct {
	outTradeNo    string
	tradeType     string
	total         int64
	state         string
	transactionID string
	successTime   string
	contractID    string
	refunded      int64
}

type fakeRefund struct {
	outRefundNo string
	outTradeNo  string
	refundID    string
	refund      int64
	total       int64
	status      string
}

type fakeContract struct {
	code       string
	contractID string
	state      string
}

func newFake() *fakeWeChat {
	k := testKeys()
	f := &fakeWeChat{
		clock:        clock.NewFake(testNow),
		signer:       platformSigner{key: k.platformA, serial: wechatpay.CertificateSerial(k.certA)},
		published:    []*x509.Certificate{k.certA},
		certAPIv3Key: testAPIv3Key,
		orders:       map[string]*fakeOrder{},
		refunds:      map[string]*fakeRefund{},
		contracts:    map[string]*fakeContract{},
		nonces:       map[string]bool{},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	return f
}

func (f *fakeWeChat) Close() { f.srv.Close() }

// channelOptions are the options that point a Channel at the fake.
func (f *fakeWeChat) channelOptions() []wechatpay.Option {
	return []wechatpay.Option{
		wechatpay.WithBaseURL(f.srv.URL),
		wechatpay.WithHTTPClient(f.srv.Client()),
		wechatpay.WithClock(f.clock),
		wechatpay.WithRetryPolicy(fastRetries),
		wechatpay.WithAgreementPlan(testPlanID),
	}
}

// rotate makes the fake sign with a new key and publish it beside the old.
func (f *fakeWeChat) rotate(key *rsa.PrivateKey, cert *x509.Certificate) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.signer = platformSigner{key: key, serial: wechatpay.CertificateSerial(cert)}
	f.published = append(f.published, cert)
}

func (f *fakeWeChat) set(change func(f *fakeWeChat)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

// failNext makes the next answers (after authentication) these errors.
func (f *fakeWeChat) failNext(status int, code string, times int) {
	f.set(func(f *fakeWeChat) {
		for range times {
			f.next = append(f.next, fakeFailure{status, code})
		}
	})
}

func (f *fakeWeChat) downloads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.certDownloads
}

func (f *fakeWeChat) lastRequest() fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		return fakeRequest{}
	}
	return f.requests[len(f.requests)-1]
}

func (f *fakeWeChat) currentSigner() platformSigner {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.signer
}

// serve authenticates, routes and signs.
func (f *fakeWeChat) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header.Get("User-Agent") == "" || r.Header.Get("Accept") != "application/json" {
		f.answer(w, http.StatusBadRequest, apiErr("INVALID_REQUEST", "User-Agent and Accept: application/json are required"))
		return
	}
	if why := f.authenticate(r, body); why != "" {
		f.answer(w, http.StatusUnauthorized, apiErr("SIGN_ERROR", why))
		return
	}
	var fields map[string]any
	if len(body) > 0 {
		if err := json.Unmarshal(body, &fields); err != nil {
			f.answer(w, http.StatusBadRequest, apiErr("PARAM_ERROR", "body is not JSON"))
			return
		}
	}
	f.requests = append(f.requests, fakeRequest{method: r.Method, uri: r.URL.RequestURI(), body: fields})
	if len(f.next) > 0 {
		fail := f.next[0]
		f.next = f.next[1:]
		f.answer(w, fail.status, apiErr(fail.code, "forced"))
		return
	}
	f.acceptedCalls++
	status, ans := f.route(r.Method, r.URL.Path, r.URL.Query(), fields)
	f.answer(w, status, ans)
}

// authenticate checks the merchant's Authorization header and returns why
// it is refused, or "".
func (f *fakeWeChat) authenticate(r *http.Request, body []byte) string {
	f.lastAuthHeader = r.Header.Get("Authorization")
	a, err := wechatpay.ParseAuthorization(f.lastAuthHeader)
	if err != nil {
		return "Authorization does not parse"
	}
	if a.MchID != testMchID || a.SerialNo != testMerchantSerial {
		return "unknown merchant or certificate"
	}
	ts, _ := strconv.ParseInt(a.Timestamp, 10, 64)
	if d := f.clock.Now().Sub(time.Unix(ts, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return "timestamp expired"
	}
	if f.nonces[a.Nonce] {
		return "nonce reused"
	}
	sig, err := base64.StdEncoding.DecodeString(a.Signature)
	if err != nil {
		return "signature is not base64"
	}
	msg := r.Method + "\n" + r.URL.RequestURI() + "\n" + a.Timestamp + "\n" + a.Nonce + "\n" + string(body) + "\n"
	sum := sha256.Sum256([]byte(msg))
	if rsa.VerifyPKCS1v15(&testKeys().merchant.PublicKey, crypto.SHA256, sum[:], sig) != nil {
		return "signature does not verify"
	}
	f.nonces[a.Nonce] = true
	return ""
}

// answer writes a signed JSON answer (204 with an empty, signed body when
// ans is nil).
func (f *fakeWeChat) answer(w http.ResponseWriter, status int, ans any) {
	var body []byte
	if ans != nil {
		body, _ = json.Marshal(ans)
	}
	if !f.unsigned {
		signed := body
		if f.corruptSig {
			signed = append([]byte("x"), body...)
		}
		for k, v := range f.signer.signHeaders(f.clock.Now().Add(f.answerSkew), signed) {
			w.Header()[k] = v
		}
	}
	w.Header().Set("Request-ID", "08F78BB5AF0610D302"+randomAlnum(8))
	if body != nil {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func apiErr(code, msg string) map[string]any {
	return map[string]any{"code": code, "message": msg}
}

func (f *fakeWeChat) requestCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

func (f *fakeWeChat) accepted() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.acceptedCalls
}

func (f *fakeWeChat) authHeader() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastAuthHeader
}
