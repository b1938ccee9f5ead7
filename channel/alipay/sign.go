package alipay

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"sort"
	"strings"
)

// Parameter names with a role in signing.
const (
	paramSign     = "sign"
	paramSignType = "sign_type"
	signTypeRSA2  = "RSA2"
)

// requestSignContent is the string a request's signature covers: every
// parameter except sign whose value is not empty, sorted by name, joined as
// k=v&k=v with raw values. sign_type is included.
func requestSignContent(params map[string]string) string {
	return joinSorted(params, func(k, v string) bool { return k != paramSign && v != "" })
}

// notifySignContent is the string a notification's signature covers: every
// parameter except sign and sign_type, empty ones included, sorted by name
// and joined as k=v&k=v with the URL-decoded values.
func notifySignContent(params map[string]string) string {
	return joinSorted(params, func(k, _ string) bool { return k != paramSign && k != paramSignType })
}

func joinSorted(params map[string]string, keep func(k, v string) bool) string {
	keys := make([]string, 0, len(params))
	size := 0
	for k, v := range params {
		if keep(k, v) {
			keys = append(keys, k)
			size += len(k) + len(v) + 2
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	b.Grow(size)
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(params[k])
	}
	return b.String()
}

// signRSA2 returns base64(RSA PKCS#1 v1.5 signature over SHA-256 of content).
func signRSA2(key *rsa.PrivateKey, content []byte) (string, error) {
	sum := sha256.Sum256(content)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// errSignature is the cause of every failed check; it says nothing about
// the key or the signature.
var errSignature = errors.New("signature does not verify")

// verifyRSA2 checks a base64 RSA2 signature over content. The comparison
// inside rsa.VerifyPKCS1v15 is constant-time.
func verifyRSA2(key *rsa.PublicKey, content []byte, sign string) error {
	sig, err := base64.StdEncoding.DecodeString(sign)
	if err != nil || len(sig) != key.Size() {
		return errSignature
	}
	sum := sha256.Sum256(content)
	if rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig) != nil {
		return errSignature
	}
	return nil
}
