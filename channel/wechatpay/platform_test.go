package wechatpay_test

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"

	"github.com/paykit-go/paykit/channel/wechatpay"
)

// platformSigner plays WeChat Pay's side of a signature: one platform key
// and the serial it is published under.
type platformSigner struct {
	key    *rsa.PrivateKey
	serial string
}

// rsaSign is base64(RSA PKCS#1 v1.5 SHA-256(message)), WeChat's scheme.
func rsaSign(key *rsa.PrivateKey, message string) string {
	sum := sha256.Sum256([]byte(message))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// randomAlnum returns n random letters and digits (nonces).
func randomAlnum(n int) string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = chars[int(b[i])%len(chars)]
	}
	return string(b)
}

// signHeaders returns the Wechatpay-* headers for body signed at ts.
func (p platformSigner) signHeaders(ts time.Time, body []byte) http.Header {
	nonce := randomAlnum(32)
	t := strconv.FormatInt(ts.Unix(), 10)
	h := http.Header{}
	h.Set("Wechatpay-Serial", p.serial)
	h.Set("Wechatpay-Timestamp", t)
	h.Set("Wechatpay-Nonce", nonce)
	h.Set("Wechatpay-Signature", rsaSign(p.key, t+"\n"+nonce+"\n"+string(body)+"\n"))
	return h
}

// encryptResource seals plaintext the way WeChat Pay does for callbacks and
// certificates: AES-GCM under the APIv3 key, a 12-character nonce.
func encryptResource(apiV3Key, associatedData, originalType string, plaintext []byte) wechatpay.Resource {
	block, err := aes.NewCipher([]byte(apiV3Key))
	if err != nil {
		panic(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	nonce := randomAlnum(12)
	ct := gcm.Seal(nil, []byte(nonce), plaintext, []byte(associatedData))
	return wechatpay.Resource{
		Algorithm:      wechatpay.AlgorithmAEAD,
		Ciphertext:     base64.StdEncoding.EncodeToString(ct),
		AssociatedData: associatedData,
		OriginalType:   originalType,
		Nonce:          nonce,
	}
}

// notification is one callback as WeChat Pay would send it.
type notification struct {
	id           string
	eventType    string
	originalType string
	summary      string
	resource     any // marshalled to JSON and encrypted
	apiV3Key     string
	created      time.Time
}

// build returns the callback's body and signed headers at ts.
func (n notification) build(p platformSigner, ts time.Time) (http.Header, []byte) {
	plain, err := json.Marshal(n.resource)
	if err != nil {
		panic(err)
	}
	key := n.apiV3Key
	if key == "" {
		key = testAPIv3Key
	}
	created := n.created
	if created.IsZero() {
		created = ts
	}
	id := n.id
	if id == "" {
		id = "EV-" + randomAlnum(20)
	}
	body, err := json.Marshal(map[string]any{
		"id":            id,
		"create_time":   created.In(time.FixedZone("CST", 8*3600)).Format(time.RFC3339),
		"event_type":    n.eventType,
		"resource_type": "encrypt-resource",
		"summary":       n.summary,
		"resource":      encryptResource(key, n.originalType, n.originalType, plain),
	})
	if err != nil {
		panic(err)
	}
	h := p.signHeaders(ts, body)
	h.Set("Content-Type", "application/json")
	return h, body
}

// request returns the callback as an incoming server request.
func (n notification) request(p platformSigner, ts time.Time) *http.Request {
	h, body := n.build(p, ts)
	return callbackRequest(h, body)
}

func callbackRequest(h http.Header, body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "https://merchant.example/wechatpay/notify", bytes.NewReader(body))
	for k, v := range h {
		r.Header[k] = v
	}
	return r
}

// Resources of the callbacks the channel maps.

func transactionResource(outTradeNo, transactionID string, total int64) map[string]any {
	return map[string]any{
		"appid":            testAppID,
		"mchid":            testMchID,
		"out_trade_no":     outTradeNo,
		"transaction_id":   transactionID,
		"trade_type":       "NATIVE",
		"trade_state":      "SUCCESS",
		"trade_state_desc": "支付成功",
		"bank_type":        "CMC",
		"attach":           "",
		"success_time":     "2026-03-01T18:00:00+08:00",
		"payer":            map[string]any{"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
		"amount":           map[string]any{"total": total, "payer_total": total, "currency": "CNY", "payer_currency": "CNY"},
	}
}

func refundResource(outTradeNo, outRefundNo, status string, refund, total int64) map[string]any {
	return map[string]any{
		"mchid":                 testMchID,
		"out_trade_no":          outTradeNo,
		"transaction_id":        "4200000000" + outTradeNo,
		"out_refund_no":         outRefundNo,
		"refund_id":             "50000000" + outRefundNo,
		"refund_status":         status,
		"success_time":          "2026-03-01T18:05:00+08:00",
		"user_received_account": "招商银行信用卡0403",
		"amount":                map[string]any{"total": total, "refund": refund, "payer_total": total, "payer_refund": refund},
	}
}

func contractResource(outContractCode, contractID, state string) map[string]any {
	return map[string]any{
		"mchid":             testMchID,
		"appid":             testAppID,
		"plan_id":           testPlanID,
		"out_contract_code": outContractCode,
		"contract_id":       contractID,
		"contract_state":    state,
		"openid":            "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
	}
}
