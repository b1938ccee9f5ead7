package crc16

import (
	"fmt"
	"testing"
)

func TestCheckValue(t *testing.T) {
	if got := Checksum([]byte("123456789")); got != 0x29B1 {
		t.Fatalf("check value = %04X; want 29B1", got)
	}
	if got := Checksum(nil); got != 0xFFFF {
		t.Fatalf("CRC of nothing = %04X; want the initial FFFF", got)
	}
}

// bitwise is the textbook shift-register form, to check the table.
func bitwise(b []byte) uint16 {
	c := uint16(0xFFFF)
	for _, x := range b {
		c ^= uint16(x) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
	}
	return c
}

func TestTableMatchesBitwise(t *testing.T) {
	b := make([]byte, 0, 512)
	for i := range 512 {
		b = append(b, byte(i*31+7))
		if got, want := Checksum(b), bitwise(b); got != want {
			t.Fatalf("len %d: %04X; want %04X", len(b), got, want)
		}
	}
}

func Example() {
	fmt.Printf("%04X\n", Checksum([]byte("123456789")))
	// Output: 29B1
}
