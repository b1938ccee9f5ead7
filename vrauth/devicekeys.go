package vrauth

import (
	"context"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/verify"
)

// DeviceKeyRequest registers a device key for a user (POST
// /v1/vr/users/{user_id}/keys): a phone's biometric-gated key or the key
// of a bound service-providing device (SIM, SD, USB, eSIM), as a PKIX DER
// public key (ECDSA P-256 or Ed25519; base64 in JSON).
type DeviceKeyRequest struct {
	DeviceID  string         `json:"device_id"`
	Kind      verify.KeyKind `json:"kind"`
	PublicKey []byte         `json:"public_key"`
	// CodeID and Code are a fresh SMS code from SendKeyCode: a new
	// factor is added only by whoever holds the enrolled mobile.
	CodeID string `json:"code_id"`
	Code   string `json:"code"`
}

// String keeps the code out of logs.
func (r DeviceKeyRequest) String() string {
	return "vrauth.DeviceKeyRequest{device " + r.DeviceID + ", kind " + string(r.Kind) + ", code [redacted]}"
}

// RegisterDeviceKey lets a device answer biometric or device-presence
// challenges for a verified user. Policies that accept those methods
// then count them as inherence or possession factors, so registering one
// takes a fresh SMS code (SendKeyCode) to the enrolled mobile: a stolen
// payment password alone can't add the second factor it needs.
func (s *Service) RegisterDeviceKey(ctx context.Context, userID string, req DeviceKeyRequest) error {
	if err := pay.CheckText("device_id", req.DeviceID, true, 64); err != nil {
		return err
	}
	u, err := s.user(ctx, userID)
	if err != nil {
		return err
	}
	if u.Status != UserVerified {
		return pay.Errorf(ErrNotVerified, "user_id", "only a verified user may register device keys")
	}
	pub, err := verify.ParsePublicKey(req.PublicKey)
	if err != nil {
		return err
	}
	if err := s.otps.Check(ctx, verify.Subject{UserID: u.ID}, purposeKey, req.CodeID, req.Code); err != nil {
		return err
	}
	return s.keys.Register(ctx, verify.Subject{UserID: u.ID, DeviceID: req.DeviceID}, req.Kind, pub)
}

// SendKeyCode texts the code that authorizes registering a device key.
func (s *Service) SendKeyCode(ctx context.Context, userID string) (ResetCode, error) {
	return s.sendCode(ctx, userID, purposeKey, "register device keys")
}
