package ble

import (
	"strings"

	"github.com/paykit-go/paykit/pay"
)

// The field codecs of the receipt layout: each packs one Receipt field into
// a few bits and unpacks it strictly, so that every value has exactly one
// encoding and every accepted encoding decodes to a value that packs back
// the same.

// ShortIDLen is the length of a payment's short ID: the last ShortIDLen
// characters of its ID ("pay_" and 26 base32 characters), 40 random bits,
// enough to tell apart the payments a counter sees in a day while taking 5
// bytes on the air.
const ShortIDLen = 8

// shortIDAlphabet is the lower-case RFC 4648 base32 alphabet paykit's IDs
// are written in (internal/randid); a character's index is its 5-bit value.
const shortIDAlphabet = "abcdefghijklmnopqrstuvwxyz234567"

// ShortID returns the short form of a payment ID: its last ShortIDLen
// characters. It checks nothing; EncodeReceipt refuses a short ID that is
// not ShortIDLen base32 characters.
func ShortID(paymentID string) string {
	if len(paymentID) <= ShortIDLen {
		return paymentID
	}
	return paymentID[len(paymentID)-ShortIDLen:]
}

// packShortID packs ShortIDLen base32 characters into 5 bytes, 5 bits each,
// the first character in the top bits.
func packShortID(id string) ([5]byte, bool) {
	var out [5]byte
	if len(id) != ShortIDLen {
		return out, false
	}
	var v uint64
	for i := 0; i < len(id); i++ {
		c := strings.IndexByte(shortIDAlphabet, id[i])
		if c < 0 {
			return out, false
		}
		v = v<<5 | uint64(c)
	}
	for i := range out {
		out[i] = byte(v >> (8 * (4 - i)))
	}
	return out, true
}

// unpackShortID is packShortID's inverse; every 40-bit value is a short ID.
func unpackShortID(b []byte) string {
	var v uint64
	for _, c := range b[:5] {
		v = v<<8 | uint64(c)
	}
	var s [ShortIDLen]byte
	for i := range s {
		s[i] = shortIDAlphabet[(v>>(5*(ShortIDLen-1-i)))&31]
	}
	return string(s[:])
}

// currencyNumeric maps the currencies a receipt can carry to their ISO 4217
// numeric codes. golang.org/x/text/currency knows the alphabetic codes and
// their exponents but not the numeric codes, so the currencies paykit's
// merchants settle in are listed here; a receipt in any other currency is
// refused rather than sent with a code the host might read differently.
var currencyNumeric = map[string]uint16{
	"AUD": 36,
	"CAD": 124,
	"CHF": 756,
	"CNY": 156,
	"EUR": 978,
	"GBP": 826,
	"HKD": 344,
	"IDR": 360,
	"INR": 356,
	"JPY": 392,
	"KRW": 410,
	"KWD": 414,
	"MOP": 446,
	"MYR": 458,
	"PHP": 608,
	"SGD": 702,
	"THB": 764,
	"TWD": 901,
	"USD": 840,
	"VND": 704,
}

// currencyAlpha is currencyNumeric inverted.
var currencyAlpha = func() map[uint16]string {
	m := make(map[uint16]string, len(currencyNumeric))
	for a, n := range currencyNumeric {
		m[n] = a
	}
	return m
}()

// ReceiptCurrencies returns the ISO 4217 codes a receipt can carry, with
// their numeric codes (the ones on the air). The map is a copy.
func ReceiptCurrencies() map[string]uint16 {
	m := make(map[string]uint16, len(currencyNumeric))
	for a, n := range currencyNumeric {
		m[a] = n
	}
	return m
}

// ChannelOther is the channel a receipt carries for a payment channel
// without its own code; the host shows it as "other".
const ChannelOther = "other"

// channelCode maps channel registry names to their 6-bit codes on the air.
// Code 0 is never written, so an all-zero field is malformed; ChannelOther
// takes the last code so that new channels can be numbered after sandbox.
var channelCode = map[string]uint8{
	"wechatpay":  1,
	"alipay":     2,
	"stripe":     3,
	"unionpay":   4,
	"sandbox":    5,
	ChannelOther: 63,
}

// channelName is channelCode inverted.
var channelName = func() map[uint8]string {
	m := make(map[uint8]string, len(channelCode))
	for n, c := range channelCode {
		m[c] = n
	}
	return m
}()

// channelFamily names the provider behind a registered channel name: an
// aggregator may register one provider under several names ("sandbox-a",
// "wechatpay-hk"), and a receipt carries the provider.
func channelFamily(name string) string {
	if _, ok := channelCode[name]; ok {
		return name
	}
	if i := strings.IndexByte(name, '-'); i > 0 {
		return name[:i]
	}
	return name
}

// ChannelCodes returns the code each channel name travels as (a copy). A
// receipt for a channel not listed travels as ChannelOther and arrives
// with Channel "other"; "<provider>-<suffix>" names travel as the
// provider ("sandbox-a" arrives as "sandbox").
func ChannelCodes() map[string]uint8 {
	m := make(map[string]uint8, len(channelCode))
	for n, c := range channelCode {
		m[n] = c
	}
	return m
}

// noPayer is the payer field of a receipt without a payer.
const noPayer = 0xFFFF

// packPayer packs a masked payer of 0 to 4 decimal digits into 4 BCD
// nibbles, right-aligned, the unused leading nibbles 0xF: "1234" is 0x1234,
// "56" is 0xFF56, "" is 0xFFFF.
func packPayer(p string) (uint16, bool) {
	if len(p) > 4 {
		return 0, false
	}
	v := uint16(noPayer)
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v<<4 | uint16(c-'0')
	}
	return v, true
}

// unpackPayer is packPayer's inverse. Its nibbles must be some 0xF nibbles
// followed only by digits.
func unpackPayer(v uint16) (string, bool) {
	var s []byte
	for i := 3; i >= 0; i-- {
		n := byte(v>>(4*i)) & 0xF
		switch {
		case n == 0xF && len(s) == 0:
		case n <= 9:
			s = append(s, '0'+n)
		default:
			return "", false
		}
	}
	return string(s), true
}

// receiptInvalid is a pay.ErrInvalidRequest naming the receipt field at
// fault: the caller asked to encode something a receipt can't carry.
func receiptInvalid(param, format string, args ...any) *pay.Error {
	return pay.Errorf(pay.ErrInvalidRequest, param, format, args...)
}

// malformed is an ErrMalformed naming the field at fault. Messages never
// quote the bytes received.
func malformed(param, format string, args ...any) *pay.Error {
	return pay.Errorf(ErrMalformed, param, format, args...)
}
