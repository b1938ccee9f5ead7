package im

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"log/slog"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// Device is an IM client registered with the payment subsystem: the
// customer it pays for, the Ed25519 key it signs its messages with (the
// envelope's SenderID is the device ID) and the HPKE key the subsystem
// seals its prompts to.
type Device struct {
	// ID names the device; it is the SenderID of its envelopes. 1 to 64
	// letters, digits and "-_.:", and not "subsystem".
	ID string `json:"id"`
	// CustomerID is the account platform's customer the device pays for.
	CustomerID string `json:"customer_id"`
	// SigningKey verifies the device's messages.
	SigningKey ed25519.PublicKey `json:"signing_key"`
	// SealKey is what the subsystem seals prompts to.
	SealKey PublicKey `json:"seal_key"`
	// CreatedAt is when the device was registered (set by RegisterDevice).
	CreatedAt time.Time `json:"created_at"`
}

// SubsystemSender is the SenderID of every prompt the payment subsystem
// seals; no device may take it.
const SubsystemSender = "subsystem"

// maxDeviceID bounds device IDs.
const maxDeviceID = 64

// clone returns a copy of d that shares no bytes with it.
func (d Device) clone() Device {
	d.SigningKey = bytes.Clone(d.SigningKey)
	return d
}

// LogValue logs the device by ID, customer and key IDs.
func (d Device) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", d.ID), slog.String("customer_id", d.CustomerID), slog.String("seal_key", d.SealKey.String()))
}

// RegisterDevice registers an IM client for a customer of the platform.
// Registering the same device again with the same customer and keys
// returns the registered device; a device ID taken with other keys is
// pay.ErrConflict (a device that changes keys registers under a new ID).
func (s *Subsystem) RegisterDevice(ctx context.Context, d Device) (Device, error) {
	if err := relayCheckName("id", d.ID); err != nil || len(d.ID) > maxDeviceID {
		return Device{}, pay.Errorf(pay.ErrInvalidRequest, "id", "a device ID is 1 to %d letters, digits and -_.:", maxDeviceID)
	}
	if d.ID == SubsystemSender {
		return Device{}, pay.Errorf(pay.ErrInvalidRequest, "id", "the device ID %q is reserved", SubsystemSender)
	}
	if len(d.SigningKey) != ed25519.PublicKeySize {
		return Device{}, pay.Errorf(ErrKey, "signing_key", "an Ed25519 public key is %d bytes", ed25519.PublicKeySize)
	}
	if d.SealKey.IsZero() {
		return Device{}, pay.Errorf(ErrKey, "seal_key", "the device's seal key is required")
	}
	if _, err := s.platform.Customer(ctx, d.CustomerID); err != nil {
		return Device{}, err
	}
	d = d.clone()
	d.CreatedAt = s.clock.Now().UTC()
	err := s.store.CreateDevice(ctx, d)
	if err == nil {
		s.log.InfoContext(ctx, "im: device registered", "device", d)
		return d, nil
	}
	old, gerr := s.store.Device(ctx, d.ID)
	if gerr == nil && old.CustomerID == d.CustomerID && old.SigningKey.Equal(d.SigningKey) && old.SealKey.Equal(d.SealKey) {
		return old, nil
	}
	return Device{}, err
}

// Device returns a registered device.
func (s *Subsystem) Device(ctx context.Context, id string) (Device, error) {
	return s.store.Device(ctx, id)
}
