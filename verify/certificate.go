package verify

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// Limits on a presented certificate chain, checked before parsing.
const (
	MaxCertificates    = 4    // leaf and up to three intermediates
	MaxCertificateSize = 8192 // bytes of DER per certificate
)

// certificateLabel opens the message a certificate's key signs.
const certificateLabel = "paykit.certificate.v1"

// CertificateVerifier checks an X.509 client certificate: the chain in
// Proof.Certificates (DER, leaf first, at most 4 certificates of at most
// 8 KiB) must chain to one of the configured roots at the clock's time,
// allow client authentication, not be revoked, be bound to the user, and
// the leaf's key must have signed
//
//	"paykit.certificate.v1" || 0x00 || challenge nonce || 0x00 || userID
//
// for a single-use challenge (proof of possession; see SignCertificate).
// Its clock is the challenge store's.
type CertificateVerifier struct {
	roots        *x509.CertPool
	challenges   *Challenges
	revoked      map[string]bool // serial numbers (hex) of revoked leaves
	crls         []certCRL
	subjectCheck func(Subject, *x509.Certificate) error
}

type certCRL struct {
	list    *x509.RevocationList
	issuer  *x509.Certificate
	serials map[string]bool
}

// CertificateOption configures a CertificateVerifier.
type CertificateOption func(*CertificateVerifier) error

// WithRevoked marks leaf certificates with these serial numbers as revoked,
// whoever issued them (use it for a deployment whose roots issue through
// one CA; WithCRL scopes revocation to an issuer).
func WithRevoked(serials ...*big.Int) CertificateOption {
	return func(v *CertificateVerifier) error {
		for _, s := range serials {
			if s == nil {
				return errors.New("verify: nil revoked serial")
			}
			v.revoked[s.Text(16)] = true
		}
		return nil
	}
}

// WithCRL adds a certificate revocation list (DER) signed by issuer; the
// signature is checked here (CheckSignatureFrom). Certificates of any chain
// element issued by issuer whose serial the list names are revoked. Once
// the list's NextUpdate has passed, certificates from issuer are refused
// until a fresher list is configured: revocation is checked, not assumed.
func WithCRL(der []byte, issuer *x509.Certificate) CertificateOption {
	return func(v *CertificateVerifier) error {
		if issuer == nil {
			return errors.New("verify: WithCRL needs the CRL's issuer")
		}
		list, err := x509.ParseRevocationList(der)
		if err != nil {
			return fmt.Errorf("verify: parse CRL: %w", err)
		}
		if err := list.CheckSignatureFrom(issuer); err != nil {
			return fmt.Errorf("verify: CRL signature: %w", err)
		}
		c := certCRL{list: list, issuer: issuer, serials: map[string]bool{}}
		for _, e := range list.RevokedCertificateEntries {
			if e.SerialNumber != nil {
				c.serials[e.SerialNumber.Text(16)] = true
			}
		}
		v.crls = append(v.crls, c)
		return nil
	}
}

// WithSubjectCheck replaces the check that binds the leaf to the user. The
// default accepts a leaf whose Subject CommonName, or one of whose URI SANs,
// is "paykit:user:<userID>". A non-nil error refuses the proof (as
// ErrFailed unless it is a *pay.Error).
func WithSubjectCheck(f func(Subject, *x509.Certificate) error) CertificateOption {
	return func(v *CertificateVerifier) error {
		if f == nil {
			return errors.New("verify: nil subject check")
		}
		v.subjectCheck = f
		return nil
	}
}

// CertificateUserURI is the name the default subject check looks for in a
// leaf's CommonName or URI SANs.
func CertificateUserURI(userID string) string { return "paykit:user:" + userID }

