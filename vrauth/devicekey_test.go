package vrauth_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"testing"

	"github.com/paykit-go/paykit/verify"
	"github.com/paykit-go/paykit/vrauth"
)

// A device key (a second factor) is registered only with a fresh SMS code
// to the enrolled mobile: without one, with a wrong one, or with a used
// one it is refused.
func TestRegisterDeviceKeyNeedsSMSCode(t *testing.T) {
	e := vtNew(t)
	u := e.user("Ann")
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	req := vrauth.DeviceKeyRequest{DeviceID: u.Headset, Kind: verify.KeySIM, PublicKey: der}
	if err := e.dev.RegisterDeviceKey(e.ctx, u.ID, req); err == nil {
		t.Fatal("a device key was registered without an SMS code")
	}
	rc, err := e.dev.SendKeyCode(e.ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	code := e.code(u.Mobile)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	req.CodeID, req.Code = rc.CodeID, wrong
	if err := e.dev.RegisterDeviceKey(e.ctx, u.ID, req); !errors.Is(err, verify.ErrFailed) {
		t.Fatalf("wrong code: %v; want verify.ErrFailed", err)
	}
	req.Code = code
	if err := e.dev.RegisterDeviceKey(e.ctx, u.ID, req); err != nil {
		t.Fatalf("right code: %v", err)
	}
	if err := e.dev.RegisterDeviceKey(e.ctx, u.ID, req); !errors.Is(err, verify.ErrReplayed) {
		t.Fatalf("the same code again: %v; want verify.ErrReplayed", err)
	}
}
