package qrimage

import (
	"encoding/base32"
	"errors"
	"image"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/token"
)

// tokenLike returns n token-shaped strings the token package accepts:
// numeric tokens of 16 to 19 digits with a Luhn check digit, and opaque
// ptk_ tokens, alternately.
func tokenLike(t *testing.T, r *rand.Rand, n int) []string {
	t.Helper()
	out := make([]string, n)
	b32 := base32.StdEncoding.WithPadding(base32.NoPadding)
	for i := range out {
		if i%2 == 1 {
			var b [16]byte
			for j := range b {
				b[j] = byte(r.Uint32())
			}
			out[i] = token.OpaquePrefix + strings.ToLower(b32.EncodeToString(b[:]))
		} else {
			d := make([]byte, 15+r.IntN(4))
			for j := range d {
				d[j] = byte('0' + r.IntN(10))
			}
			out[i] = string(d) + string(rune('0'+luhnCheck(d)))
		}
		if _, err := token.ParseToken(out[i]); err != nil {
			t.Fatalf("test token %d is not token-shaped: %v", i, err)
		}
	}
	return out
}

// luhnCheck returns the check digit to append to digits.
func luhnCheck(digits []byte) int {
	sum := 0
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if (len(digits)-i)%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return (10 - sum%10) % 10
}

func TestCode128RoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(128, 1))
	toks := tokenLike(t, r, 200)
	digits := map[int]int{}
	for i, tok := range toks {
		img, err := EncodeCode128(tok, 0, 40)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		got, err := DecodeCode128(img)
		if err != nil || got != tok {
			t.Errorf("token %d (%d characters): %v", i, len(tok), err)
		}
		if !strings.HasPrefix(tok, "ptk_") {
			digits[len(tok)]++
		}
	}
	for n := 16; n <= 19; n++ {
		if digits[n] == 0 {
			t.Errorf("no %d-digit token among the tests", n)
		}
	}
	// Every printable ASCII character, and the longest text.
	var all strings.Builder
	for c := byte(0x20); c <= 0x7e; c++ {
		all.WriteByte(c)
	}
	for _, text := range []string{all.String()[:MaxCode128Len], all.String()[MaxCode128Len-20:], "0", " "} {
		img, err := EncodeCode128(text, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := DecodeCode128(img); err != nil || got != text {
			t.Errorf("%q: got %q, %v", text, got, err)
		}
	}
}

