package wechatpay

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/paykit-go/paykit/channel"
)

// newNonce returns 32 upper-case hex characters from crypto/rand, the shape
// of WeChat's own nonce_str values. (rand.Read never returns an error.)
func newNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

// signedMessage joins lines the way every WeChat Pay signature does: each
// line followed by "\n".
func signedMessage(lines ...string) []byte {
	n := 0
	for _, l := range lines {
		n += len(l) + 1
	}
	b := make([]byte, 0, n)
	for _, l := range lines {
		b = append(b, l...)
		b = append(b, '\n')
	}
	return b
}

// sign returns base64(RSA PKCS#1 v1.5 SHA-256 signature of message).
func sign(key *rsa.PrivateKey, message []byte) (string, error) {
	sum := sha256.Sum256(message)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", channel.Errorf(channel.ErrMalformed, "MerchantKey", "wechatpay: signing failed")
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// requestMessage is what a merchant signs for one API request:
// METHOD\nURL\ntimestamp\nnonce\nbody\n, URL being the path and query as
// sent and body empty for GET.
func requestMessage(method, uri, timestamp, nonce string, body []byte) []byte {
	return signedMessage(method, uri, timestamp, nonce, string(body))
}

// authorize returns the Authorization header value for one attempt of a
// request: a fresh nonce and timestamp, signed with the merchant key.
func (c *Channel) authorize(method, uri string, body []byte) (string, error) {
	nonce := newNonce()
	ts := c.unixNow()
	sig, err := sign(c.cfg.MerchantKey, requestMessage(method, uri, ts, nonce, body))
	if err != nil {
		return "", err
	}
	return Authorization{
		MchID:     c.cfg.MchID,
		Nonce:     nonce,
		Signature: sig,
		Timestamp: ts,
		SerialNo:  c.cfg.MerchantSerial,
	}.String(), nil
}

// unixNow is the clock's time as the unix seconds WeChat signs.
func (c *Channel) unixNow() string { return strconv.FormatInt(c.clock.Now().Unix(), 10) }
