package wechatpay

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

// Verifier checks WeChat Pay signatures (RSA PKCS#1 v1.5 over SHA-256) with a
// set of platform keys named by serial: platform certificates (serial = the
// certificate's serial number in upper-case hex) and platform public keys
// (serial = "PUB_KEY_ID_…").
//
// It is safe for concurrent use, and the key set can change while it is in
// use: readers see an immutable snapshot, writers replace it atomically. That
// is how a certificate rotation needs no restart: add the new certificate,
// keep the old one until it expires, and both serials verify during the
// overlap.
type Verifier struct {
	clock pay.Clock
	mu    sync.Mutex // serializes writers
	keys  atomic.Pointer[map[string]verifyKey]
}

type verifyKey struct {
	pub      *rsa.PublicKey
	notAfter time.Time // zero: no expiry (public keys)
}

// NewVerifier returns an empty Verifier that judges certificate expiry by
// c (nil means the wall clock).
func NewVerifier(c pay.Clock) *Verifier {
	if c == nil {
		c = clock.System{}
	}
	v := &Verifier{clock: c}
	empty := map[string]verifyKey{}
	v.keys.Store(&empty)
	return v
}

// CertificateSerial returns the serial WeChat Pay names cert by: its serial
// number in upper-case hex, e.g. "D7CE59D1F522D701".
func CertificateSerial(cert *x509.Certificate) string {
	return fmt.Sprintf("%X", cert.SerialNumber.Bytes())
}

// AddCertificate trusts cert's RSA key under its serial until cert expires,
// and returns the serial. A certificate already present is replaced.
func (v *Verifier) AddCertificate(cert *x509.Certificate) (string, error) {
	if cert == nil {
		return "", channel.Errorf(channel.ErrMalformed, "certificate", "wechatpay: certificate is nil")
	}
	pub, err := certificateKey(cert)
	if err != nil {
		return "", err
	}
	serial := CertificateSerial(cert)
	if !validSerial(serial) {
		return "", channel.Errorf(channel.ErrMalformed, "certificate", "wechatpay: certificate serial is not 1-64 hex digits")
	}
	v.update(func(m map[string]verifyKey) { m[serial] = verifyKey{pub: pub, notAfter: cert.NotAfter} })
	return serial, nil
}

// AddPublicKey trusts pub under keyID (public-key mode, "PUB_KEY_ID_…").
func (v *Verifier) AddPublicKey(keyID string, pub *rsa.PublicKey) error {
	if !validSerial(keyID) {
		return channel.Errorf(channel.ErrMalformed, "key_id", "wechatpay: key ID must be 1-64 letters, digits or underscores")
	}
	if err := checkRSAKey(pub); err != nil {
		return err
	}
	v.update(func(m map[string]verifyKey) { m[keyID] = verifyKey{pub: pub} })
	return nil
}

// Remove stops trusting serial.
func (v *Verifier) Remove(serial string) {
	v.update(func(m map[string]verifyKey) { delete(m, serial) })
}

// Serials lists the trusted serials, sorted.
func (v *Verifier) Serials() []string {
	return slices.Sorted(maps.Keys(*v.keys.Load()))
}

// Has reports whether serial names a trusted, unexpired key.
func (v *Verifier) Has(serial string) bool {
	_, ok := v.lookup(serial)
	return ok
}

// Verify checks that signature (base64) is the PKCS#1 v1.5 SHA-256 signature
// of message by the key named serial. It answers ErrBadSignature, without
// echoing the signature, for an unknown or expired serial, bad base64 or a
// signature that does not verify.
func (v *Verifier) Verify(serial string, message []byte, signature string) error {
	k, ok := v.lookup(serial)
	if !ok {
		return channel.Errorf(channel.ErrBadSignature, "Wechatpay-Serial", "wechatpay: no trusted platform key has the serial in Wechatpay-Serial")
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(signature)
	if err != nil || len(sig) != k.pub.Size() {
		return channel.Errorf(channel.ErrBadSignature, "Wechatpay-Signature", "wechatpay: signature is not a base64 RSA signature of the key's size")
	}
	sum := sha256.Sum256(message)
	if rsa.VerifyPKCS1v15(k.pub, crypto.SHA256, sum[:], sig) != nil {
		return channel.Errorf(channel.ErrBadSignature, "Wechatpay-Signature", "wechatpay: signature does not verify")
	}
	return nil
}

// clone returns an independent Verifier with the same keys.
func (v *Verifier) clone() *Verifier {
	c := &Verifier{clock: v.clock}
	keys := maps.Clone(*v.keys.Load())
	c.keys.Store(&keys)
	return c
}

// prune drops certificates that expired before now.
func (v *Verifier) prune() {
	now := v.clock.Now()
	v.update(func(m map[string]verifyKey) {
		for s, k := range m {
			if !k.notAfter.IsZero() && now.After(k.notAfter) {
				delete(m, s)
			}
		}
	})
}

func (v *Verifier) lookup(serial string) (verifyKey, bool) {
	k, ok := (*v.keys.Load())[serial]
	if !ok || (!k.notAfter.IsZero() && v.clock.Now().After(k.notAfter)) {
		return verifyKey{}, false
	}
	return k, true
}

// update applies change to a copy of the key set and publishes the copy.
func (v *Verifier) update(change func(map[string]verifyKey)) {
	v.mu.Lock()
	defer v.mu.Unlock()
	next := maps.Clone(*v.keys.Load())
	change(next)
	v.keys.Store(&next)
}

// certificateKey returns cert's RSA public key if it is one WeChat Pay uses.
func certificateKey(cert *x509.Certificate) (*rsa.PublicKey, error) {
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, channel.Errorf(channel.ErrMalformed, "certificate", "wechatpay: platform certificate key is not RSA")
	}
	if err := checkRSAKey(pub); err != nil {
		return nil, err
	}
	return pub, nil
}

func checkRSAKey(pub *rsa.PublicKey) error {
	if pub == nil || pub.N == nil || pub.N.BitLen() < 2048 {
		return channel.Errorf(channel.ErrMalformed, "public_key", "wechatpay: platform key must be RSA with at least 2048 bits")
	}
	return nil
}
