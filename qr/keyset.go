package qr

import (
	"bytes"
	"crypto/ed25519"
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
