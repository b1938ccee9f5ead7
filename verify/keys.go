package verify

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/x509"
	"slices"
	"sync"

	"github.com/paykit-go/paykit/pay"
)

// KeyKind says what holds a device key and so which method it serves.
type KeyKind string

// Key kinds. A phone's biometric-gated key (secure enclave, StrongBox)
// answers biometric challenges; a service-providing device's key (a SIM,
// SD or USB secure element, or an eSIM) answers device-presence challenges.
const (
	KeyBiometric KeyKind = "biometric" // a phone's biometric-gated key
	KeySIM       KeyKind = "sim"       // a SIM card applet's key
	KeySD        KeyKind = "sd"        // a secure SD card's key
	KeyUSB       KeyKind = "usb"       // a USB security token's key
	KeyESIM      KeyKind = "esim"      // an eSIM profile's key
)

// presence reports whether k is a service-providing device's key.
func (k KeyKind) presence() bool {
	return k == KeySIM || k == KeySD || k == KeyUSB || k == KeyESIM
}

func (k KeyKind) valid() bool { return k == KeyBiometric || k.presence() }

// maxPublicKeyDER bounds a DER public key before it is parsed; a P-256 or
// Ed25519 SubjectPublicKeyInfo is 91 or 44 bytes.
const maxPublicKeyDER = 512

// DeviceKeys is the registry of device public keys: per user and device,
// at most one biometric key and one service-providing device key (SIM, SD,
// USB or eSIM; a device has one bound at a time). Keys are ECDSA P-256,
// what phone secure enclaves and SIM applets use, or Ed25519. The registry
// also keeps each biometric key's last accepted signature counter. Safe for
// concurrent use; state is in memory.
type DeviceKeys struct {
	mu   sync.Mutex
	keys map[keySlot]*deviceKey
}

// keySlot is where a key lives: a user's device, biometric or presence.
type keySlot struct {
	user, device string
	presence     bool
}

type deviceKey struct {
	kind    KeyKind
	pub     crypto.PublicKey
	counter uint32 // the last accepted biometric signature counter
}

// NewDeviceKeys returns an empty registry.
func NewDeviceKeys() *DeviceKeys { return &DeviceKeys{keys: map[keySlot]*deviceKey{}} }

// Register binds pub, of the given kind, to s (user and device; both
// required). A device holds one biometric key and one service-providing
// device key; registering a second of either is pay.ErrConflict (Remove the
// old one first), so a key is never silently replaced. pub must be an
// ECDSA P-256 or Ed25519 public key.
func (d *DeviceKeys) Register(ctx context.Context, s Subject, kind KeyKind, pub crypto.PublicKey) error {
	if err := checkSubject(s, true); err != nil {
		return err
	}
	if !kind.valid() {
		return pay.Errorf(pay.ErrInvalidRequest, "kind", "unknown key kind %q", pay.Clip(string(kind), 16))
	}
	key, err := normalizeDeviceKey(pub)
	if err != nil {
		return err
	}
	slot := keySlot{user: s.UserID, device: s.DeviceID, presence: kind.presence()}
	d.mu.Lock()
	defer d.mu.Unlock()
	if old, ok := d.keys[slot]; ok {
		return pay.Errorf(pay.ErrConflict, "kind", "the device already has a %s key; remove it first", old.kind)
	}
	d.keys[slot] = &deviceKey{kind: kind, pub: key}
	return nil
}

// Remove unbinds s's key of the given kind. ErrNotSetUp if there is none.
func (d *DeviceKeys) Remove(ctx context.Context, s Subject, kind KeyKind) error {
	if err := checkSubject(s, true); err != nil {
		return err
	}
	slot := keySlot{user: s.UserID, device: s.DeviceID, presence: kind.presence()}
	d.mu.Lock()
	defer d.mu.Unlock()
	if k, ok := d.keys[slot]; !ok || k.kind != kind {
		return pay.Errorf(ErrNotSetUp, "kind", "the device has no %s key", pay.Clip(string(kind), 16))
	}
	delete(d.keys, slot)
	return nil
}

// lookup returns s's biometric key (presence false) or service-providing
// device key (presence true).
func (d *DeviceKeys) lookup(s Subject, presence bool) (*deviceKey, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	k, ok := d.keys[keySlot{user: s.UserID, device: s.DeviceID, presence: presence}]
	return k, ok
}

// advanceCounter records counter as k's last accepted biometric counter if
// it is acceptable: greater than the last, or 0 while the last is 0 (an
// authenticator that does not count). It fails if k was removed meanwhile.
func (d *DeviceKeys) advanceCounter(s Subject, k *deviceKey, counter uint32) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if cur := d.keys[keySlot{user: s.UserID, device: s.DeviceID}]; cur != k {
		return false
	}
	if counter > k.counter || counter == 0 && k.counter == 0 {
		k.counter = counter
		return true
	}
	return false
}

// ParsePublicKey parses a DER SubjectPublicKeyInfo (PKIX), as a device
// sends its key over HTTP, and accepts ECDSA P-256 and Ed25519 keys only.
func ParsePublicKey(der []byte) (crypto.PublicKey, error) {
	if len(der) == 0 || len(der) > maxPublicKeyDER {
		return nil, pay.Errorf(pay.ErrInvalidRequest, "public_key", "the public key must be 1 to %d bytes of DER", maxPublicKeyDER)
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, pay.Errorf(pay.ErrInvalidRequest, "public_key", "the public key is not a DER SubjectPublicKeyInfo")
	}
	return normalizeDeviceKey(pub)
}

// normalizeDeviceKey checks pub is a valid ECDSA P-256 point or a 32-byte
// Ed25519 key and returns a private copy of it.
func normalizeDeviceKey(pub crypto.PublicKey) (crypto.PublicKey, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k == nil || k.Curve != elliptic.P256() {
			break
		}
		raw, err := k.Bytes()
		if err != nil {
			return nil, pay.Errorf(pay.ErrInvalidRequest, "public_key", "the ECDSA key is not a valid P-256 point")
		}
		cp, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
		if err != nil {
			return nil, pay.Errorf(pay.ErrInvalidRequest, "public_key", "the ECDSA key is not a valid P-256 point")
		}
		return cp, nil
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return nil, pay.Errorf(pay.ErrInvalidRequest, "public_key", "an Ed25519 key is %d bytes", ed25519.PublicKeySize)
		}
		return ed25519.PublicKey(slices.Clone(k)), nil
	}
	return nil, pay.Errorf(pay.ErrInvalidRequest, "public_key", "device keys are ECDSA P-256 or Ed25519")
}
