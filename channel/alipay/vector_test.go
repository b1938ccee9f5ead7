package alipay

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/paykit-go/paykit/channel"
)

// alipayVector is ../shared/vectors/alipay_rsa2_response.json: a real
// response signature from go-pay/gopay's tests.
type alipayVector struct {
	SignedContent string `json:"signed_content"`
	Sign          string `json:"sign"`
	SignType      string `json:"sign_type"`
	PublicKey     string `json:"alipay_public_key_base64_der"`
	Expected      string `json:"expected"`
}

func loadAlipayVector(t *testing.T) alipayVector {
	t.Helper()
	// channel/alipay is two levels below the repository root, whose
	// sibling is shared/.
	path := filepath.Join("..", "..", "..", "shared", "vectors", "alipay_rsa2_response.json")
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		t.Skipf("%s is absent", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	var v alipayVector
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	if v.SignType != "RSA2" || v.Expected != "valid" {
		t.Fatalf("unexpected vector: %s %s", v.SignType, v.Expected)
	}
	return v
}

func TestVectorResponseSignature(t *testing.T) {
	v := loadAlipayVector(t)
	key, err := ParsePublicKey(v.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyRSA2(key, []byte(v.SignedContent), v.Sign); err != nil {
		t.Fatalf("the published signature does not verify: %v", err)
	}
	flipped := []byte(v.SignedContent)
	flipped[len(flipped)/2] ^= 0x01
	if verifyRSA2(key, flipped, v.Sign) == nil {
		t.Fatal("a flipped byte still verifies")
	}
}

// TestVectorThroughEnvelope wraps the published result in the gateway's
// envelope, as Alipay sends it for alipay.trade.pay, and reads it with the
// adapter's own extractor, verifier and amount parser.
func TestVectorThroughEnvelope(t *testing.T) {
	v := loadAlipayVector(t)
	key, err := ParsePublicKey(v.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"alipay_trade_pay_response":` + v.SignedContent + `,"sign":"` + v.Sign + `"}`
	r, err := verifyResponse([]byte(body), methodPay, key)
	if err != nil {
		t.Fatal(err)
	}
	var res tradeResult
	if err := r.decode(methodPay, &res); err != nil {
		t.Fatal(err)
	}
	amount, err := fromYuan(res.TotalAmount, "total_amount")
	if err != nil || amount != cny(1) || res.OutTradeNo != "GZ201901301040361012" || r.code != codeSuccess {
		t.Fatalf("result = %+v, %v, %v", res, amount, err)
	}
	// The same envelope with the result's member order changed no longer
	// verifies: the signature is over the bytes, not the meaning.
	var m map[string]any
	_ = json.Unmarshal([]byte(v.SignedContent), &m)
	sorted, _ := json.Marshal(m)
	_, err = verifyResponse([]byte(`{"alipay_trade_pay_response":`+string(sorted)+`,"sign":"`+v.Sign+`"}`), methodPay, key)
	wantErr(t, err, channel.ErrBadSignature)
}
