package ble

import (
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/paykit-go/paykit/internal/base45"
	"github.com/paykit-go/paykit/pay"
)

// Pairing, version 1: how a handheld and a collection host come to share a
// receipt key and an ack key, and how the merchant makes sure the handheld
// paired with the host on the counter and not with someone in between.
//
//  1. The host (Host.BeginPairing) makes a fresh X25519 key pair, a fresh
//     32-byte nonce N and a pairing number, and shows the pairing QR: its
//     ID, the pairing number, its public key and a commitment
//     SHA-256(label, N) to the nonce, but not the nonce.
//  2. The handheld scans it (ParseOffer), makes its own X25519 key pair
//     (Pair) and sends a PairRequest (its ID and public key) over the link.
//  3. The host binds the offer to the first request (Host.Accept; a second,
//     different request for the same offer is refused) and answers with a
//     PairResponse revealing N.
//  4. The handheld checks N against the commitment (PendingPairing.Finish).
//     Both sides now hold the same keys, derived with HKDF-SHA-256 from the
//     X25519 shared secret with the transcript (both public keys, the
//     commitment, both IDs and the pairing number) as salt, and the same
//     6-digit confirmation code, derived from the transcript and N.
//  5. The merchant compares the codes and confirms on the host
//     (PairingOffer.Confirm); only then does the host store the pairing.
//
// The commitment is what makes 6 digits enough. Without it the code would
// depend only on values a man in the middle picks, and he could pick the
// key (or the handheld ID) he sends the host among a million candidates
// until the host's code equals the handheld's. With it, the handheld's code
// depends on a nonce fixed (by the QR he substituted) before the handheld's
// fresh key was known, and the host's code on a nonce he learns only after
// binding the offer: each side's code is a fresh random 6 digits to him,
// and they match once in a million attempts, each of which the merchant
// sees fail.

// ErrPairing is the error of every pairing step that fails on what it was
// given: a text that is not a pairing offer, a malformed pairing request or
// response, an offer that is unknown, expired, cancelled or already taken
// by another handheld, a response that does not open the offer's
// commitment or whose MAC does not verify. Its messages never carry a key
// or a nonce.
var ErrPairing = &pay.Error{Code: "ble_pairing_failed", Message: "the pairing failed", HTTPStatus: http.StatusBadRequest}

// OfferPrefix starts the text of every version-1 pairing QR. Its characters
// are in QR alphanumeric mode, like the Base45 text that follows, so the
// whole QR is encoded in that mode.
const OfferPrefix = "PKBLE1:"

// MaxIDLen is the longest host or handheld ID, in bytes. IDs are 1 to
// MaxIDLen printable ASCII characters without spaces (0x21 to 0x7E): they
// travel in a QR and in a 20-byte ATT payload, and are shown to merchants.
const MaxIDLen = 32

// KeyLen is the length of every key and nonce of the pairing: X25519 public
// keys, the host's nonce, the commitment, and the derived receipt and ack
// keys.
const KeyLen = 32

// Fixed lengths of the pairing messages.
const (
	offerFixedLen    = 2 + KeyLen + KeyLen // pairing, host key, commitment
	pairVersion      = 1
	requestFixedLen  = 1 + 2 + KeyLen // version, pairing, handheld key
	responseLen      = 1 + 2 + KeyLen + pairMACLen
	pairMACLen       = 8
	confirmCodeRange = 1_000_000
)

// Labels keep each hash and derived value of the pairing apart from every
// other use of the same secret.
const (
	transcriptLabel = "paykit/ble pairing transcript v1\x00"
	commitLabel     = "paykit/ble pairing commitment v1\x00"
	receiptKeyInfo  = "paykit/ble receipt key v1"
	ackKeyInfo      = "paykit/ble ack key v1"
	responseKeyInfo = "paykit/ble pair response key v1"
	codeInfo        = "paykit/ble confirmation code v1\x00"
	responseLabel   = "paykit/ble pair response v1\x00"
)

// Key is secret key material: a receipt or an ack key. It prints as
// [REDACTED] with every fmt verb and in log/slog, so a pairing logged by
// mistake shows no key. encoding/json still writes it (base64), because
// persisting a pairing is what JSON is used for; don't log that JSON.
type Key []byte

