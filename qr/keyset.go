package qr

import (
	"bytes"
	"cmp"
	"crypto/ed25519"
	"slices"
	"sync"

	"github.com/paykit-go/paykit/pay"
)

// KeySet is the set of issuer public keys a verifier trusts, by key ID. It
// makes key rotation a matter of configuration: add the new key and sign
// with it, keep the old one until the last card it signed has expired,
// then remove it. A key ID always names one key: Add refuses a different
// key under an ID it knows. KeySet is safe for concurrent use; the zero
// value is not, use NewKeySet.
type KeySet struct {
	mu   sync.RWMutex
	keys map[uint32]ed25519.PublicKey
}

// NewKeySet returns an empty KeySet.
func NewKeySet() *KeySet {
	return &KeySet{keys: make(map[uint32]ed25519.PublicKey)}
}

// Add trusts pub under keyID. Adding the same key again is a no-op; a
// different key under a known ID is refused with pay.ErrConflict (remove
// the old one first, deliberately). pub must be 32 bytes.
func (k *KeySet) Add(keyID uint32, pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return pay.Errorf(pay.ErrInvalidRequest, "public_key", "an Ed25519 public key has %d bytes", ed25519.PublicKeySize)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if old, ok := k.keys[keyID]; ok {
		if bytes.Equal(old, pub) {
			return nil
		}
		return pay.Errorf(pay.ErrConflict, "key_id", "key ID %d already names a different key", keyID)
	}
	k.keys[keyID] = bytes.Clone(pub)
	return nil
}

// Remove stops trusting keyID; cards it signed then fail with
// ErrCardUnknownKey. Removing an unknown ID is a no-op.
func (k *KeySet) Remove(keyID uint32) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.keys, keyID)
}

// Key returns a copy of the public key under keyID, and whether there is one.
func (k *KeySet) Key(keyID uint32) (ed25519.PublicKey, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	pub, ok := k.keys[keyID]
	if !ok {
		return nil, false
	}
	return bytes.Clone(pub), true
}

// TrustedKey is one key of a KeySet: its ID and Ed25519 public key (base64
// in JSON).
type TrustedKey struct {
	KeyID     uint32            `json:"key_id"`
	PublicKey ed25519.PublicKey `json:"public_key"`
}

// Keys lists the trusted keys in key ID order, copies included.
func (k *KeySet) Keys() []TrustedKey {
	k.mu.RLock()
	out := make([]TrustedKey, 0, len(k.keys))
	for id, pub := range k.keys {
		out = append(out, TrustedKey{KeyID: id, PublicKey: bytes.Clone(pub)})
	}
	k.mu.RUnlock()
	slices.SortFunc(out, func(a, b TrustedKey) int { return cmp.Compare(a.KeyID, b.KeyID) })
	return out
}

// KeySetOf builds a KeySet from listed keys, e.g. those a terminal fetched
// from GET /v1/qr/keys.
func KeySetOf(keys []TrustedKey) (*KeySet, error) {
	ks := NewKeySet()
	for _, k := range keys {
		if err := ks.Add(k.KeyID, k.PublicKey); err != nil {
			return nil, err
		}
	}
	return ks, nil
}
