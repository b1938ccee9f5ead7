package ble

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// ReceiptVersion is the layout version in the high nibble of a receipt's
// first byte; it is the only version this package writes and reads.
//
// The receipt layout, version 1. Integers marked uvarint are unsigned LEB128
// (encoding/binary) in their shortest form; the others are big-endian. There
// are no field names, no optional fields and no padding, so a receipt has
// exactly one encoding.
//
//	header    1 byte   bits 7–4 ReceiptVersion, bits 3–0 Kind (1 paid, 2 refunded)
//	pairing   2 bytes  the pairing number the host assigned
//	counter   uvarint  Receipt.Counter
//	payment   5 bytes  the ShortIDLen base32 characters, 5 bits each
//	amount    uvarint  minor units, 1 to 2⁶³-1
//	money     2 bytes  bits 15–10 the channel code (ChannelCodes),
//	                   bits 9–0 the currency's ISO 4217 numeric code
//	                   (ReceiptCurrencies)
//	payer     2 bytes  up to 4 digits in BCD, right-aligned, unused leading
//	                   nibbles 0xF ("1234" 0x1234, "56" 0xFF56, none 0xFFFF)
//	time      4 bytes  Unix seconds
//	terminal  2 bytes  Receipt.Terminal
//	MAC       8 bytes  HMAC-SHA256 under the pairing's receipt key of the
//	                   label "paykit/ble receipt MAC v1", a zero byte and
//	                   every byte before the MAC, truncated to 8 bytes
//
// A receipt is 28 bytes at least and 36 while its counter and amount stay
// below 2³⁵ (34 billion receipts; 343 million CNY in fen): with the framing's
// 3 + 1 header bytes, two 20-byte ATT payloads at the default MTU of 23, and
// one at an MTU of 42 or more. Channel and currency share two bytes because
// a separate channel byte makes that receipt 37 bytes, one more than two
// packets carry.
const ReceiptVersion = 1

const (
	// ReceiptMACLen is the length of the truncated MAC: 64 bits, so a
	// forger's blind guess succeeds once in 2⁶⁴, and every wrong guess is
	// a receipt the host refuses, over a radio link of a few receipts a
	// second.
	ReceiptMACLen = 8
	// MinReceiptKeyLen is the shortest receipt key EncodeReceipt and
	// DecodeReceipt take; pairing derives 32-byte keys.
	MinReceiptKeyLen = 16

	receiptMinLen   = 1 + 2 + 1 + 5 + 1 + 2 + 2 + 4 + 2 + ReceiptMACLen
	receiptMaxLen   = 1 + 2 + binary.MaxVarintLen64 + 5 + 9 + 2 + 2 + 4 + 2 + ReceiptMACLen
	currencyBits    = 10
	currencyMask    = 1<<currencyBits - 1
	receiptMACLabel = "paykit/ble receipt MAC v1\x00"
)

// EncodeReceipt returns the binary layout of r (see ReceiptVersion) under
// the pairing number the host assigned, authenticated with the pairing's
// receipt key. r must be one a receipt can carry: a known Kind; PaymentID
// the ShortIDLen base32 characters of ShortID; a positive amount in one of
// ReceiptCurrencies; a non-empty Channel (one not in ChannelCodes travels
// as ChannelOther); Payer empty or 1 to 4 digits; Time between 1970 and
// 2106 (its sub-second part is dropped). Any other receipt is refused with
// pay.ErrInvalidRequest naming the field. The key is not copied or kept.
func EncodeReceipt(r Receipt, pairing uint16, key []byte) ([]byte, error) {
	if len(key) < MinReceiptKeyLen {
		return nil, receiptInvalid("key", "the receipt key must be at least %d bytes", MinReceiptKeyLen)
	}
	if r.Kind != KindPaid && r.Kind != KindRefunded {
		return nil, receiptInvalid("kind", "unknown receipt kind %d", r.Kind)
	}
	id, ok := packShortID(r.PaymentID)
	if !ok {
		return nil, receiptInvalid("payment_id", "the payment ID must be its short form: %d base32 characters", ShortIDLen)
	}
	if r.Amount.Amount <= 0 {
		return nil, receiptInvalid("amount.amount", "the amount must be positive")
	}
	cur, ok := currencyNumeric[r.Amount.Currency]
	if !ok {
		return nil, receiptInvalid("amount.currency", "a receipt can't carry currency %q", pay.Clip(r.Amount.Currency, 8))
	}
	if r.Channel == "" {
		return nil, receiptInvalid("channel", "the channel is missing")
	}
	ch, ok := channelCode[channelFamily(r.Channel)]
	if !ok {
		ch = channelCode[ChannelOther]
	}
	payer, ok := packPayer(r.Payer)
	if !ok {
		return nil, receiptInvalid("payer", "the payer must be empty or its last 1 to 4 digits")
	}
	sec := r.Time.Unix()
	if r.Time.IsZero() || sec < 0 || sec > math.MaxUint32 {
		return nil, receiptInvalid("time", "the time must lie between 1970 and 2106")
	}

	b := make([]byte, 0, receiptMaxLen)
	b = append(b, ReceiptVersion<<4|byte(r.Kind))
	b = binary.BigEndian.AppendUint16(b, pairing)
	b = binary.AppendUvarint(b, r.Counter)
	b = append(b, id[:]...)
	b = binary.AppendUvarint(b, uint64(r.Amount.Amount))
	b = binary.BigEndian.AppendUint16(b, uint16(ch)<<currencyBits|cur)
	b = binary.BigEndian.AppendUint16(b, payer)
	b = binary.BigEndian.AppendUint32(b, uint32(sec))
	b = binary.BigEndian.AppendUint16(b, r.Terminal)
	return appendReceiptMAC(b, key), nil
}