const redacted = "[REDACTED]"

// String implements fmt.Stringer without the key.
func (Key) String() string { return redacted }

// GoString keeps the key out of %#v.
func (Key) GoString() string { return redacted }

// Format prints [REDACTED] for every verb (%x included).
func (Key) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// LogValue keeps the key out of structured logs.
func (Key) LogValue() slog.Value { return slog.StringValue(redacted) }

// Offer is a host's pairing offer, as the handheld reads it from the
// pairing QR. It holds nothing secret.
type Offer struct {
	// HostID names the collection host (shown to the merchant).
	HostID string
	// Pairing is the number the host assigned the pairing (never 0); every
	// receipt under the pairing carries it.
	Pairing uint16
	// HostKey is the host's fresh X25519 public key for this offer.
	HostKey [KeyLen]byte
	// Commitment is SHA-256 of a label and the host's nonce, which the
	// host reveals only in its PairResponse.
	Commitment [KeyLen]byte
}

// String returns the offer's QR text: OfferPrefix and the Base45 encoding
// (RFC 9285) of the pairing number (2 bytes, big-endian), the host key,
// the commitment and the host ID. ParseOffer reads it back.
func (o Offer) String() string {
	b := make([]byte, 0, offerFixedLen+len(o.HostID))
	b = binary.BigEndian.AppendUint16(b, o.Pairing)
	b = append(b, o.HostKey[:]...)
	b = append(b, o.Commitment[:]...)
	b = append(b, o.HostID...)
	return OfferPrefix + base45.Encode(b)
}

// ParseOffer reads the text of a pairing QR, strictly: the exact prefix,
// Base45 in its one canonical form, a non-zero pairing number and a valid
// host ID, nothing missing and nothing after. An accepted text is exactly
// the String of the Offer returned. Errors are ErrPairing and never quote
// the text.
func ParseOffer(text string) (Offer, error) {
	rest, ok := strings.CutPrefix(text, OfferPrefix)
	if !ok {
		return Offer{}, pay.Errorf(ErrPairing, "offer", "the text is not a paykit pairing offer (version 1)")
	}
	b, err := base45.Decode(rest)
	if err != nil {
		return Offer{}, pay.Errorf(ErrPairing, "offer", "the pairing offer is not valid Base45")
	}
	if len(b) <= offerFixedLen {
		return Offer{}, pay.Errorf(ErrPairing, "offer", "the pairing offer is truncated")
	}
	var o Offer
	o.Pairing = binary.BigEndian.Uint16(b)
	if o.Pairing == 0 {
		return Offer{}, pay.Errorf(ErrPairing, "offer", "the pairing offer has pairing number 0")
	}
	copy(o.HostKey[:], b[2:])
	copy(o.Commitment[:], b[2+KeyLen:])
	o.HostID = string(b[offerFixedLen:])
	if err := checkID("host_id", o.HostID); err != nil {
		return Offer{}, pay.Errorf(ErrPairing, "offer", "the pairing offer's host ID is not valid")
	}
	return o, nil
}

// checkID checks a host or handheld ID: 1 to MaxIDLen bytes of 0x21 to
// 0x7E. The error names param and does not quote the ID.
func checkID(param, id string) error {
	if id == "" || len(id) > MaxIDLen {
		return pay.Errorf(pay.ErrInvalidRequest, param, "%s must be 1 to %d characters", param, MaxIDLen)
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7E {
			return pay.Errorf(pay.ErrInvalidRequest, param, "%s must be printable ASCII without spaces", param)
		}
	}
	return nil
}

// PairRequest is the handheld's answer to an offer, sent to the host over
// the link (command CmdPairRequest). It holds nothing secret.
type PairRequest struct {
	// Pairing is the offer's pairing number.
	Pairing uint16
	// HandheldID names the handheld (shown to the merchant).
	HandheldID string
	// HandheldKey is the handheld's fresh X25519 public key.
	HandheldKey [KeyLen]byte
}

