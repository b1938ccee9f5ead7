package alipay

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/paykit-go/paykit/channel"
)

// wrap breaks base64 into 64-character lines, as key files do.
func wrap(s string) string {
	var b strings.Builder
	for len(s) > 64 {
		b.WriteString(s[:64] + "\n")
		s = s[64:]
	}
	return b.String() + s
}

func TestParsePrivateKey(t *testing.T) {
	k := testKeys().app
	pkcs1 := x509.MarshalPKCS1PrivateKey(k)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	forms := map[string]string{
		"PKCS#1 base64":  base64.StdEncoding.EncodeToString(pkcs1),
		"PKCS#8 base64":  base64.StdEncoding.EncodeToString(pkcs8),
		"PKCS#8 wrapped": wrap(base64.StdEncoding.EncodeToString(pkcs8)),
		"PKCS#1 PEM":     string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: pkcs1})),
		"PKCS#8 PEM":     string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})),
	}
	for name, s := range forms {
		got, err := ParsePrivateKey(s)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !got.Equal(k) {
			t.Fatalf("%s: a different key", name)
		}
	}
}

func TestParsePublicKey(t *testing.T) {
	k := &testKeys().alipay.PublicKey
	spki, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		t.Fatal(err)
	}
	forms := map[string]string{
		"SPKI base64": base64.StdEncoding.EncodeToString(spki),
		"PKCS#1":      base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(k)),
		"SPKI PEM":    string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki})),
		"wrapped":     "\n" + wrap(base64.StdEncoding.EncodeToString(spki)) + "\n",
	}
	for name, s := range forms {
		got, err := ParsePublicKey(s)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !got.Equal(k) {
			t.Fatalf("%s: a different key", name)
		}
	}
}

func TestParseKeyErrors(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecPriv, _ := x509.MarshalPKCS8PrivateKey(ec)
	ecPub, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	secret := base64.StdEncoding.EncodeToString([]byte("MIIEsecretsecretsecret-not-a-key"))
	inputs := []string{"", "   ", "not base64!", secret, "-----BEGIN PRIVATE KEY-----\nMIIE\n", base64.StdEncoding.EncodeToString(ecPriv)}
	for _, in := range inputs {
		_, err := ParsePrivateKey(in)
		wantErr(t, err, channel.ErrMalformed)
		if in != "" && strings.Contains(err.Error(), strings.TrimSpace(in)) && strings.TrimSpace(in) != "" {
			t.Fatalf("error %q echoes the key", err)
		}
	}
	for _, in := range []string{"", secret, base64.StdEncoding.EncodeToString(ecPub)} {
		_, err := ParsePublicKey(in)
		wantErr(t, err, channel.ErrMalformed)
	}
}