// ReceiptPairing returns the pairing number of an encoded receipt, which
// the host needs to pick the key that verifies it. The number is NOT
// verified: trust nothing about the receipt before DecodeReceipt under that
// pairing's key succeeded.
func ReceiptPairing(b []byte) (uint16, error) {
	if err := checkReceiptFrame(b); err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint16(b[1:3]), nil
}

// DecodeReceipt verifies an encoded receipt under the pairing's receipt key
// and returns it. It checks the length and version, then the MAC in
// constant time, and only then parses the fields, strictly: one encoding
// per receipt (minimal varints, no trailing bytes) and every field known
// (kind, channel, currency) and in shape. An altered, forged or foreign
// receipt is ErrMAC, a malformed one ErrMalformed; on any error the Receipt
// is zero. The returned Time is in UTC. The pairing number is not returned
// (ReceiptPairing reads it), and neither replay nor pairing state is
// checked here: the host does that.
func DecodeReceipt(b []byte, key []byte) (Receipt, error) {
	if len(key) < MinReceiptKeyLen {
		return Receipt{}, receiptInvalid("key", "the receipt key must be at least %d bytes", MinReceiptKeyLen)
	}
	if err := checkReceiptFrame(b); err != nil {
		return Receipt{}, err
	}
	body, tag := b[:len(b)-ReceiptMACLen], b[len(b)-ReceiptMACLen:]
	if !hmac.Equal(receiptMAC(body, key), tag) {
		return Receipt{}, pay.Errorf(ErrMAC, "mac", "the receipt's MAC does not verify under this pairing's key")
	}
	r, err := parseReceiptBody(body)
	if err != nil {
		return Receipt{}, err
	}
	return r, nil
}

// checkReceiptFrame checks what can be checked without the key: the length
// bounds and the version nibble.
func checkReceiptFrame(b []byte) error {
	if len(b) < receiptMinLen {
		return malformed("receipt", "the receipt is truncated: %d bytes, at least %d expected", len(b), receiptMinLen)
	}
	if len(b) > receiptMaxLen {
		return malformed("receipt", "the receipt is %d bytes, at most %d expected", len(b), receiptMaxLen)
	}
	if v := b[0] >> 4; v != ReceiptVersion {
		return malformed("version", "unknown receipt version %d", v)
	}
	return nil
}

// parseReceiptBody parses the MAC'd part of a receipt whose length and
// version were checked. Every field it reads is bounds-checked, since the
// varints move the fixed fields around.
func parseReceiptBody(body []byte) (Receipt, error) {
	var r Receipt
	r.Kind = Kind(body[0] & 0x0F)
	if r.Kind != KindPaid && r.Kind != KindRefunded {
		return Receipt{}, malformed("kind", "unknown receipt kind %d", r.Kind)
	}
	p := body[3:] // past header and pairing number
	var ok bool
	if r.Counter, p, ok = readUvarint(p); !ok {
		return Receipt{}, malformed("counter", "the counter is not a minimal varint")
	}
	const fixedTail = 2 + 2 + 4 + 2 // money, payer, time, terminal
	if len(p) < 5+1+fixedTail {
		return Receipt{}, malformed("receipt", "the receipt is truncated")
	}
	r.PaymentID, p = unpackShortID(p), p[5:]
	amount, p, ok := readUvarint(p)
	if !ok {
		return Receipt{}, malformed("amount", "the amount is not a minimal varint")
	}
	if amount == 0 || amount > math.MaxInt64 {
		return Receipt{}, malformed("amount", "the amount must be positive and fit 63 bits")
	}
	if len(p) != fixedTail {
		return Receipt{}, malformed("receipt", "the receipt has %d bytes where %d were expected", len(p), fixedTail)
	}
	money := binary.BigEndian.Uint16(p)
	cur, ok := currencyAlpha[money&currencyMask]
	if !ok {
		return Receipt{}, malformed("currency", "unknown currency code %d", money&currencyMask)
	}
	r.Amount = pay.Money{Amount: int64(amount), Currency: cur}
	if r.Channel, ok = channelName[uint8(money>>currencyBits)]; !ok {
		return Receipt{}, malformed("channel", "unknown channel code %d", money>>currencyBits)
	}
	if r.Payer, ok = unpackPayer(binary.BigEndian.Uint16(p[2:])); !ok {
		return Receipt{}, malformed("payer", "the payer is not BCD digits")
	}
	r.Time = time.Unix(int64(binary.BigEndian.Uint32(p[4:])), 0).UTC()
	r.Terminal = binary.BigEndian.Uint16(p[8:])
	return r, nil
}

// readUvarint reads one minimal uvarint from the front of p.
func readUvarint(p []byte) (uint64, []byte, bool) {
	v, n := binary.Uvarint(p)
	if n <= 0 || n != uvarintLen(v) {
		return 0, p, false
	}
	return v, p[n:], true
}

// uvarintLen is the length of v's minimal uvarint.
func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// receiptMACPrefix is receiptMACLabel as bytes, converted once.
var receiptMACPrefix = []byte(receiptMACLabel)

// receiptMAC is the full-length tag's first ReceiptMACLen bytes over the
// label and body. The label keeps a receipt MAC from ever equalling a MAC
// the same key makes for another purpose.
func receiptMAC(body, key []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(receiptMACPrefix)
	m.Write(body)
	return m.Sum(nil)[:ReceiptMACLen]
}

// appendReceiptMAC appends body's MAC to body.
func appendReceiptMAC(body, key []byte) []byte {
	return append(body, receiptMAC(body, key)...)
}
