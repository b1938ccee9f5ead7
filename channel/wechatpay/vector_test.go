package wechatpay_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/channel/wechatpay"
	"github.com/paykit-go/paykit/internal/clock"
)

// notifyVector is ../shared/vectors/wechatpay_v3_notify.json (relative to the
// repository root): a real API v3 callback from wechatpay-go's test suite.
type notifyVector struct {
	NowUnix        int64             `json:"now_unix"`
	APIv3Key       string            `json:"api_v3_key"`
	CertificatePEM string            `json:"platform_certificate_pem"`
	Headers        map[string]string `json:"headers"`
	Body           string            `json:"body"`
	Expected       struct {
		ID        string `json:"id"`
		EventType string `json:"event_type"`
		Summary   string `json:"summary"`
		Plaintext string `json:"plaintext"`
	} `json:"expected"`
}

// loadNotifyVector reads the vector, or reports false when the shared
// folder is absent (a clone of the project alone).
func loadNotifyVector(tb testing.TB) (notifyVector, *x509.Certificate, bool) {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "vectors", "wechatpay_v3_notify.json"))
	if errors.Is(err, os.ErrNotExist) {
		return notifyVector{}, nil, false
	}
	if err != nil {
		tb.Fatal(err)
	}
	var v notifyVector
	if err := json.Unmarshal(raw, &v); err != nil {
		tb.Fatal(err)
	}
	block, _ := pem.Decode([]byte(v.CertificatePEM))
	if block == nil {
		tb.Fatal("vector certificate is not PEM")
		return notifyVector{}, nil, false
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		tb.Fatal(err)
	}
	return v, cert, true
}

func (v notifyVector) header() http.Header {
	h := http.Header{}
	for k, val := range v.Headers {
		h.Set(k, val)
	}
	return h
}

// vectorChannel is a channel with the vector's APIv3 key (16 bytes) and
// platform certificate, its clock at now_unix.
func vectorChannel(tb testing.TB, v notifyVector, cert *x509.Certificate, now time.Time) *wechatpay.Channel {
	tb.Helper()
	cfg := testConfig()
	cfg.APIv3Key = v.APIv3Key
	ch, err := wechatpay.New(cfg, wechatpay.WithPlatformCertificates(cert), wechatpay.WithClock(clock.NewFake(now)))
	if err != nil {
		tb.Fatal(err)
	}
	return ch
}

func TestVectorNotification(t *testing.T) {
	v, cert, ok := loadNotifyVector(t)
	if !ok {
		t.Skip("../shared/vectors/wechatpay_v3_notify.json not present")
	}
	now := time.Unix(v.NowUnix, 0)
	if got := wechatpay.CertificateSerial(cert); got != v.Headers["Wechatpay-Serial"] {
		t.Fatalf("certificate serial %q, header names %q", got, v.Headers["Wechatpay-Serial"])
	}
	ch := vectorChannel(t, v, cert, now)
	n, err := ch.VerifyNotification(context.Background(), v.header(), []byte(v.Body))
	if err != nil {
		t.Fatalf("VerifyNotification: %v", err)
	}
	if n.ID != v.Expected.ID || n.EventType != v.Expected.EventType || n.Summary != v.Expected.Summary || string(n.Plaintext) != v.Expected.Plaintext {
		t.Errorf("notification = %+v, plaintext %s", n, n.Plaintext)
	}
	if n.Resource.AssociatedData != "payscore" || !n.CreateTime.Equal(time.Date(2021, 6, 24, 8, 37, 26, 0, time.UTC)) {
		t.Errorf("resource = %+v, created %v", n.Resource, n.CreateTime)
	}
	// The lower-level pieces agree.
	plain, err := wechatpay.DecryptResource(v.APIv3Key, n.Resource)
	if err != nil || string(plain) != v.Expected.Plaintext {
		t.Errorf("DecryptResource = %q, %v", plain, err)
	}
	// Verified, but PAYSCORE is not a payment event.
	_, err = ch.ParseCallback(callbackRequest(v.header(), []byte(v.Body)))
	wantErr(t, err, channel.ErrUnsupported)

	t.Run("tampered body", func(t *testing.T) {
		body := bytes.Replace([]byte(v.Body), []byte("签约成功"), []byte("签约失败"), 1)
		_, err := ch.VerifyNotification(context.Background(), v.header(), body)
		wantErr(t, err, channel.ErrBadSignature)
	})
	t.Run("stale at now+301s", func(t *testing.T) {
		late := vectorChannel(t, v, cert, now.Add(301*time.Second))
		_, err := late.VerifyNotification(context.Background(), v.header(), []byte(v.Body))
		wantErr(t, err, channel.ErrStale)
	})
	t.Run("wrong APIv3 key", func(t *testing.T) {
		vv := v
		vv.APIv3Key = "testMchAPIv3Key1"
		_, err := vectorChannel(t, vv, cert, now).VerifyNotification(context.Background(), v.header(), []byte(v.Body))
		wantErr(t, err, channel.ErrBadSignature)
	})
}
