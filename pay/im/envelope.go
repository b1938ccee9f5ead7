package im

import (
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/rand"
	"encoding/base64"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// Header is what an envelope says about itself in clear. It is bound into
// every envelope: it is the HPKE info, so any change to it fails
// decryption, and the sender's signature covers it.
type Header struct {
	// MessageID identifies the message: 16 random bytes in 26 lower-case
	// base32 characters (NewMessageID). The payment subsystem refuses an ID
	// it has seen (ErrReplay).
	MessageID string
	// ConversationID groups the messages of one payment conversation; the
	// relay stores and forwards by it. 1–128 printable ASCII characters
	// without spaces.
	ConversationID string
	// SenderID names the device (or "subsystem") whose Ed25519 key signed
	// the message; the recipient looks its key up by it. Same limits as
	// ConversationID.
	SenderID string
	// To is the ID of the recipient's key (PublicKey.ID). Seal fills it in
	// when it is empty.
	To string
	// Timestamp is when the message was sealed, kept to the millisecond
	// (Seal drops the rest); the subsystem refuses a stale one (ErrStale).
	Timestamp time.Time
}

// MessageIDLen is the length of a message ID: 16 bytes in base32.
const MessageIDLen = 26

// NewMessageID returns a fresh message ID: 16 bytes from crypto/rand in 26
// lower-case base32 characters.
func NewMessageID() string {
	var b [messageIDBytes]byte
	_, _ = rand.Read(b[:])
	return b32.EncodeToString(b[:])
}

// Envelope is a sealed message as ParseEnvelope read it: the header and
// suite, readable before opening (to route it and to pick the key) but not
// verified until Open succeeds, and the sealed part.
type Envelope struct {
	// Header is the unverified header. Open encodes it again to decrypt,
	// so a Header changed after parsing fails Open.
	Header Header
	// Suite is the suite the envelope was sealed with.
	Suite Suite

	sealed []byte // HPKE enc ‖ ciphertext
}

// Seal encrypts payload to the key to with HPKE in base mode (a fresh
// ephemeral key per message), and authenticates the sender with an Ed25519
// signature by signer, its device key, over a domain-separated encoding of
// the header and the payload; the signature travels inside the sealed
// plaintext, so only the recipient can see or check it. The header is
// encoded compactly (see the wire form in wire.go) and passed as the HPKE
// info, so any change to it fails decryption. h.To may be empty (Seal
// fills in to.ID()); if set, it must be to.ID().
//
// Seal returns the envelope's text form, safe for IM bodies: TextPrefix and
// unpadded base64url. A header that can't travel, a missing key or a
// payload over MaxPayload is pay.ErrInvalidRequest naming the field.
func Seal(h Header, to PublicKey, signer ed25519.PrivateKey, payload []byte) (string, error) {
	if to.IsZero() {
		return "", pay.Errorf(pay.ErrInvalidRequest, "to", "no recipient key")
	}
	if len(signer) != ed25519.PrivateKeySize {
		return "", pay.Errorf(pay.ErrInvalidRequest, "signer", "the signer is not an Ed25519 private key")
	}
	if h.To == "" {
		h.To = to.ID()
	} else if h.To != to.ID() {
		return "", pay.Errorf(pay.ErrInvalidRequest, "to", "the header names another recipient key")
	}
	if param, why := headerProblem(h); param != "" {
		return "", pay.Errorf(pay.ErrInvalidRequest, param, "%s", why)
	}
	if len(payload) > MaxPayload {
		return "", pay.Errorf(pay.ErrPayloadTooLarge, "payload", "the payload is longer than %d bytes", MaxPayload)
	}
	hb := appendHeader(make([]byte, 0, headerLen(h)+to.suite.encLen()+aeadTagLen+sigLen+len(payload)), to.suite, h)
	plain := make([]byte, 0, sigLen+len(payload))
	plain = append(plain, ed25519.Sign(signer, signedMessage(hb, payload))...)
	plain = append(plain, payload...)
	sealed, err := hpke.Seal(to.k, suiteKDF, suiteAEAD, hpkeInfo(hb), plain)
	if err != nil {
		// X25519 with a low-order public key, the only way a parsed key
		// fails here.
		return "", pay.Errorf(pay.ErrInvalidRequest, "to", "the recipient key does not work for %s", to.suite).Wrap(err)
	}
	return encodeText(append(hb, sealed...)), nil
}

// ParseEnvelope reads an envelope's text form strictly: TextPrefix,
// unpadded base64url without line breaks or stray bits, and the binary form
// of wire.go with every field within its limits and nothing after it. Text
// longer than MaxText is ErrTooLarge; anything else wrong is ErrMalformed.
// It decrypts nothing: the header it returns is not verified until Open.
func ParseEnvelope(text string) (Envelope, error) {
	if len(text) > MaxText {
		return Envelope{}, pay.Errorf(ErrTooLarge, "", "the envelope is longer than %d characters", MaxText)
	}
	if len(text) < len(TextPrefix) || text[:len(TextPrefix)] != TextPrefix {
		return Envelope{}, malformed("", "the text does not start with "+TextPrefix)
	}
	b, ok := decodeB64(text[len(TextPrefix):])
	if !ok {
		return Envelope{}, malformed("", "the envelope is not unpadded base64url")
	}
	return parseBinary(b)
}

// Open decrypts the envelope with k and checks who signed it. It returns
// ErrOpen when the envelope was sealed to another key or suite, or when any
// byte of it (header included) was altered; then it asks senderKey for the
// Ed25519 public key of the header's SenderID (ErrUnknownDevice when that
// fails, with the lookup's error as the in-process cause) and returns
// ErrSignature when the signature does not verify under it. Freshness and
// replay are the caller's to check (the timestamp, the message ID);
// Open only proves the header is the one the sender signed.
func (e Envelope) Open(k *PrivateKey, senderKey func(senderID string) (ed25519.PublicKey, error)) (payload []byte, err error) {
	if k == nil || senderKey == nil {
		return nil, pay.Errorf(pay.ErrInvalidRequest, "key", "Open needs a key and a sender key lookup")
	}
	if len(e.sealed) == 0 || !e.Suite.Valid() {
		return nil, malformed("", "not a parsed envelope")
	}
	if param, why := headerProblem(e.Header); param != "" {
		return nil, malformed(param, why)
	}
	if e.Suite != k.suite {
		return nil, pay.Errorf(ErrOpen, "suite", "the message was sealed with %s, the key is %s", e.Suite, k.suite)
	}
	if e.Header.To != k.pub.id {
		return nil, pay.Errorf(ErrOpen, "to", "the message was sealed to another key")
	}
	hb := appendHeader(nil, e.Suite, e.Header)
	plain, err := hpke.Open(k.k, suiteKDF, suiteAEAD, hpkeInfo(hb), e.sealed)
	if err != nil {
		return nil, pay.Errorf(ErrOpen, "", "the message does not decrypt: altered, or sealed to another key")
	}
	if len(plain) < sigLen {
		return nil, malformed("", "the sealed message has no signature")
	}
	sig, payload := plain[:sigLen], plain[sigLen:]
	pub, err := senderKey(e.Header.SenderID)
	if err != nil {
		return nil, pay.Errorf(ErrUnknownDevice, "sender_id", "no key for the sending device").Wrap(err)
	}
	if len(pub) != ed25519.PublicKeySize {
		return nil, pay.Errorf(ErrUnknownDevice, "sender_id", "the sending device's key is not an Ed25519 key")
	}
	if !ed25519.Verify(pub, signedMessage(hb, payload), sig) {
		return nil, pay.Errorf(ErrSignature, "sender_id", "the signature does not verify under the sending device's key")
	}
	return payload, nil
}

// Text returns the envelope's text form: for an Envelope from
// ParseEnvelope, the text it was parsed from. An envelope whose Header was
// changed gives the text of the changed envelope (which does not open),
// and one that can't be encoded gives "".
func (e Envelope) Text() string {
	if param, _ := headerProblem(e.Header); param != "" || !e.Suite.Valid() || len(e.sealed) == 0 {
		return ""
	}
	return encodeText(append(appendHeader(make([]byte, 0, headerLen(e.Header)+len(e.sealed)), e.Suite, e.Header), e.sealed...))
}

// Overhead returns the bytes an envelope of suite s adds to a payload in
// binary form, besides the conversation and sender IDs, which travel as
// they are: the fixed header, the HPKE encapsulated key, the signature and
// the AEAD tag. The text form is 4/3 of the binary plus TextPrefix
// (EncodedLen gives it exactly). 0 for an unknown suite.
func Overhead(s Suite) int {
	if !s.Valid() {
		return 0
	}
	return fixedHeaderLen + s.encLen() + sigLen + aeadTagLen
}

// EncodedLen returns the length of the text Seal gives for header h and a
// payload of payloadLen bytes under suite s (IM bodies have limits), or 0
// for an unknown suite.
func EncodedLen(s Suite, h Header, payloadLen int) int {
	if !s.Valid() {
		return 0
	}
	n := Overhead(s) + len(h.ConversationID) + len(h.SenderID) + payloadLen
	return len(TextPrefix) + base64.RawURLEncoding.EncodedLen(n)
}

// hpkeInfo is the HPKE info of an envelope with binary header hb.
func hpkeInfo(hb []byte) []byte {
	return append([]byte(infoLabel), hb...)
}

// signedMessage is what the sender signs: a label, the binary header
// (which names the recipient's key, so a recipient can't pass the signed
// message on as if it were sent to someone else) and the payload.
func signedMessage(hb, payload []byte) []byte {
	m := make([]byte, 0, len(sigLabel)+len(hb)+len(payload))
	m = append(m, sigLabel...)
	m = append(m, hb...)
	return append(m, payload...)
}

// encodeText writes a binary envelope in its text form.
func encodeText(b []byte) string {
	out := make([]byte, 0, len(TextPrefix)+base64.RawURLEncoding.EncodedLen(len(b)))
	out = append(out, TextPrefix...)
	return string(base64.RawURLEncoding.AppendEncode(out, b))
}
