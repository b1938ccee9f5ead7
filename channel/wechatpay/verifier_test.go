package wechatpay_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/channel/wechatpay"
	"github.com/paykit-go/paykit/internal/clock"
)

var (
	serialA = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
	serialB = "7132D72A03E93CDDF8C03BBD1F37EEDF204386C8"
)

func TestCertificateSerial(t *testing.T) {
	if got := wechatpay.CertificateSerial(testKeys().certA); got != serialA {
		t.Errorf("CertificateSerial = %q, want %q", got, serialA)
	}
}

// TestRotationWithoutRestart: WeChat starts signing with a new certificate
// B while A is still valid. The running channel learns B from
// /v3/certificates the first time it meets B's serial and then accepts
// both during the overlap.
func TestRotationWithoutRestart(t *testing.T) {
	f := newFake()
	defer f.Close()
	ch := newTestChannel(t, f, wechatpay.WithCertificateRefresh(12*time.Hour))
	ctx := context.Background()
	if _, err := ch.CreateCharge(ctx, qrCharge("order_rot_001")); err != nil {
		t.Fatal(err)
	}
	if n := f.downloads(); n != 1 {
		t.Fatalf("downloads before rotation = %d, want 1 (first use)", n)
	}
	oldSigner := f.currentSigner()

	f.rotate(testKeys().platformB, testKeys().certB)
	f.clock.Advance(2 * time.Minute)
	if _, err := ch.QueryCharge(ctx, "order_rot_001"); err != nil {
		t.Fatalf("first answer signed by B: %v", err)
	}
	if n := f.downloads(); n != 2 {
		t.Errorf("downloads = %d, want 2", n)
	}
	if diff := cmp.Diff([]string{serialA, serialB}, ch.Verifier().Serials()); diff != "" {
		t.Errorf("serials (-want +got):\n%s", diff)
	}
	// Overlap: callbacks signed by A and by B both verify, no more downloads.
	paid := notification{eventType: "TRANSACTION.SUCCESS", originalType: "transaction", resource: transactionResource("order_rot_001", "42000", 10000)}
	for _, s := range []platformSigner{oldSigner, f.currentSigner()} {
		if _, err := ch.ParseCallback(paid.request(s, f.clock.Now())); err != nil {
			t.Errorf("callback signed by %s: %v", s.serial, err)
		}
	}
	if n := f.downloads(); n != 2 {
		t.Errorf("downloads after overlap = %d, want 2", n)
	}
	// A retires: the operator removes it and only B verifies.
	ch.Verifier().Remove(serialA)
	_, err := ch.ParseCallback(paid.request(oldSigner, f.clock.Now()))
	wantErr(t, err, channel.ErrBadSignature)
}

// TestUnknownSerialRefreshIsRateLimited: a flood of callbacks naming
// unknown serials causes at most one download per minute.
func TestUnknownSerialRefreshIsRateLimited(t *testing.T) {
	f := newFake()
	defer f.Close()
	ch := newTestChannel(t, f, wechatpay.WithCertificateRefresh(24*time.Hour))
	if err := ch.RefreshCertificates(context.Background()); err != nil {
		t.Fatalf("RefreshCertificates: %v", err)
	}
	// Explicit downloads count too; let the gap pass first.
	f.clock.Advance(2 * time.Minute)
	forger := platformSigner{key: testKeys().merchant, serial: "DEADBEEF"}
	paid := notification{eventType: "TRANSACTION.SUCCESS", originalType: "transaction", resource: transactionResource("order_forge01", "1", 1)}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			_, err := ch.ParseCallback(paid.request(forger, f.clock.Now()))
			if err == nil {
				t.Error("forged callback accepted")
			}
		})
	}
	wg.Wait()
	if n := f.downloads(); n != 2 {
		t.Errorf("downloads = %d, want 2 (explicit + one for the unknown serial)", n)
	}
	f.clock.Advance(30 * time.Second)
	_, _ = ch.ParseCallback(paid.request(forger, f.clock.Now()))
	if n := f.downloads(); n != 2 {
		t.Errorf("downloads within the minute = %d, want 2", n)
	}
	f.clock.Advance(31 * time.Second)
	_, err := ch.ParseCallback(paid.request(forger, f.clock.Now()))
	wantErr(t, err, channel.ErrBadSignature)
	if n := f.downloads(); n != 3 {
		t.Errorf("downloads after the minute = %d, want 3", n)
	}
}

