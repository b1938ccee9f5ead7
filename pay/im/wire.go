package im

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// The wire form of an envelope, version 1. In text, for IM bodies:
//
//	"PKIM1." + base64url without padding of the binary form
//
// The binary form (all integers big-endian):
//
//	field         bytes     content
//	version       1         1
//	suite         1         1 (SuiteX25519) or 2 (SuiteHybrid)
//	message ID    16        Header.MessageID, decoded from base32
//	to            8         Header.To (the recipient key's ID), decoded from base32
//	timestamp     8         Header.Timestamp in Unix milliseconds, 1 to the end of year 9999
//	conversation  1 + n     length n (1–128), Header.ConversationID (printable ASCII, no space)
//	sender        1 + n     length n (1–128), Header.SenderID (printable ASCII, no space)
//	enc           32|1120   the HPKE encapsulated key (fixed by the suite)
//	ciphertext    rest      HPKE ciphertext of signature (64) ‖ payload, with its 16-byte tag
//
// Everything up to and including the sender is the header. It travels in
// clear, so that a relay can route by conversation and a recipient can pick
// its key, and it is bound twice: it is the HPKE info (after a label), so
// changing any of its bytes makes decryption fail, and the sender's Ed25519
// signature covers it. Every field has one encoding (fixed sizes, one
// length byte, canonical base32 and base64 with no stray bits), so an
// accepted text is the only text of its envelope.
const (
	// TextPrefix starts every envelope's text form; its digit is the
	// version.
	TextPrefix = "PKIM1."
	// MaxPayload is the longest payload Seal takes: room for a prompt
	// listing MaxBills bills with long descriptions.
	MaxPayload = 32 << 10
	// MaxIDLen is the longest conversation or sender ID, in bytes.
	MaxIDLen = 128
	// MaxText is the longest envelope text ParseEnvelope reads (a hybrid
	// envelope with the longest IDs and payload); longer text is
	// ErrTooLarge before anything is decoded.
	MaxText = len(TextPrefix) + (maxBinary*8+5)/6

	wireVersion    = 1
	messageIDBytes = 16
	keyIDBytes     = 8
	fixedHeaderLen = 1 + 1 + messageIDBytes + keyIDBytes + 8 + 1 + 1
	sigLen         = ed25519.SignatureSize
	maxBinary      = fixedHeaderLen + 2*MaxIDLen + hybridEncLen + aeadTagLen + sigLen + MaxPayload
	// maxMillis is 9999-12-31T23:59:59.999Z in Unix milliseconds.
	maxMillis = 253402300799999
)

// Labels that keep this package's HPKE info and signatures apart from any
// other use of the same keys.
const (
	infoLabel = "paykit/im/v1 envelope\x00"
	sigLabel  = "paykit/im/v1 signature\x00"
)

// headerProblem checks that h can travel: it returns the field at fault and
// why, or two empty strings. It never quotes the field's value.
func headerProblem(h Header) (param, why string) {
	if _, ok := decodeB32(h.MessageID, messageIDBytes); !ok {
		return "message_id", "the message ID is not 26 base32 characters (NewMessageID)"
	}
	if _, ok := decodeB32(h.To, keyIDBytes); !ok {
		return "to", "the recipient is not a key ID (PublicKey.ID)"
	}
	if ms := h.Timestamp.UnixMilli(); h.Timestamp.IsZero() || ms < 1 || ms > maxMillis {
		return "timestamp", "the timestamp is not set or out of range"
	}
	if !validWireID(h.ConversationID) {
		return "conversation_id", "the conversation ID is not 1–128 printable ASCII characters without spaces"
	}
	if !validWireID(h.SenderID) {
		return "sender_id", "the sender ID is not 1–128 printable ASCII characters without spaces"
	}
	return "", ""
}

