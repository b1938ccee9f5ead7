package ble

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"

	"github.com/paykit-go/paykit/pay"
)

// An ack is the host's answer to a receipt it accepted (or had accepted
// already), sent as command CmdAck:
//
//	counter  uvarint  the receipt's counter, in its shortest form
//	MAC      8 bytes  HMAC-SHA256 under the pairing's ack key of ackLabel,
//	                  the pairing number (2 bytes, big-endian) and the
//	                  counter's uvarint, truncated to 8 bytes
//
// The pairing number is bound by the MAC but not sent: the handheld knows
// it. An ack under another pairing's key, or for another counter, does not
// verify, so a forged ack can't make a handheld drop a receipt. An ack is
// at most 18 bytes, and 16 or fewer (one chunk at the default MTU) while
// the counter stays below 2⁵⁶.
const (
	// AckMACLen is the length of an ack's truncated MAC.
	AckMACLen = 8
	ackLabel  = "paykit/ble ack v1\x00"
	ackMaxLen = binary.MaxVarintLen64 + AckMACLen
)

// encodeAck returns the ack of counter under the pairing's ack key.
func encodeAck(key []byte, pairing uint16, counter uint64) []byte {
	b := binary.AppendUvarint(make([]byte, 0, ackMaxLen), counter)
	return append(b, ackMAC(key, pairing, b)...)
}

// decodeAck verifies an ack under the pairing's ack key and returns its
// counter. A malformed ack (truncated, a non-minimal varint, trailing
// bytes) is ErrMalformed; one that does not verify is ErrMAC.
func decodeAck(b, key []byte, pairing uint16) (uint64, error) {
	if len(b) <= AckMACLen || len(b) > ackMaxLen {
		return 0, pay.Errorf(ErrMalformed, "ack", "the ack is %d bytes, %d to %d expected", len(b), AckMACLen+1, ackMaxLen)
	}
	body, tag := b[:len(b)-AckMACLen], b[len(b)-AckMACLen:]
	counter, n := binary.Uvarint(body)
	if n != len(body) || len(binary.AppendUvarint(nil, counter)) != n {
		return 0, pay.Errorf(ErrMalformed, "ack", "the ack's counter is not one minimal varint")
	}
	if !hmac.Equal(ackMAC(key, pairing, body), tag) {
		return 0, pay.Errorf(ErrMAC, "ack", "the ack's MAC does not verify under this pairing's key")
	}
	return counter, nil
}

// ackMAC is the truncated MAC over the label, the pairing number and the
// counter's uvarint.
func ackMAC(key []byte, pairing uint16, counter []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(ackLabel))
	m.Write(binary.BigEndian.AppendUint16(nil, pairing))
	m.Write(counter)
	return m.Sum(nil)[:AckMACLen]
}