func TestPeriodicRefresh(t *testing.T) {
	f := newFake()
	defer f.Close()
	ch := newTestChannel(t, f, wechatpay.WithCertificateRefresh(12*time.Hour))
	ctx := context.Background()
	for range 3 {
		if _, err := ch.CreateCharge(ctx, qrCharge("order_period1")); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.downloads(); n != 1 {
		t.Errorf("downloads = %d, want 1", n)
	}
	f.clock.Advance(12 * time.Hour)
	if _, err := ch.QueryCharge(ctx, "order_period1"); err != nil {
		t.Fatal(err)
	}
	if n := f.downloads(); n != 2 {
		t.Errorf("downloads after the interval = %d, want 2", n)
	}
}

// TestBootstrapFromDownload: a channel that starts with no keys downloads
// them, authenticated by the APIv3 key, on first use.
func TestBootstrapFromDownload(t *testing.T) {
	f := newFake()
	defer f.Close()
	ch, err := wechatpay.New(testConfig(), append(f.channelOptions(), wechatpay.WithCertificateRefresh(time.Hour))...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ch.CreateCharge(context.Background(), qrCharge("order_boot_01")); err != nil {
		t.Fatalf("CreateCharge: %v", err)
	}
	if diff := cmp.Diff([]string{serialA}, ch.Verifier().Serials()); diff != "" {
		t.Errorf("serials (-want +got):\n%s", diff)
	}
}

func TestRefreshRejectsBadDownloads(t *testing.T) {
	tests := []struct {
		name   string
		change func(f *fakeWeChat)
		want   error
	}{
		{"certificates under another APIv3 key", func(f *fakeWeChat) { f.certAPIv3Key = "Z0123456789abcdefghijklmnopqrstu" }, channel.ErrBadSignature},
		{"answer signed by a stranger", func(f *fakeWeChat) { f.signer = platformSigner{key: testKeys().merchant, serial: serialA} }, channel.ErrBadSignature},
		{"stale answer", func(f *fakeWeChat) { f.answerSkew = -time.Hour }, channel.ErrStale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			defer f.Close()
			ch, err := wechatpay.New(testConfig(), append(f.channelOptions(), wechatpay.WithPlatformPublicKey(testPublicKeyID, &testKeys().platformB.PublicKey))...)
			if err != nil {
				t.Fatal(err)
			}
			f.set(tt.change)
			wantErr(t, ch.RefreshCertificates(context.Background()), tt.want)
			if diff := cmp.Diff([]string{testPublicKeyID}, ch.Verifier().Serials()); diff != "" {
				t.Errorf("key set changed (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPublicKeyMode: answers signed with the WeChat Pay public key, named
// by its PUB_KEY_ID_ serial.
func TestPublicKeyMode(t *testing.T) {
	f := newFake()
	defer f.Close()
	f.set(func(f *fakeWeChat) { f.signer = platformSigner{key: testKeys().platformB, serial: testPublicKeyID} })
	ch, err := wechatpay.New(testConfig(), append(f.channelOptions(), wechatpay.WithPlatformPublicKey(testPublicKeyID, &testKeys().platformB.PublicKey))...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ch.CreateCharge(context.Background(), qrCharge("order_pubkey1")); err != nil {
		t.Fatalf("CreateCharge: %v", err)
	}
	paid := notification{eventType: "TRANSACTION.SUCCESS", originalType: "transaction", resource: transactionResource("order_pubkey1", "4200", 10000)}
	if _, err := ch.ParseCallback(paid.request(f.currentSigner(), f.clock.Now())); err != nil {
		t.Fatalf("ParseCallback: %v", err)
	}
}

func TestVerifierDirect(t *testing.T) {
	v := wechatpay.NewVerifier(nil)
	k := testKeys()
	serial, err := v.AddCertificate(k.certA)
	if err != nil || serial != serialA {
		t.Fatalf("AddCertificate = %q, %v", serial, err)
	}
	msg := []byte("1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n{}\n")
	sig := rsaSign(k.platformA, string(msg))
	if err := v.Verify(serialA, msg, sig); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	for name, tc := range map[string]struct{ serial, msg, sig string }{
		"other message":  {serialA, "x", sig},
		"unknown serial": {serialB, string(msg), sig},
		"not base64":     {serialA, string(msg), "!!!"},
		"short":          {serialA, string(msg), sig[:40]},
	} {
		t.Run(name, func(t *testing.T) {
			wantErr(t, v.Verify(tc.serial, []byte(tc.msg), tc.sig), channel.ErrBadSignature)
		})
	}
	// Expired certificates stop verifying.
	late := wechatpay.NewVerifier(clock.NewFake(time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)))
	if _, err := late.AddCertificate(k.certA); err != nil {
		t.Fatal(err)
	}
	wantErr(t, late.Verify(serialA, msg, sig), channel.ErrBadSignature)
}

// TestVerifierConcurrentSwap runs verifications while keys are swapped;
// with -race it proves the Verifier is safe for concurrent use.
func TestVerifierConcurrentSwap(t *testing.T) {
	v := wechatpay.NewVerifier(nil)
	k := testKeys()
	if _, err := v.AddCertificate(k.certA); err != nil {
		t.Fatal(err)
	}
	msg := []byte("t\nn\nbody\n")
	sigA := rsaSign(k.platformA, string(msg))
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := v.Verify(serialA, msg, sigA); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for range 50 {
		if _, err := v.AddCertificate(k.certB); err != nil {
			t.Fatal(err)
		}
		v.Remove(serialB)
		_ = v.Serials()
	}
	close(stop)
	wg.Wait()
}
