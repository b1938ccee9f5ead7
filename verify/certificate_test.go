package verify

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net/url"
	"testing"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// hbCert is a certificate and its key.
type hbCert struct {
	cert *x509.Certificate
	der  []byte
	key  crypto.Signer
}

type hbCertSpec struct {
	serial    int64
	cn        string
	uri       string
	ca        bool
	notBefore time.Time
	notAfter  time.Time
	usage     []x509.ExtKeyUsage
	key       crypto.Signer
}

// hbIssue makes a certificate from spec, signed by parent (self-signed when
// parent is nil).
func hbIssue(t testing.TB, spec hbCertSpec, parent *hbCert) *hbCert {
	t.Helper()
	key := spec.key
	if key == nil {
		key = hbP256(t)
	}
	if spec.notBefore.IsZero() {
		spec.notBefore = hbStart.Add(-24 * time.Hour)
	}
	if spec.notAfter.IsZero() {
		spec.notAfter = hbStart.Add(365 * 24 * time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(spec.serial),
		Subject:      pkix.Name{CommonName: spec.cn, Organization: []string{"paykit test"}},
		NotBefore:    spec.notBefore, NotAfter: spec.notAfter,
		BasicConstraintsValid: true,
		IsCA:                  spec.ca,
	}
	if spec.ca {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		tmpl.ExtKeyUsage = spec.usage
		if tmpl.ExtKeyUsage == nil {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		}
	}
	if spec.uri != "" {
		u, err := url.Parse(spec.uri)
		if err != nil {
			t.Fatal(err)
		}
		tmpl.URIs = []*url.URL{u}
	}
	signer, parentCert := key, tmpl
	if parent != nil {
		signer, parentCert = parent.key, parent.cert
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &hbCert{cert: cert, der: der, key: key}
}

// hbCRL is a CRL by issuer revoking serials, valid for a week from hbStart.
func hbCRL(t testing.TB, issuer *hbCert, serials ...int64) []byte {
	t.Helper()
	var entries []x509.RevocationListEntry
	for _, s := range serials {
		entries = append(entries, x509.RevocationListEntry{SerialNumber: big.NewInt(s), RevocationTime: hbStart.Add(-time.Hour)})
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(1), ThisUpdate: hbStart.Add(-time.Hour), NextUpdate: hbStart.Add(7 * 24 * time.Hour),
		RevokedCertificateEntries: entries,
	}, issuer.cert, issuer.key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// hbPKI: a root CA, an intermediate, leaves issued by the intermediate,
// and another root with its own leaf.
type hbPKI struct {
	root, inter, otherRoot                                   *hbCert
	alice, aliceCN, expired, revokedCRL, revokedList, server *hbCert
	foreign, bob, revokedInter, viaRevokedInter              *hbCert
}

func hbNewPKI(t testing.TB) *hbPKI {
	t.Helper()
	p := &hbPKI{}
	p.root = hbIssue(t, hbCertSpec{serial: 1, cn: "paykit test root", ca: true}, nil)
	p.inter = hbIssue(t, hbCertSpec{serial: 2, cn: "paykit test issuing CA", ca: true}, p.root)
	p.revokedInter = hbIssue(t, hbCertSpec{serial: 3, cn: "revoked issuing CA", ca: true}, p.root)
	p.otherRoot = hbIssue(t, hbCertSpec{serial: 1, cn: "some other root", ca: true}, nil)
	alice := CertificateUserURI("alice")
	p.alice = hbIssue(t, hbCertSpec{serial: 100, cn: "Alice", uri: alice}, p.inter)
	p.aliceCN = hbIssue(t, hbCertSpec{serial: 101, cn: alice, key: hbEd25519(t)}, p.inter)
	p.expired = hbIssue(t, hbCertSpec{serial: 102, uri: alice, notBefore: hbStart.Add(-48 * time.Hour), notAfter: hbStart.Add(-time.Second)}, p.inter)
	p.revokedCRL = hbIssue(t, hbCertSpec{serial: 103, uri: alice}, p.inter)
	p.revokedList = hbIssue(t, hbCertSpec{serial: 104, uri: alice}, p.inter)
	p.server = hbIssue(t, hbCertSpec{serial: 105, uri: alice, usage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, p.inter)
	p.bob = hbIssue(t, hbCertSpec{serial: 106, uri: CertificateUserURI("bob")}, p.inter)
	p.foreign = hbIssue(t, hbCertSpec{serial: 100, uri: alice}, p.otherRoot)
	p.viaRevokedInter = hbIssue(t, hbCertSpec{serial: 107, uri: alice}, p.revokedInter)
	return p
}

func (p *hbPKI) verifier(t testing.TB, cs *Challenges, opts ...CertificateOption) *CertificateVerifier {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AddCert(p.root.cert)
	opts = append([]CertificateOption{
		WithCRL(hbCRL(t, p.inter, 103), p.inter.cert),
		WithCRL(hbCRL(t, p.root, 3), p.root.cert),
		WithRevoked(big.NewInt(104)),
	}, opts...)
	v, err := NewCertificateVerifier(roots, cs, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCertificate(t *testing.T) {
	ctx := context.Background()
	pki := hbNewPKI(t)
	c := hbClock()
	cs := NewChallenges(c, time.Minute)
	v := pki.verifier(t, cs)
	if v.Method() != MethodCertificate || v.Factor() != FactorPossession {
		t.Fatal("method or factor")
	}
	// prove answers a fresh challenge for alice with leaf's key and the
	// chain leaf, intermediate.
	prove := func(leaf *hbCert, signer crypto.Signer, chain ...[]byte) Proof {
		t.Helper()
		ch, err := v.Challenge(ctx, hbAlice)
		if err != nil {
			t.Fatal(err)
		}
		if chain == nil {
			chain = [][]byte{leaf.der, pki.inter.der}
		}
		p, err := SignCertificate(signer, chain, ch, hbAlice)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	right := prove(pki.alice, pki.alice.key)
	if err := v.Verify(ctx, hbAlice, right); err != nil {
		t.Fatalf("valid certificate: %v", err)
	}
	hbIs(t, v.Verify(ctx, hbAlice, right), ErrReplayed)
	if err := v.Verify(ctx, hbAlice, prove(pki.aliceCN, pki.aliceCN.key)); err != nil {
		t.Fatalf("CommonName binding, Ed25519 key: %v", err)
	}

	for _, tc := range []struct {
		name string
		p    Proof
		want *pay.Error
		msg  string
	}{
		{"expired", prove(pki.expired, pki.expired.key), ErrExpired, "expired"},
		{"other root", prove(pki.foreign, pki.foreign.key, pki.foreign.der), ErrFailed, "does not chain to a trusted root"},
		{"revoked by CRL", prove(pki.revokedCRL, pki.revokedCRL.key), ErrFailed, "certificate revoked"},
		{"revoked by serial", prove(pki.revokedList, pki.revokedList.key), ErrFailed, "certificate revoked"},
		{"revoked intermediate", prove(pki.viaRevokedInter, pki.viaRevokedInter.key, pki.viaRevokedInter.der, pki.revokedInter.der), ErrFailed, "certificate revoked"},
		{"server auth only", prove(pki.server, pki.server.key), ErrFailed, "client authentication"},
		{"another user's certificate", prove(pki.bob, pki.bob.key), ErrFailed, "issued to another user"},
		{"signed by another key", prove(pki.alice, pki.bob.key), ErrFailed, "does not verify"},
		{"missing intermediate", prove(pki.alice, pki.alice.key, pki.alice.der), ErrFailed, "trusted root"},
		{"no certificate", prove(pki.alice, pki.alice.key, [][]byte{}...), ErrFailed, "no certificate"},
		{"garbage", prove(pki.alice, pki.alice.key, pki.alice.der, []byte("junk")), ErrFailed, "certificate 2 is not valid DER"},
		{"too long", prove(pki.alice, pki.alice.key, pki.alice.der, pki.inter.der, pki.inter.der, pki.inter.der, pki.root.der), ErrFailed, "longer than 4"},
		{"too big", prove(pki.alice, pki.alice.key, make([]byte, MaxCertificateSize+1)), ErrFailed, "1 to 8192 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "no certificate" {
				tc.p.Certificates = nil
			}
			err := v.Verify(ctx, hbAlice, tc.p)
			hbIsMsg(t, err, tc.want, tc.msg)
			// Whatever failed, the challenge is spent.
			hbIs(t, v.Verify(ctx, hbAlice, tc.p), ErrReplayed)
		})
	}

	// Once the intermediate's CRL is past its NextUpdate, its certificates
	// are refused: revocation cannot be checked.
	c.Advance(7*24*time.Hour + time.Second)
	hbIsMsg(t, v.Verify(ctx, hbAlice, prove(pki.alice, pki.alice.key)), ErrFailed, "out of date")
}

func TestCertificateRSAAndSubjectCheck(t *testing.T) {
	ctx := context.Background()
	pki := hbNewPKI(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	leaf := hbIssue(t, hbCertSpec{serial: 200, cn: "employee 42", key: rsaKey}, pki.inter)
	cs := NewChallenges(hbClock(), time.Minute)
	errNotEmployee := errors.New("not employee 42")
	v := pki.verifier(t, cs, WithSubjectCheck(func(s Subject, c *x509.Certificate) error {
		if s.UserID == "u42" && c.Subject.CommonName == "employee 42" {
			return nil
		}
		return errNotEmployee
	}))
	u42 := Subject{UserID: "u42"}
	sign := func(s Subject) Proof {
		ch, _ := v.Challenge(ctx, s)
		p, err := SignCertificate(rsaKey, [][]byte{leaf.der, pki.inter.der}, ch, s)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if err := v.Verify(ctx, u42, sign(u42)); err != nil {
		t.Fatalf("RSA-PSS proof: %v", err)
	}
	err = v.Verify(ctx, hbBob, sign(hbBob))
	hbIsMsg(t, err, ErrFailed, "not bound to this user")
	if !errors.Is(err, errNotEmployee) {
		t.Fatal("the subject check's error is not kept as the cause")
	}
}

func TestCertificateVerifierOptions(t *testing.T) {
	pki := hbNewPKI(t)
	cs := NewChallenges(hbClock(), 0)
	roots := x509.NewCertPool()
	roots.AddCert(pki.root.cert)
	for name, opt := range map[string]CertificateOption{
		"CRL by another issuer": WithCRL(hbCRL(t, pki.inter, 1), pki.root.cert),
		"CRL by a leaf":         WithCRL(hbCRL(t, pki.inter, 1), pki.alice.cert),
		"CRL garbage":           WithCRL([]byte("junk"), pki.inter.cert),
		"CRL no issuer":         WithCRL(hbCRL(t, pki.inter, 1), nil),
		"nil serial":            WithRevoked(nil),
		"nil subject check":     WithSubjectCheck(nil),
	} {
		if _, err := NewCertificateVerifier(roots, cs, opt); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := NewCertificateVerifier(nil, cs); err == nil {
		t.Error("nil roots accepted")
	}
	if _, err := NewCertificateVerifier(roots, nil); err == nil {
		t.Error("nil challenges accepted")
	}
}
