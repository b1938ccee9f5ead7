// Package crc16 is CRC-16/CCITT-FALSE (polynomial 0x1021, initial value
// 0xFFFF, no reflection, no final XOR), the checksum of EMVCo
// merchant-presented QR payloads (ID 63).
package crc16

var table = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

// Checksum returns the CRC-16/CCITT-FALSE of b. Its check value (of
// "123456789") is 0x29B1.
func Checksum(b []byte) uint16 {
	c := uint16(0xFFFF)
	for _, x := range b {
		c = c<<8 ^ table[byte(c>>8)^x]
	}
	return c
}
