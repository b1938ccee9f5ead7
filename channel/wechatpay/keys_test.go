package wechatpay_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"sync"
	"time"
)

// Merchant identity shared by every test.
const (
	testMchID          = "1900000109"
	testAppID          = "wxd678efh567hg6787"
	testAPIv3Key       = "a7cde1ZQBvLm3kP9sT2uW4xY6zR8nE0f" // 32 bytes
	testMerchantSerial = "3775B6A45ACD588826D15E583A95F5DD2C5EEEF2"
	testNotifyURL      = "https://merchant.example/wechatpay/notify"
	testPlanID         = 12535
	testPublicKeyID    = "PUB_KEY_ID_0114232134912410000000000000"
)

// testNow is the fake clock's start; the platform certificates are valid
// from 2025 to 2030 around it.
var testNow = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// testKeyset holds the RSA keys of a test binary, generated once (2048-bit
// generation is slow, more so under -race).
type testKeyset struct {
	merchant  *rsa.PrivateKey // signs requests
	platformA *rsa.PrivateKey // WeChat's current platform key
	platformB *rsa.PrivateKey // the key a rotation moves to
	certA     *x509.Certificate
	certB     *x509.Certificate
}

var (
	keysOnce sync.Once
	keys     testKeyset
)

func testKeys() *testKeyset {
	keysOnce.Do(func() {
		keys.merchant = mustKey()
		keys.platformA = mustKey()
		keys.platformB = mustKey()
		keys.certA = selfSigned(keys.platformA, "5157F09EFDC096DE15EBE81A47057A7232F1B8E1")
		keys.certB = selfSigned(keys.platformB, "7132D72A03E93CDDF8C03BBD1F37EEDF204386C8")
	})
	return &keys
}

func mustKey() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

// selfSigned makes a platform certificate with the given hex serial.
func selfSigned(key *rsa.PrivateKey, serialHex string) *x509.Certificate {
	serial, ok := new(big.Int).SetString(serialHex, 16)
	if !ok {
		panic("bad serial")
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "Tenpay.com Root CA test", Organization: []string{"Tenpay.com"}},
		NotBefore:    time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	return cert
}
