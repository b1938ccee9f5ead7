package qrimage

import (
	"math/rand/v2"

	"github.com/paykit-go/paykit/internal/base45"
)

// cardText returns a random card-like text: the Base45 rendering of n
// random bytes. A signed stored-value card is 100 to 120 bytes, so its text
// is 150 to 180 characters of the QR alphanumeric set.
func cardText(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return base45.Encode(b)
}

// cardTexts returns n card-like texts of 100 to 120 random bytes (150 to
// 180 characters), the same for the same seed.
func cardTexts(seed uint64, n int) []string {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	out := make([]string, n)
	for i := range out {
		out[i] = cardText(r, 100+r.IntN(21))
	}
	return out
}