// Bytes returns the request's wire form: version 1 (1 byte), the pairing
// number (2 bytes, big-endian), the handheld key and the handheld ID.
func (r PairRequest) Bytes() []byte {
	b := make([]byte, 0, requestFixedLen+len(r.HandheldID))
	b = append(b, pairVersion)
	b = binary.BigEndian.AppendUint16(b, r.Pairing)
	b = append(b, r.HandheldKey[:]...)
	return append(b, r.HandheldID...)
}

// ParsePairRequest reads a request's wire form strictly (version 1, a
// non-zero pairing number, a valid handheld ID, nothing after). Errors are
// ErrPairing.
func ParsePairRequest(b []byte) (PairRequest, error) {
	if len(b) <= requestFixedLen {
		return PairRequest{}, pay.Errorf(ErrPairing, "request", "the pairing request is truncated")
	}
	if b[0] != pairVersion {
		return PairRequest{}, pay.Errorf(ErrPairing, "request", "unknown pairing request version %d", b[0])
	}
	var r PairRequest
	r.Pairing = binary.BigEndian.Uint16(b[1:])
	if r.Pairing == 0 {
		return PairRequest{}, pay.Errorf(ErrPairing, "request", "the pairing request has pairing number 0")
	}
	copy(r.HandheldKey[:], b[3:])
	r.HandheldID = string(b[requestFixedLen:])
	if err := checkID("handheld_id", r.HandheldID); err != nil {
		return PairRequest{}, pay.Errorf(ErrPairing, "request", "the pairing request's handheld ID is not valid")
	}
	return r, nil
}

// PairResponse is the host's answer to a PairRequest (command
// CmdPairResponse): it reveals the nonce the offer committed to, with a MAC
// under a key derived like the receipt key, which tells the handheld the
// host derived the same keys.
type PairResponse struct {
	Pairing uint16
	Nonce   [KeyLen]byte
	MAC     [pairMACLen]byte
}

// Bytes returns the response's wire form: version 1, the pairing number
// (2 bytes, big-endian), the nonce and the MAC: 43 bytes.
func (r PairResponse) Bytes() []byte {
	b := make([]byte, 0, responseLen)
	b = append(b, pairVersion)
	b = binary.BigEndian.AppendUint16(b, r.Pairing)
	b = append(b, r.Nonce[:]...)
	return append(b, r.MAC[:]...)
}

// ParsePairResponse reads a response's wire form strictly. It does not
// check the nonce or the MAC: PendingPairing.Finish does. Errors are
// ErrPairing.
func ParsePairResponse(b []byte) (PairResponse, error) {
	if len(b) != responseLen {
		return PairResponse{}, pay.Errorf(ErrPairing, "response", "the pairing response is %d bytes, %d expected", len(b), responseLen)
	}
	if b[0] != pairVersion {
		return PairResponse{}, pay.Errorf(ErrPairing, "response", "unknown pairing response version %d", b[0])
	}
	var r PairResponse
	r.Pairing = binary.BigEndian.Uint16(b[1:])
	if r.Pairing == 0 {
		return PairResponse{}, pay.Errorf(ErrPairing, "response", "the pairing response has pairing number 0")
	}
	copy(r.Nonce[:], b[3:])
	copy(r.MAC[:], b[3+KeyLen:])
	return r, nil
}

// HandheldPairing is the handheld's side of a completed pairing: what
// NewHandheld needs to send receipts to the host. Persist it (with Counter)
// and restore it after a restart; Handheld.Pairing returns its current
// state. Its keys print as [REDACTED].
type HandheldPairing struct {
	HostID     string
	HandheldID string
	Pairing    uint16
	ReceiptKey Key
	AckKey     Key
	// Counter is the last counter used under the pairing (0 before the
	// first receipt). The handheld never uses a counter twice: it stores
	// the next one before the receipt goes out.
	Counter uint64
	// Code is the 6-digit confirmation code the merchant compared with
	// the host's.
	Code string
}

// LogValue describes the pairing to log/slog without its keys (slog's
// JSON handler would otherwise marshal them).
func (p HandheldPairing) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("host_id", p.HostID), slog.String("handheld_id", p.HandheldID),
		slog.Int("pairing", int(p.Pairing)), slog.Uint64("counter", p.Counter))
}