func TestCode128Geometry(t *testing.T) {
	// 16 digits in code set C: start (11) + 8 pairs (88) + check (11) +
	// stop (13) = 123 modules, plus 2×10 quiet = 143.
	const text = "4000123412341234"
	img, err := EncodeCode128(text, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 143 || b.Dy() != 1 {
		t.Fatalf("bounds %v, want 143×1", b)
	}
	// 500 px: 3 px per module (429), the rest split over the quiet zones.
	img, err = EncodeCode128(text, 500, 60)
	if err != nil {
		t.Fatal(err)
	}
	p := img.(*image.Paletted)
	if b := p.Bounds(); b.Dx() != 500 || b.Dy() != 60 {
		t.Fatalf("bounds %v, want 500×60", b)
	}
	first, last := -1, -1
	for x := 0; x < 500; x++ {
		if p.ColorIndexAt(x, 30) == 1 {
			if first < 0 {
				first = x
			}
			last = x
		}
	}
	// 123 modules × 3 px; the stop pattern ends with a 2-module bar.
	if last-first+1 != 123*3 || first < 10*3 || 499-last < 10*3 {
		t.Errorf("bars span %d..%d", first, last)
	}
	for y := 1; y < 60; y++ {
		for x := 0; x < 500; x++ {
			if p.ColorIndexAt(x, y) != p.ColorIndexAt(x, 0) {
				t.Fatalf("row %d differs from row 0 at %d", y, x)
			}
		}
	}
}

// TestCode128Perturbed: a scanned or photographed barcode still reads:
// scaled, turned, upside down, blurred, noisy, inverted, in a margin.
func TestCode128Perturbed(t *testing.T) {
	r := rand.New(rand.NewPCG(128, 2))
	n := 20
	if raceEnabled {
		n = 6 // the same first tokens, to stay within a few seconds
	}
	toks := tokenLike(t, r, n)
	for _, p := range []struct {
		name  string
		apply func(*image.Gray, *rand.Rand) *image.Gray
	}{
		{"scale 0.73x", func(g *image.Gray, _ *rand.Rand) *image.Gray { return scale(g, 0.73) }},
		{"scale 1.5x", func(g *image.Gray, _ *rand.Rand) *image.Gray { return scale(g, 1.5) }},
		{"scale 2.37x", func(g *image.Gray, _ *rand.Rand) *image.Gray { return scale(g, 2.37) }},
		{"rotate 90", func(g *image.Gray, _ *rand.Rand) *image.Gray { return rotateQuarter(g, 1) }},
		{"rotate 180", func(g *image.Gray, _ *rand.Rand) *image.Gray { return rotateQuarter(g, 2) }},
		{"rotate 270", func(g *image.Gray, _ *rand.Rand) *image.Gray { return rotateQuarter(g, 3) }},
		{"rotate +3", func(g *image.Gray, _ *rand.Rand) *image.Gray { return rotate(g, 3) }},
		{"gaussian blur 1", func(g *image.Gray, _ *rand.Rand) *image.Gray { return gaussBlur(g, 1) }},
		{"noise 20", func(g *image.Gray, r *rand.Rand) *image.Gray { return noise(g, 20, r) }},
		{"inverted", func(g *image.Gray, _ *rand.Rand) *image.Gray { return invert(g) }},
		{"margin", func(g *image.Gray, _ *rand.Rand) *image.Gray { return pad(g, 50) }},
	} {
		ok := 0
		for i, tok := range toks {
			img, err := EncodeCode128(tok, 0, 60)
			if err != nil {
				t.Fatal(err)
			}
			// Three pixels per module, as a 200 dpi label printer draws a
			// 0.38 mm module.
			g := scaleNearest(gray(img), 3)
			got, err := DecodeCode128(p.apply(g, rand.New(rand.NewPCG(uint64(i), 7))))
			if err == nil && got == tok {
				ok++
			}
		}
		if ok != len(toks) {
			t.Errorf("%s: read %d of %d", p.name, ok, len(toks))
		}
	}
}

// scaleNearest widens g k times horizontally (bars stay sharp).
func scaleNearest(g *image.Gray, k int) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	out := image.NewGray(image.Rect(0, 0, w*k, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w*k; x++ {
			out.Pix[y*out.Stride+x] = g.Pix[y*g.Stride+x/k]
		}
	}
	return out
}

func TestCode128BadInput(t *testing.T) {
	const tok = "4000123412341234"
	for _, tc := range []struct {
		name          string
		text          string
		width, height int
		kind          *pay.Error
		param         string
	}{
		{"empty", "", 0, 10, pay.ErrInvalidRequest, "text"},
		{"too long", strings.Repeat("7", MaxCode128Len+1), 0, 10, ErrTooLong, "text"},
		{"control", "4000\n123412341234", 0, 10, pay.ErrInvalidRequest, "text"},
		{"non-ASCII", "4000é12341234", 0, 10, pay.ErrInvalidRequest, "text"},
		{"negative width", tok, -1, 10, pay.ErrInvalidRequest, "width"},
		{"huge width", tok, MaxImageSize + 1, 10, pay.ErrInvalidRequest, "width"},
		{"zero height", tok, 0, 0, pay.ErrInvalidRequest, "height"},
		{"huge height", tok, 0, MaxImageSize + 1, pay.ErrInvalidRequest, "height"},
	} {
		_, err := EncodeCode128(tc.text, tc.width, tc.height)
		var pe *pay.Error
		if !errors.Is(err, tc.kind) || !errors.As(err, &pe) || pe.Param != tc.param {
			t.Errorf("%s: %v, want %s param %s", tc.name, err, tc.kind.Code, tc.param)
			continue
		}
		if len(tc.text) > 4 && strings.Contains(err.Error(), tc.text[:4]) {
			t.Errorf("%s: error echoes the text: %v", tc.name, err)
		}
	}
	qr, err := EncodeImage(alnum(100))
	if err != nil {
		t.Fatal(err)
	}
	blank := image.NewGray(image.Rect(0, 0, 200, 50))
	for name, img := range map[string]image.Image{"QR symbol": qr, "black": blank} {
		if got, err := DecodeCode128(img); !errors.Is(err, ErrNoCode) || got != "" {
			t.Errorf("%s: %q, %v; want ErrNoCode", name, got, err)
		}
	}
	if _, err := DecodeCode128(nil); !errors.Is(err, pay.ErrInvalidRequest) {
		t.Errorf("nil: %v", err)
	}
}

// TestAlongBars checks the column average against a direct computation,
// edges clamped.
func TestAlongBars(t *testing.T) {
	const w, h, k = 5, 7, 2
	r := rand.New(rand.NewPCG(5, 7))
	src := image.NewGray(image.Rect(0, 0, w, h))
	for i := range src.Pix {
		src.Pix[i] = uint8(r.Uint32())
	}
	lum, err := luminance(src)
	if err != nil {
		t.Fatal(err)
	}
	got := alongBars(lum, k).GetMatrix()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			sum := 0
			for d := -k; d <= k; d++ {
				sum += int(src.Pix[min(max(y+d, 0), h-1)*w+x])
			}
			if want := byte((sum + k) / (2*k + 1)); got[y*w+x] != want {
				t.Fatalf("(%d,%d): %d, want %d", x, y, got[y*w+x], want)
			}
		}
	}
}
