package token

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash"
	"strings"

	"github.com/paykit-go/paykit/pay"
)

// A cryptogram proves that whoever presents a token holds the token's key
// (on a phone, in its SIM or HCE applet) and binds one use: the token, the
// amount, the currency, the merchant, a transaction counter and an
// unpredictable number the terminal chose. The vault accepts each
// cryptogram at most once (its counter must exceed every counter accepted
// before), and any change of amount or merchant makes it fail.
//
// Wire form: unpadded base64url of
//
//	version (1 byte, 1) | counter (4 bytes, big-endian) | n (1 byte, 4..16) | unpredictable number (n bytes) | MAC (16 bytes)
//
// where MAC is HMAC-SHA256, truncated to 16 bytes, under the token's key,
// over "paykit/token/cryptogram/v1", then the token, currency and merchant
// (each preceded by its length in one byte), the amount (8 bytes, big-endian,
// minor units), the counter and the unpredictable number (with its length).

// Cryptogram is a decoded cryptogram.
type Cryptogram struct {
	Counter uint32
	Nonce   []byte // the terminal's unpredictable number, 4 to 16 bytes
	MAC     [macLen]byte
}

// CryptogramInput is what a cryptogram binds.
type CryptogramInput struct {
	Token      string
	Amount     pay.Money
	MerchantID string
	Counter    uint32
	Nonce      []byte
}

const (
	cryptogramVersion = 1
	macLen            = 16
	minNonce          = 4
	maxNonce          = 16
	// KeySize is the length of a token's cryptogram key.
	KeySize = 32
	// maxCryptogramText bounds the text form before decoding.
	maxCryptogramText = 64
)

var macLabel = []byte("paykit/token/cryptogram/v1")

// NewCryptogram computes the cryptogram for in under key (the token's key,
// given to the device when the token was issued). Devices call it; so do
// tests.
func NewCryptogram(key []byte, in CryptogramInput) (string, error) {
	if len(key) != KeySize {
		return "", errors.New("token: a cryptogram key has 32 bytes")
	}
	if len(in.Nonce) < minNonce || len(in.Nonce) > maxNonce {
		return "", errors.New("token: the unpredictable number has 4 to 16 bytes")
	}
	if len(in.Token) > 255 || len(in.Amount.Currency) > 255 || len(in.MerchantID) > 255 {
		return "", errors.New("token: token, currency and merchant are at most 255 bytes")
	}
	c := Cryptogram{Counter: in.Counter, Nonce: in.Nonce}
	c.MAC = mac(newMACState(key), in)
	return c.String(), nil
}

// String is the wire form.
func (c Cryptogram) String() string {
	b := make([]byte, 0, 6+len(c.Nonce)+macLen)
	b = append(b, cryptogramVersion)
	b = binary.BigEndian.AppendUint32(b, c.Counter)
	b = append(b, byte(len(c.Nonce)))
	b = append(b, c.Nonce...)
	b = append(b, c.MAC[:]...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ParseCryptogram decodes the wire form. It checks the shape only; the
// vault checks the MAC and the counter.
func ParseCryptogram(s string) (Cryptogram, error) {
	if len(s) > maxCryptogramText {
		return Cryptogram{}, errors.New("token: cryptogram too long")
	}
	// Strict rejects padding and non-zero trailing bits but, like every
	// base64 decoder here, skips CR and LF; refusing those leaves one
	// spelling per cryptogram.
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || strings.ContainsAny(s, "\r\n") {
		return Cryptogram{}, errors.New("token: a cryptogram is unpadded base64url")
	}
	if len(b) < 6 || b[0] != cryptogramVersion {
		return Cryptogram{}, errors.New("token: unknown cryptogram version")
	}
	n := int(b[5])
	if n < minNonce || n > maxNonce || len(b) != 6+n+macLen {
		return Cryptogram{}, errors.New("token: malformed cryptogram")
	}
	c := Cryptogram{Counter: binary.BigEndian.Uint32(b[1:5]), Nonce: b[6 : 6+n]}
	copy(c.MAC[:], b[6+n:])
	return c, nil
}

// verify reports whether c is the cryptogram of in under the MAC h (keyed
// with the token's key), in constant time.
func (c Cryptogram) verify(h *macState, in CryptogramInput) bool {
	in.Counter, in.Nonce = c.Counter, c.Nonce
	want := mac(h, in)
	return hmac.Equal(want[:], c.MAC[:])
}

// macState is a keyed HMAC with the buffer its input is built in, so a
// MAC is one Write and allocates nothing.
type macState struct {
	h   hash.Hash
	buf []byte
	sum []byte
}

func newMACState(key []byte) *macState {
	return &macState{h: hmac.New(sha256.New, key), buf: make([]byte, 0, 128), sum: make([]byte, 0, sha256.Size)}
}

func mac(st *macState, in CryptogramInput) [macLen]byte {
	b := append(st.buf[:0], macLabel...)
	for _, s := range []string{in.Token, in.Amount.Currency, in.MerchantID} {
		b = append(b, byte(len(s)))
		b = append(b, s...)
	}
	b = binary.BigEndian.AppendUint64(b, uint64(in.Amount.Amount))
	b = binary.BigEndian.AppendUint32(b, in.Counter)
	b = append(b, byte(len(in.Nonce)))
	b = append(b, in.Nonce...)
	st.buf = b
	st.h.Reset()
	st.h.Write(b)
	st.sum = st.h.Sum(st.sum[:0])
	var out [macLen]byte
	copy(out[:], st.sum)
	return out
}

// deriveKey is the cryptogram key of one token: HKDF-SHA256 of the vault's
// master key, salted with the token's ID.
func deriveKey(master []byte, tokenID string) []byte {
	k, err := hkdf.Key(sha256.New, master, []byte(tokenID), "paykit/token/cryptogram-key/v1", KeySize)
	if err != nil {
		panic("token: hkdf: " + err.Error()) // only for lengths out of range, which KeySize is not
	}
	return k
}
