package wechatpay

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"sync"
	"time"

	"github.com/paykit-go/paykit/channel"
)

// refreshGap is the least time between two certificate downloads that were
// not asked for explicitly: however many unknown serials arrive, the channel
// downloads at most once per gap.
const refreshGap = time.Minute

// maxCertificates bounds how many certificates one download may add.
const maxCertificates = 16

// refresher remembers when certificates were last downloaded.
type refresher struct {
	interval time.Duration // 0: refreshing is off
	mu       sync.Mutex    // one download at a time
	last     time.Time     // last successful download
	tried    time.Time     // last attempt, successful or not
}

// triedWithinGap reports whether a download was attempted less than
// refreshGap before now. The caller holds mu.
func (r *refresher) triedWithinGap(now time.Time) bool {
	return !r.tried.IsZero() && now.Sub(r.tried) < refreshGap
}

// RefreshCertificates downloads the platform certificates now (GET
// /v3/certificates), verifies the answer, decrypts the certificates with the
// APIv3 key, adds the valid ones to the Verifier and drops expired ones. Old
// certificates still valid stay trusted, so a rotation's overlap works. It
// does not need WithCertificateRefresh.
func (c *Channel) RefreshCertificates(ctx context.Context) error {
	c.refresh.mu.Lock()
	defer c.refresh.mu.Unlock()
	return c.downloadLocked(ctx)
}

// refreshIfDue downloads when the refresh interval has passed, at most once
// per refreshGap even if downloads fail. Failures keep the current keys.
func (c *Channel) refreshIfDue(ctx context.Context) {
	if c.refresh.interval == 0 {
		return
	}
	// A download in flight is enough: verify with the current keys rather
	// than queue behind it.
	if !c.refresh.mu.TryLock() {
		return
	}
	defer c.refresh.mu.Unlock()
	now := c.clock.Now()
	if !c.refresh.last.IsZero() && now.Sub(c.refresh.last) < c.refresh.interval {
		return
	}
	if c.refresh.triedWithinGap(now) {
		return
	}
	_ = c.downloadLocked(ctx)
}

// refreshForSerial downloads once when serial is unknown, unless a download
// was attempted within refreshGap: an unknown serial in a forged message
// must not trigger a download per request.
func (c *Channel) refreshForSerial(ctx context.Context, serial string) {
	if c.refresh.interval == 0 {
		return
	}
	c.refresh.mu.Lock()
	defer c.refresh.mu.Unlock()
	if c.verifier.Has(serial) {
		return // another caller's download brought it
	}
	if c.refresh.triedWithinGap(c.clock.Now()) {
		return
	}
	_ = c.downloadLocked(ctx)
}

// certificateList is the answer of GET /v3/certificates. Each entry's
// effective_time and expire_time are not read: the decrypted certificate's
// own validity is what counts.
type certificateList struct {
	Data []struct {
		SerialNo           string   `json:"serial_no"`
		EncryptCertificate Resource `json:"encrypt_certificate"`
	} `json:"data"`
}

// downloadLocked fetches, decrypts and verifies the certificate list. The
// answer's own signature is checked with the keys already trusted plus the
// downloaded ones: the download is bootstrapped by the APIv3 key, which
// authenticates the encrypted certificates (only WeChat Pay and the merchant
// know it), exactly like the official SDKs.
func (c *Channel) downloadLocked(ctx context.Context) error {
	c.refresh.tried = c.clock.Now()
	const op = "download platform certificates"
	resp, err := c.send(ctx, op, http.MethodGet, "/v3/certificates", nil)
	if err != nil {
		return err
	}
	if resp.Status != http.StatusOK {
		return providerError(op, resp)
	}
	certs, err := c.decodeCertificates(resp.Body)
	if err != nil {
		return err
	}
	s, err := ReadSignedHeaders(resp.Header)
	if err != nil {
		return err
	}
	candidates := c.verifier.clone()
	for _, cert := range certs {
		if _, err := candidates.AddCertificate(cert); err != nil {
			return err
		}
	}
	if err := candidates.Verify(s.Serial, s.Message(resp.Body), s.Signature); err != nil {
		return err
	}
	if err := c.checkFresh(s.Timestamp); err != nil {
		return err
	}
	for _, cert := range certs {
		if _, err := c.verifier.AddCertificate(cert); err != nil {
			return err
		}
	}
	c.verifier.prune()
	c.refresh.last = c.clock.Now()
	return nil
}

// decodeCertificates parses a certificate list and decrypts each entry,
// keeping those valid now. Each certificate must carry the serial its entry
// names and an RSA key of at least 2048 bits.
func (c *Channel) decodeCertificates(body []byte) ([]*x509.Certificate, error) {
	var list certificateList
	if err := decodeJSON(body, &list); err != nil || len(list.Data) == 0 || len(list.Data) > maxCertificates {
		return nil, channel.Errorf(channel.ErrMalformed, "", "wechatpay: certificate list is not 1-%d entries of JSON", maxCertificates)
	}
	now := c.clock.Now()
	var certs []*x509.Certificate
	for _, d := range list.Data {
		plain, err := openResource(c.gcm, d.EncryptCertificate)
		if err != nil {
			return nil, err
		}
		block, rest := pem.Decode(plain)
		if block == nil || block.Type != "CERTIFICATE" || len(bytes.TrimSpace(rest)) != 0 {
			return nil, channel.Errorf(channel.ErrMalformed, "encrypt_certificate", "wechatpay: decrypted certificate is not one PEM CERTIFICATE")
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, channel.Errorf(channel.ErrMalformed, "encrypt_certificate", "wechatpay: decrypted certificate does not parse")
		}
		if CertificateSerial(cert) != d.SerialNo {
			return nil, channel.Errorf(channel.ErrMalformed, "serial_no", "wechatpay: certificate serial differs from serial_no")
		}
		if _, err := certificateKey(cert); err != nil {
			return nil, err
		}
		if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
			continue
		}
		certs = append(certs, cert)
	}
	return certs, nil
}