// NewCertificateVerifier returns a verifier trusting roots, drawing
// challenges from (and keeping time by) challenges.
func NewCertificateVerifier(roots *x509.CertPool, challenges *Challenges, opts ...CertificateOption) (*CertificateVerifier, error) {
	if roots == nil || challenges == nil {
		return nil, errors.New("verify: NewCertificateVerifier needs a root pool and a challenge store")
	}
	v := &CertificateVerifier{roots: roots, challenges: challenges, revoked: map[string]bool{}, subjectCheck: defaultSubjectCheck}
	for _, o := range opts {
		if err := o(v); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// Method returns MethodCertificate.
func (v *CertificateVerifier) Method() Method { return MethodCertificate }

// Factor returns FactorPossession: the proof shows the user holds the
// certificate's private key.
func (v *CertificateVerifier) Factor() Factor { return FactorPossession }

// Challenge issues the challenge the certificate's key signs.
func (v *CertificateVerifier) Challenge(ctx context.Context, s Subject) (Challenge, error) {
	if err := checkSubject(s, false); err != nil {
		return Challenge{}, err
	}
	return v.challenges.Issue(s, MethodCertificate), nil
}

// Verify checks p's chain and proof of possession. The challenge is
// consumed whatever the outcome. An expired (or not yet valid) certificate
// is ErrExpired; a chain to another root, a revoked certificate, a
// certificate of another user or a bad signature is ErrFailed.
func (v *CertificateVerifier) Verify(ctx context.Context, s Subject, p Proof) error {
	if err := checkProofMethod(MethodCertificate, p); err != nil {
		return err
	}
	if err := checkSubject(s, false); err != nil {
		return err
	}
	ch, err := v.challenges.Take(s, MethodCertificate, p.ChallengeID)
	if err != nil {
		return err
	}
	certs, err := parseCertificates(p.Certificates)
	if err != nil {
		return err
	}
	leaf := certs[0]
	now := v.challenges.clock.Now()
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	chains, err := leaf.Verify(x509.VerifyOptions{
		Roots: v.roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return chainError(err)
	}
	if err := v.checkRevoked(leaf, chains, now); err != nil {
		return err
	}
	if err := v.subjectCheck(s, leaf); err != nil {
		var pe *pay.Error
		if errors.As(err, &pe) {
			return pe
		}
		return pay.Errorf(ErrFailed, "certificates", "the certificate is not bound to this user").Wrap(err)
	}
	if !verifySignature(leaf.PublicKey, certificateSigned(ch, s), p.Signature) {
		return pay.Errorf(ErrFailed, "signature", "the signature does not verify under the certificate's key")
	}
	return nil
}

// parseCertificates parses a presented chain, leaf first, after checking
// its count and sizes. Errors name the position, never quote the bytes.
func parseCertificates(ders [][]byte) ([]*x509.Certificate, error) {
	switch {
	case len(ders) == 0:
		return nil, pay.Errorf(ErrFailed, "certificates", "no certificate was presented")
	case len(ders) > MaxCertificates:
		return nil, pay.Errorf(ErrFailed, "certificates", "a chain of %d certificates is longer than %d", len(ders), MaxCertificates)
	}
	certs := make([]*x509.Certificate, len(ders))
	for i, der := range ders {
		if len(der) == 0 || len(der) > MaxCertificateSize {
			return nil, pay.Errorf(ErrFailed, "certificates", "certificate %d must be 1 to %d bytes", i+1, MaxCertificateSize)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, pay.Errorf(ErrFailed, "certificates", "certificate %d is not valid DER X.509", i+1)
		}
		certs[i] = c
	}
	return certs, nil
}

// chainError maps a chain verification error to the package's sentinels,
// with fixed messages (x509's text would quote names from the certificate).
func chainError(err error) error {
	var inv x509.CertificateInvalidError
	if errors.As(err, &inv) {
		switch inv.Reason {
		case x509.Expired:
			return pay.Errorf(ErrExpired, "certificates", "the certificate chain is expired or not yet valid")
		case x509.IncompatibleUsage:
			return pay.Errorf(ErrFailed, "certificates", "the certificate may not be used for client authentication")
		}
		return pay.Errorf(ErrFailed, "certificates", "the certificate chain is invalid")
	}
	var ua x509.UnknownAuthorityError
	if errors.As(err, &ua) {
		return pay.Errorf(ErrFailed, "certificates", "the certificate does not chain to a trusted root")
	}
	return pay.Errorf(ErrFailed, "certificates", "the certificate chain is invalid")
}

// checkRevoked refuses a revoked leaf, and a proof none of whose chains is
// free of revoked intermediates. A CRL past its NextUpdate refuses the
// certificates its issuer issued.
func (v *CertificateVerifier) checkRevoked(leaf *x509.Certificate, chains [][]*x509.Certificate, now time.Time) error {
	if v.revoked[leaf.SerialNumber.Text(16)] {
		return pay.Errorf(ErrFailed, "certificates", "certificate revoked")
	}
	var firstErr error
	for _, chain := range chains {
		err := v.checkChainCRLs(chain, now)
		if err == nil {
			return nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

func (v *CertificateVerifier) checkChainCRLs(chain []*x509.Certificate, now time.Time) error {
	for i := 0; i+1 < len(chain); i++ {
		cert, parent := chain[i], chain[i+1]
		for _, c := range v.crls {
			if !bytes.Equal(cert.RawIssuer, c.list.RawIssuer) || !bytes.Equal(parent.RawSubjectPublicKeyInfo, c.issuer.RawSubjectPublicKeyInfo) {
				continue
			}
			if !c.list.NextUpdate.IsZero() && now.After(c.list.NextUpdate) {
				return pay.Errorf(ErrFailed, "certificates", "cannot check revocation: the issuer's revocation list is out of date")
			}
			if c.serials[cert.SerialNumber.Text(16)] {
				return pay.Errorf(ErrFailed, "certificates", "certificate revoked")
			}
		}
	}
	return nil
}

// defaultSubjectCheck binds a leaf to a user by "paykit:user:<userID>" in
// its CommonName or a URI SAN.
func defaultSubjectCheck(s Subject, leaf *x509.Certificate) error {
	want := CertificateUserURI(s.UserID)
	if leaf.Subject.CommonName == want {
		return nil
	}
	for _, u := range leaf.URIs {
		if u.String() == want {
			return nil
		}
	}
	return pay.Errorf(ErrFailed, "certificates", "the certificate was issued to another user")
}

func certificateSigned(ch Challenge, s Subject) []byte {
	return signedMessage(certificateLabel, ch.Nonce, []byte(s.UserID))
}

// SignCertificate builds the proof for ch and s: the chain (DER, leaf
// first) and the signature of the leaf's private key priv (ECDSA, Ed25519
// or RSA) over the challenge. Clients and tests use it; in production a
// smart card or the platform key store signs.
func SignCertificate(priv crypto.Signer, chain [][]byte, ch Challenge, s Subject) (Proof, error) {
	sig, err := signMessage(priv, certificateSigned(ch, s))
	if err != nil {
		return Proof{}, err
	}
	return Proof{Method: MethodCertificate, ChallengeID: ch.ID, Certificates: chain, Signature: sig}, nil
}
