package verify

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

// hbStart is the fake clocks' start in this package's tests.
var hbStart = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func hbClock() *clock.Fake { return clock.NewFake(hbStart) }

var (
	hbAlice       = Subject{UserID: "alice", DeviceID: "phone-1"}
	hbAlicePhone2 = Subject{UserID: "alice", DeviceID: "phone-2"}
	hbBob         = Subject{UserID: "bob", DeviceID: "phone-9"}
)

// hbIs fails unless err is a *pay.Error matching want.
func hbIs(t *testing.T, err error, want *pay.Error) *pay.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want %s", want.Code)
	}
	var pe *pay.Error
	if !errors.As(err, &pe) {
		t.Fatalf("err %T %v is not a *pay.Error", err, err)
	}
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want code %s", err, want.Code)
	}
	return pe
}

// hbIsMsg is hbIs and checks the message contains part.
func hbIsMsg(t *testing.T, err error, want *pay.Error, part string) {
	t.Helper()
	pe := hbIs(t, err, want)
	if !strings.Contains(pe.Message, part) {
		t.Fatalf("message %q does not contain %q", pe.Message, part)
	}
}

// hbNoLeak fails if err's text contains any of secrets.
func hbNoLeak(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Fatalf("error %q leaks %q", err, s)
		}
	}
}

func hbP256(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func hbEd25519(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// isCode reports whether err is a *pay.Error with the given code.
func isCode(err error, code string) bool {
	var pe *pay.Error
	return errors.As(err, &pe) && pe.Code == code
}
