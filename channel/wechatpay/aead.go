package wechatpay

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"

	"github.com/paykit-go/paykit/channel"
)

// AlgorithmAEAD is the only encryption WeChat Pay API v3 uses for callback
// resources and downloaded certificates.
const AlgorithmAEAD = "AEAD_AES_256_GCM"

// gcmNonceSize is the length of WeChat's nonce strings, used as the GCM
// nonce bytes as they are.
const gcmNonceSize = 12

// Resource is an encrypted payload: the "resource" of a callback or the
// "encrypt_certificate" of a downloaded certificate.
type Resource struct {
	// Algorithm is AEAD_AES_256_GCM.
	Algorithm string `json:"algorithm"`
	// Ciphertext is base64(ciphertext || 16-byte GCM tag).
	Ciphertext string `json:"ciphertext"`
	// AssociatedData is authenticated but not encrypted; may be empty.
	AssociatedData string `json:"associated_data"`
	// OriginalType names the plaintext's type ("transaction", "refund", …).
	OriginalType string `json:"original_type,omitempty"`
	// Nonce is the 12-character GCM nonce.
	Nonce string `json:"nonce"`
}

// DecryptResource opens r with the APIv3 key: AES-GCM with r.Nonce as the
// nonce and r.AssociatedData as additional data. The key is 32 bytes for
// AEAD_AES_256_GCM proper; 16 or 24 bytes select AES-128/192-GCM, which the
// published test vectors use. An unknown algorithm, bad base64 or a nonce of
// the wrong size is ErrMalformed; a ciphertext that does not authenticate
// under the key (a forgery, or the wrong key) is ErrBadSignature. Errors never
// carry the key or the ciphertext.
func DecryptResource(apiV3Key string, r Resource) ([]byte, error) {
	if !validAPIv3KeyLen(len(apiV3Key)) {
		return nil, channel.Errorf(channel.ErrMalformed, "APIv3Key", "wechatpay: APIv3 key must be 16, 24 or 32 bytes")
	}
	return openResource(newGCM([]byte(apiV3Key)), r)
}

// newGCM builds the AEAD for a key whose length was validated.
func newGCM(key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic("wechatpay: AES key length was validated: " + err.Error())
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		panic("wechatpay: standard GCM: " + err.Error())
	}
	return gcm
}

func openResource(gcm cipher.AEAD, r Resource) ([]byte, error) {
	if r.Algorithm != AlgorithmAEAD {
		return nil, channel.Errorf(channel.ErrMalformed, "resource.algorithm", "wechatpay: resource algorithm %q is not %s", clip(r.Algorithm), AlgorithmAEAD)
	}
	if len(r.Nonce) != gcmNonceSize {
		return nil, channel.Errorf(channel.ErrMalformed, "resource.nonce", "wechatpay: resource nonce must be %d bytes", gcmNonceSize)
	}
	ct, err := base64.StdEncoding.DecodeString(r.Ciphertext)
	if err != nil || len(ct) < gcm.Overhead() {
		return nil, channel.Errorf(channel.ErrMalformed, "resource.ciphertext", "wechatpay: resource ciphertext is not base64 of at least one GCM tag")
	}
	plain, err := gcm.Open(ct[:0], []byte(r.Nonce), ct, []byte(r.AssociatedData))
	if err != nil {
		return nil, channel.Errorf(channel.ErrBadSignature, "resource.ciphertext", "wechatpay: resource does not authenticate under the APIv3 key")
	}
	return plain, nil
}