// PendingPairing is the handheld's pairing between its request and the
// host's response. It holds the keys already derived, so it prints without
// them.
type PendingPairing struct {
	offer   Offer
	req     PairRequest
	keys    pairKeys
	present bool
}

// String describes the pending pairing without its keys.
func (p *PendingPairing) String() string {
	return fmt.Sprintf("ble.PendingPairing{host %q, pairing %d, handheld %q}", p.offer.HostID, p.offer.Pairing, p.req.HandheldID)
}

// GoString is String.
func (p *PendingPairing) GoString() string { return p.String() }

// Format prints String for every verb.
func (p *PendingPairing) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, p.String()) }

// LogValue is String.
func (p *PendingPairing) LogValue() slog.Value { return slog.StringValue(p.String()) }

// Pair answers a scanned offer: it makes the handheld's X25519 key pair,
// derives the pairing's keys, and returns the pending pairing with the
// request to send the host. The private key is used here and dropped.
func Pair(offer Offer, handheldID string) (*PendingPairing, PairRequest, error) {
	if err := checkID("handheld_id", handheldID); err != nil {
		return nil, PairRequest{}, err
	}
	if offer.Pairing == 0 {
		return nil, PairRequest{}, pay.Errorf(ErrPairing, "offer", "the offer has pairing number 0")
	}
	if err := checkID("host_id", offer.HostID); err != nil {
		return nil, PairRequest{}, pay.Errorf(ErrPairing, "offer", "the offer's host ID is not valid")
	}
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, PairRequest{}, pay.Errorf(pay.ErrInternal, "", "generating the handheld's X25519 key failed")
	}
	req := PairRequest{Pairing: offer.Pairing, HandheldID: handheldID}
	copy(req.HandheldKey[:], priv.PublicKey().Bytes())
	keys, err := agree(priv, offer.HostKey, transcriptOf(offer, req))
	if err != nil {
		return nil, PairRequest{}, err
	}
	return &PendingPairing{offer: offer, req: req, keys: keys, present: true}, req, nil
}

// Finish completes the pairing with the host's response: the response must
// be for this pairing, its nonce must open the offer's commitment, and its
// MAC must verify. It returns the pairing with its confirmation Code, to be
// shown to the merchant next to the host's; the handheld uses the pairing
// only after the merchant saw the codes match. On error nothing changes and
// Finish may be called again with another response.
func (p *PendingPairing) Finish(resp PairResponse) (HandheldPairing, error) {
	if p == nil || !p.present {
		return HandheldPairing{}, pay.Errorf(ErrPairing, "pairing", "no pairing is pending")
	}
	if resp.Pairing != p.offer.Pairing {
		return HandheldPairing{}, pay.Errorf(ErrPairing, "response", "the response is for another pairing")
	}
	c := commitment(resp.Nonce)
	if subtle.ConstantTimeCompare(c[:], p.offer.Commitment[:]) != 1 {
		return HandheldPairing{}, pay.Errorf(ErrPairing, "response", "the host's nonce does not open the offer's commitment")
	}
	want := responseMAC(p.keys.response, resp.Pairing, resp.Nonce)
	if !hmac.Equal(want[:], resp.MAC[:]) {
		return HandheldPairing{}, pay.Errorf(ErrPairing, "response", "the pairing response's MAC does not verify")
	}
	code, err := confirmationCode(p.keys.prk, resp.Nonce)
	if err != nil {
		return HandheldPairing{}, err
	}
	return HandheldPairing{
		HostID:     p.offer.HostID,
		HandheldID: p.req.HandheldID,
		Pairing:    p.offer.Pairing,
		ReceiptKey: Key(append([]byte(nil), p.keys.receipt...)),
		AckKey:     Key(append([]byte(nil), p.keys.ack...)),
		Code:       code,
	}, nil
}

// pairKeys is what both sides derive from the shared secret: the HKDF
// pseudorandom key (for the confirmation code) and three keys.
type pairKeys struct {
	prk, receipt, ack, response []byte
}