// validWireID reports whether s can be a conversation or sender ID.
func validWireID(s string) bool {
	if len(s) == 0 || len(s) > MaxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// appendHeader appends the binary header of an envelope of suite s; h
// must have passed headerProblem.
func appendHeader(dst []byte, s Suite, h Header) []byte {
	id, _ := decodeB32(h.MessageID, messageIDBytes)
	to, _ := decodeB32(h.To, keyIDBytes)
	dst = append(dst, wireVersion, byte(s))
	dst = append(dst, id...)
	dst = append(dst, to...)
	dst = binary.BigEndian.AppendUint64(dst, uint64(h.Timestamp.UnixMilli()))
	dst = append(dst, byte(len(h.ConversationID)))
	dst = append(dst, h.ConversationID...)
	dst = append(dst, byte(len(h.SenderID)))
	return append(dst, h.SenderID...)
}

// headerLen is the length of h's binary header.
func headerLen(h Header) int {
	return fixedHeaderLen + len(h.ConversationID) + len(h.SenderID)
}

// malformed returns an ErrMalformed naming param.
func malformed(param, why string) error { return pay.Errorf(ErrMalformed, param, "%s", why) }

// parseBinary reads an envelope's binary form strictly.
func parseBinary(b []byte) (Envelope, error) {
	if len(b) < fixedHeaderLen {
		return Envelope{}, malformed("", "the envelope is truncated")
	}
	if b[0] != wireVersion {
		return Envelope{}, malformed("version", "unknown envelope version")
	}
	s := Suite(b[1])
	if !s.Valid() {
		return Envelope{}, malformed("suite", "unknown suite")
	}
	var h Header
	h.MessageID = b32.EncodeToString(b[2 : 2+messageIDBytes])
	h.To = b32.EncodeToString(b[18 : 18+keyIDBytes])
	ms := binary.BigEndian.Uint64(b[26:34])
	if ms < 1 || ms > maxMillis {
		return Envelope{}, malformed("timestamp", "the timestamp is out of range")
	}
	h.Timestamp = time.UnixMilli(int64(ms)).UTC()
	rest := b[34:]
	var ok bool
	if h.ConversationID, rest, ok = cutWireID(rest); !ok {
		return Envelope{}, malformed("conversation_id", "the conversation ID is truncated or not 1–128 printable ASCII characters")
	}
	if h.SenderID, rest, ok = cutWireID(rest); !ok {
		return Envelope{}, malformed("sender_id", "the sender ID is truncated or not 1–128 printable ASCII characters")
	}
	min := s.encLen() + aeadTagLen + sigLen
	if len(rest) < min {
		return Envelope{}, malformed("", "the envelope is truncated")
	}
	if len(rest) > min+MaxPayload {
		return Envelope{}, pay.Errorf(ErrTooLarge, "", "the payload is longer than %d bytes", MaxPayload)
	}
	return Envelope{Header: h, Suite: s, sealed: rest}, nil
}

// cutWireID reads a length byte and that many bytes of a valid ID.
func cutWireID(b []byte) (id string, rest []byte, ok bool) {
	if len(b) < 1 || len(b)-1 < int(b[0]) {
		return "", nil, false
	}
	id = string(b[1 : 1+int(b[0])])
	return id, b[1+int(b[0]):], validWireID(id)
}

// decodeB32 decodes n bytes from canonical lower-case unpadded base32: the
// only spelling b32.EncodeToString gives for them.
func decodeB32(s string, n int) ([]byte, bool) {
	if len(s) != b32.EncodedLen(n) {
		return nil, false
	}
	b, err := b32.DecodeString(s)
	if err != nil || len(b) != n || b32.EncodeToString(b) != s {
		return nil, false
	}
	return b, true
}

// decodeB64 decodes unpadded base64url strictly: only the 64 alphabet
// characters (the stdlib decoder would skip line breaks) and no stray bits
// in the last character.
func decodeB64(s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return nil, false
		}
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return b, err == nil
}
