package qr

import (
	"encoding/base32"
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/token"
)

// LayoutVersion is the first byte of every card layout this package writes
// and the only one it reads.
const LayoutVersion = 1

// The card layout, version 1. Integers marked varint are unsigned LEB128
// (encoding/binary uvarints) in their shortest form; there are no field
// names and no optional padding, so every card has exactly one encoding.
//
//	version      1 byte   LayoutVersion
//	card ID      8 bytes  the bytes under the ID's base32
//	shape        1 byte   bits 7–3: len(holder)-1 (holders are 1–32 bytes)
//	                      bits 2–0: token form, 0–3 a numeric token of 16–19
//	                      digits, 4 an opaque token
//	key ID       varint   at most 2³²-1
//	holder       len(holder) bytes of UTF-8
//	token        numeric: 8 bytes, the number big-endian (below 10^digits,
//	             leading zeros kept by the digit count); opaque: the 16 bytes
//	             under the "ptk_" base32
//	currency     2 bytes  big-endian: bit 15 set when a previous holder
//	                      follows; bits 14–0 the three letters, 5 bits each
//	                      (A=0 … Z=25)
//	balance      varint   minor units, at most 2⁶³-1
//	uses         varint   Uses+1 (0 is UnlimitedUses)
//	not-before   varint   Unix seconds
//	expires      varint   seconds after not-before, at least 1
//	seq          varint
//	prev holder  only when flagged: varint length (1–32) and UTF-8 bytes
//
// A signed card is the layout followed by the 64-byte Ed25519 signature of
// cardSignLabel and the layout.
const (
	shapeOpaque   = 4
	flagPrev      = 0x8000
	currencyMask  = 0x7FFF
	numericTokMin = 16
	numericTokMax = 19
)

var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// MarshalCard returns the unsigned binary layout of c (see LayoutVersion).
// c must pass Validate; KeyID is written as it is. Times are written in
// whole Unix seconds, so their sub-second parts are dropped.
func MarshalCard(c Card) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	id, _ := parseCardID(c.ID)
	b := make([]byte, 0, 64+len(c.Holder)+len(c.PrevHolder))
	b = append(b, LayoutVersion)
	b = append(b, id[:]...)
	var form byte
	var tok []byte
	if strings.HasPrefix(c.Token, token.OpaquePrefix) {
		form = shapeOpaque
		tok, _ = tokenEncoding.DecodeString(strings.ToUpper(c.Token[len(token.OpaquePrefix):]))
	} else {
		form = byte(len(c.Token) - numericTokMin)
		n, _ := strconv.ParseUint(c.Token, 10, 64) // 19 digits < 2^64
		tok = binary.BigEndian.AppendUint64(nil, n)
	}
	b = append(b, byte(len(c.Holder)-1)<<3|form)
	b = binary.AppendUvarint(b, uint64(c.KeyID))
	b = append(b, c.Holder...)
	b = append(b, tok...)
	cur := uint16(c.Balance.Currency[0]-'A')<<10 | uint16(c.Balance.Currency[1]-'A')<<5 | uint16(c.Balance.Currency[2]-'A')
	if c.PrevHolder != "" {
		cur |= flagPrev
	}
	b = binary.BigEndian.AppendUint16(b, cur)
	b = binary.AppendUvarint(b, uint64(c.Balance.Amount))
	b = binary.AppendUvarint(b, uint64(c.Uses+1))
	nb := c.NotBefore.Unix()
	b = binary.AppendUvarint(b, uint64(nb))
	b = binary.AppendUvarint(b, uint64(c.Expires.Unix()-nb))
	b = binary.AppendUvarint(b, c.Seq)
	if c.PrevHolder != "" {
		b = binary.AppendUvarint(b, uint64(len(c.PrevHolder)))
		b = append(b, c.PrevHolder...)
	}
	return b, nil
}