// transcriptOf is the byte string both sides bind the keys to: a label, the
// pairing number, the host key, the commitment, the handheld key and both
// IDs (each after its length), so no two different pairings share it.
func transcriptOf(o Offer, r PairRequest) []byte {
	b := make([]byte, 0, len(transcriptLabel)+2+3*KeyLen+2+len(o.HostID)+len(r.HandheldID))
	b = append(b, transcriptLabel...)
	b = binary.BigEndian.AppendUint16(b, o.Pairing)
	b = append(b, o.HostKey[:]...)
	b = append(b, o.Commitment[:]...)
	b = append(b, r.HandheldKey[:]...)
	b = append(b, byte(len(o.HostID)))
	b = append(b, o.HostID...)
	b = append(b, byte(len(r.HandheldID)))
	return append(b, r.HandheldID...)
}

// agree runs X25519 between priv and the peer's public key and derives the
// pairing keys: HKDF-Extract with SHA-256 over the shared secret with the
// transcript as salt, then HKDF-Expand once per key with its own label.
// A peer key of low order (an all-zero shared secret) is refused.
func agree(priv *ecdh.PrivateKey, peer [KeyLen]byte, transcript []byte) (pairKeys, error) {
	pub, err := ecdh.X25519().NewPublicKey(peer[:])
	if err != nil {
		return pairKeys{}, pay.Errorf(ErrPairing, "key", "the peer's X25519 key is not valid")
	}
	shared, err := priv.ECDH(pub)
	if err != nil {
		return pairKeys{}, pay.Errorf(ErrPairing, "key", "the peer's X25519 key is of low order")
	}
	var k pairKeys
	if k.prk, err = hkdf.Extract(sha256.New, shared, transcript); err != nil {
		return pairKeys{}, pay.Errorf(pay.ErrInternal, "", "HKDF-Extract failed")
	}
	for _, d := range []struct {
		out  *[]byte
		info string
	}{{&k.receipt, receiptKeyInfo}, {&k.ack, ackKeyInfo}, {&k.response, responseKeyInfo}} {
		if *d.out, err = hkdf.Expand(sha256.New, k.prk, d.info, KeyLen); err != nil {
			return pairKeys{}, pay.Errorf(pay.ErrInternal, "", "HKDF-Expand failed")
		}
	}
	return k, nil
}

// commitment is SHA-256 of the commitment label and the nonce.
func commitment(nonce [KeyLen]byte) [KeyLen]byte {
	h := sha256.New()
	h.Write([]byte(commitLabel))
	h.Write(nonce[:])
	var c [KeyLen]byte
	h.Sum(c[:0])
	return c
}

// responseMAC authenticates a PairResponse: HMAC-SHA256 under the response
// key of a label, the pairing number and the nonce, truncated to 8 bytes.
func responseMAC(key []byte, pairing uint16, nonce [KeyLen]byte) [pairMACLen]byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(responseLabel))
	m.Write(binary.BigEndian.AppendUint16(nil, pairing))
	m.Write(nonce[:])
	var out [pairMACLen]byte
	copy(out[:], m.Sum(nil))
	return out
}

// confirmationCode is the 6-digit code both sides show: 8 bytes of
// HKDF-Expand of the pairing's pseudorandom key (which the transcript
// salted) with the host's nonce in the info, read big-endian, mod 10⁶, as
// 6 digits with leading zeros. 2⁶⁴ is not a multiple of 10⁶, so the codes
// below 2⁶⁴ mod 10⁶ are more likely than the others, by one part in 2⁶⁴ /
// 10⁶ ≈ 1.8·10¹³: no attacker can tell.
func confirmationCode(prk []byte, nonce [KeyLen]byte) (string, error) {
	b, err := hkdf.Expand(sha256.New, prk, codeInfo+string(nonce[:]), 8)
	if err != nil {
		return "", pay.Errorf(pay.ErrInternal, "", "HKDF-Expand failed")
	}
	return fmt.Sprintf("%06d", binary.BigEndian.Uint64(b)%confirmCodeRange), nil
}
