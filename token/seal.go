package token

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"sync"
)

// keys are the vault's working keys, each derived from the master key with
// HKDF under its own label, so no key serves two purposes.
type keys struct {
	master []byte
	seal   cipher.AEAD // AES-256-GCM sealing account numbers at rest
	finger *sync.Pool  // HMACs keyed for number fingerprints
	conv   *sync.Pool  // HMACs keyed for convergent-issue lookups
}

// hmacPool pools HMAC-SHA256 states keyed with key, so each fingerprint
// costs one Reset instead of keying a new HMAC.
func hmacPool(key []byte) *sync.Pool {
	return &sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}
}

func newKeys(master []byte) (*keys, error) {
	if len(master) < 32 {
		return nil, errors.New("token: the master key needs at least 32 bytes")
	}
	derive := func(label string) []byte {
		k, _ := hkdf.Key(sha256.New, master, nil, "paykit/token/"+label, 32)
		return k
	}
	block, err := aes.NewCipher(derive("seal/v1"))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &keys{master: append([]byte(nil), master...), seal: aead, finger: hmacPool(derive("fingerprint/v1")), conv: hmacPool(derive("convergent/v1"))}, nil
}

// sealAccount encrypts an account number, bound to the token's ID.
func (k *keys) sealAccount(tokenID, account string) []byte {
	nonce := make([]byte, k.seal.NonceSize(), k.seal.NonceSize()+len(account)+k.seal.Overhead())
	_, _ = rand.Read(nonce)
	return k.seal.Seal(nonce, nonce, []byte(account), []byte(tokenID))
}

// openAccount decrypts what sealAccount sealed for tokenID.
func (k *keys) openAccount(tokenID string, sealed []byte) (string, error) {
	n := k.seal.NonceSize()
	if len(sealed) < n {
		return "", errors.New("token: sealed account too short")
	}
	b, err := k.seal.Open(nil, sealed[:n], sealed[n:], []byte(tokenID))
	if err != nil {
		return "", errors.New("token: sealed account does not open under this vault's key")
	}
	return string(b), nil
}

// fingerprint identifies a number without revealing it, so the store can
// tell that a token would equal a vaulted account number (or the reverse)
// while holding neither in clear.
func (k *keys) fingerprint(number string) string {
	return k.hmac(k.finger, number)
}

// convergentKey names (requestor, domain, account type, account) for
// convergent issue.
func (k *keys) convergentKey(requestor, domain string, t AccountType, account string) string {
	return k.hmac(k.conv, requestor, domain, string(t), account)
}

func (k *keys) hmac(pool *sync.Pool, parts ...string) string {
	h := pool.Get().(hash.Hash)
	defer pool.Put(h)
	h.Reset()
	for _, p := range parts {
		h.Write([]byte{byte(len(p) >> 8), byte(len(p))})
		h.Write([]byte(p))
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:24])
}