// UnmarshalCard parses an unsigned layout strictly: one version, minimal
// varints, no trailing bytes, and every field in the shape Validate
// demands. Anything else is ErrCardMalformed. It checks no signature; use
// Decode for a card from outside.
func UnmarshalCard(b []byte) (Card, error) {
	r := reader{b: b}
	var c Card
	if v, ok := r.byte(); !ok {
		return Card{}, cardMalformed("version", "the card is empty")
	} else if v != LayoutVersion {
		return Card{}, cardMalformed("version", "unknown card layout version %d", v)
	}
	id, ok := r.take(8)
	if !ok {
		return Card{}, r.short("id")
	}
	c.ID = formatCardID([8]byte(id))
	shape, ok := r.byte()
	if !ok {
		return Card{}, r.short("holder")
	}
	holderLen, form := int(shape>>3)+1, shape&7
	if form > shapeOpaque {
		return Card{}, cardMalformed("token", "unknown token form %d", form)
	}
	keyID, err := r.uvarint("key_id", math.MaxUint32)
	if err != nil {
		return Card{}, err
	}
	c.KeyID = uint32(keyID)
	h, ok := r.take(holderLen)
	if !ok {
		return Card{}, r.short("holder")
	}
	c.Holder = string(h)
	if why := holderProblem(c.Holder); why != "" {
		return Card{}, cardMalformed("holder", "the holder %s", why)
	}
	if form == shapeOpaque {
		t, ok := r.take(16)
		if !ok {
			return Card{}, r.short("token")
		}
		c.Token = token.OpaquePrefix + strings.ToLower(tokenEncoding.EncodeToString(t))
	} else {
		t, ok := r.take(8)
		if !ok {
			return Card{}, r.short("token")
		}
		digits := int(form) + numericTokMin
		n := binary.BigEndian.Uint64(t)
		if n >= pow10(digits) { // 10^19 < 2^64
			return Card{}, cardMalformed("token", "the token number has more than %d digits", digits)
		}
		s := strconv.FormatUint(n, 10)
		c.Token = strings.Repeat("0", digits-len(s)) + s
		if _, err := token.ParseToken(c.Token); err != nil {
			return Card{}, cardMalformed("token", "the token's check digit is wrong")
		}
	}
	cb, ok := r.take(2)
	if !ok {
		return Card{}, r.short("balance.currency")
	}
	cur := binary.BigEndian.Uint16(cb)
	hasPrev := cur&flagPrev != 0
	var code [3]byte
	for i, v := range [3]uint16{cur >> 10 & 31, cur >> 5 & 31, cur & 31} {
		if v > 25 {
			return Card{}, cardMalformed("balance.currency", "the currency is not three letters")
		}
		code[i] = byte('A' + v)
	}
	c.Balance.Currency = string(code[:])
	if _, err := pay.CurrencyExponent(c.Balance.Currency); err != nil {
		return Card{}, cardMalformed("balance.currency", "unknown currency")
	}
	amount, err := r.uvarint("balance.amount", math.MaxInt64)
	if err != nil {
		return Card{}, err
	}
	c.Balance.Amount = int64(amount)
	uses, err := r.uvarint("uses", MaxUses+1)
	if err != nil {
		return Card{}, err
	}
	c.Uses = int(uses) - 1
	nb, err := r.uvarint("not_before", maxUnix)
	if err != nil {
		return Card{}, err
	}
	delta, err := r.uvarint("expires", maxUnix-nb)
	if err != nil {
		return Card{}, err
	}
	if delta == 0 {
		return Card{}, cardMalformed("expires", "the expiry is not after not-before")
	}
	c.NotBefore = time.Unix(int64(nb), 0).UTC()
	c.Expires = time.Unix(int64(nb+delta), 0).UTC()
	if c.Seq, err = r.uvarint("seq", math.MaxUint64); err != nil {
		return Card{}, err
	}
	if hasPrev {
		n, err := r.uvarint("prev_holder", MaxHolderLen)
		if err != nil {
			return Card{}, err
		}
		p, ok := r.take(int(n))
		if !ok {
			return Card{}, r.short("prev_holder")
		}
		c.PrevHolder = string(p)
		if why := holderProblem(c.PrevHolder); why != "" {
			return Card{}, cardMalformed("prev_holder", "the previous holder %s", why)
		}
	}
	if len(r.b) != 0 {
		return Card{}, cardMalformed("", "%d trailing bytes after the card", len(r.b))
	}
	return c, nil
}

func pow10(n int) uint64 {
	p := uint64(1)
	for range n {
		p *= 10
	}
	return p
}

// reader consumes a layout from the front.
type reader struct{ b []byte }

func (r *reader) byte() (byte, bool) {
	if len(r.b) == 0 {
		return 0, false
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v, true
}

func (r *reader) take(n int) ([]byte, bool) {
	if len(r.b) < n {
		return nil, false
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v, true
}

func (r *reader) short(param string) error {
	return cardMalformed(param, "the card is truncated")
}

// uvarint reads a minimal uvarint no larger than max.
func (r *reader) uvarint(param string, max uint64) (uint64, error) {
	v, n := binary.Uvarint(r.b)
	switch {
	case n == 0:
		return 0, r.short(param)
	case n < 0:
		return 0, cardMalformed(param, "a varint overflows 64 bits")
	case n > 1 && r.b[n-1] == 0:
		// A last byte of zero adds nothing: a shorter encoding exists.
		return 0, cardMalformed(param, "a varint is not in its shortest form")
	case v > max:
		return 0, cardMalformed(param, "a value is out of range")
	}
	r.b = r.b[n:]
	return v, nil
}
