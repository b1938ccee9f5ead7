package alipay

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"

	"github.com/paykit-go/paykit/channel"
)

// ParsePrivateKey parses an application private key in the forms Alipay's
// key tool and console hand out: the base64 of a DER RSA key in PKCS#1
// ("RSA PRIVATE KEY") or PKCS#8 ("PRIVATE KEY") form, with or without PEM
// armour and line breaks. Errors never echo the input.
func ParsePrivateKey(s string) (*rsa.PrivateKey, error) {
	der, err := keyDER(s, "private_key")
	if err != nil {
		return nil, err
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, channel.Errorf(channel.ErrMalformed, "private_key", "alipay: not a PKCS#1 or PKCS#8 RSA private key")
	}
	k, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, channel.Errorf(channel.ErrMalformed, "private_key", "alipay: the PKCS#8 key is not an RSA key")
	}
	return k, nil
}

// ParsePublicKey parses the Alipay public key as the open platform shows
// it: the base64 of a DER SubjectPublicKeyInfo ("PUBLIC KEY"), or of a
// PKCS#1 RSAPublicKey, with or without PEM armour and line breaks.
func ParsePublicKey(s string) (*rsa.PublicKey, error) {
	der, err := keyDER(s, "alipay_public_key")
	if err != nil {
		return nil, err
	}
	if parsed, err := x509.ParsePKIXPublicKey(der); err == nil {
		k, ok := parsed.(*rsa.PublicKey)
		if !ok {
			return nil, channel.Errorf(channel.ErrMalformed, "alipay_public_key", "alipay: the public key is not an RSA key")
		}
		return k, nil
	}
	k, err := x509.ParsePKCS1PublicKey(der)
	if err != nil {
		return nil, channel.Errorf(channel.ErrMalformed, "alipay_public_key", "alipay: not a SubjectPublicKeyInfo or PKCS#1 RSA public key")
	}
	return k, nil
}

// keyDER returns the DER bytes of a PEM block or of bare base64.
func keyDER(s, param string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-----BEGIN") {
		block, rest := pem.Decode([]byte(s))
		if block == nil || strings.TrimSpace(string(rest)) != "" {
			return nil, channel.Errorf(channel.ErrMalformed, param, "alipay: malformed PEM key")
		}
		return block.Bytes, nil
	}
	compact := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
	if compact == "" {
		return nil, channel.Errorf(channel.ErrMalformed, param, "alipay: empty key")
	}
	der, err := base64.StdEncoding.DecodeString(compact)
	if err != nil {
		return nil, channel.Errorf(channel.ErrMalformed, param, "alipay: key is neither PEM nor base64 DER")
	}
	return der, nil
}
