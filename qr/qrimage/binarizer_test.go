package qrimage

import (
	"image"
	"math/rand/v2"
	"testing"

	"github.com/makiuchi-d/gozxing"
)

// TestMidpointBinarizer: the threshold sits halfway between the 2nd and
// 98th percentiles, whatever the share of dark pixels; a flat image is
// refused.
func TestMidpointBinarizer(t *testing.T) {
	// A 10×10 image: 10 pixels at 40, 78 at 200, one each at 147 and 148,
	// 10 at 255. Percentiles: 2nd = 40, 98th = 255; the midpoint is 148.
	g := image.NewGray(image.Rect(0, 0, 10, 10))
	for i := range g.Pix {
		switch {
		case i < 10:
			g.Pix[i] = 40
		case i < 90:
			g.Pix[i] = 200
		default:
			g.Pix[i] = 255
		}
	}
	g.Pix[50], g.Pix[51] = 147, 148
	src, _ := luminance(g)
	m, err := newMidpointBinarizer(src).GetBlackMatrix()
	if err != nil {
		t.Fatal(err)
	}
	for i := range g.Pix {
		if want := g.Pix[i] < 148; m.Get(i%10, i/10) != want {
			t.Errorf("pixel %d (%d): black=%v", i, g.Pix[i], !want)
		}
	}
	row, err := newMidpointBinarizer(src).GetBlackRow(5, nil)
	if err != nil || !row.Get(0) || row.Get(1) {
		t.Errorf("row 5: %v, %v", row, err)
	}

	flat := image.NewGray(image.Rect(0, 0, 10, 10))
	for i := range flat.Pix {
		flat.Pix[i] = uint8(100 + i%20) // contrast 19 < minContrast
	}
	src, _ = luminance(flat)
	if _, err := newMidpointBinarizer(src).GetBlackMatrix(); err == nil {
		t.Error("a flat image was binarized")
	} else if _, ok := err.(gozxing.NotFoundException); !ok {
		t.Errorf("flat image: %T %v, want NotFoundException", err, err)
	}
}

// TestSmoothed checks the 3×3 mean against a direct computation, edges
// clamped.
func TestSmoothed(t *testing.T) {
	const w, h = 6, 5
	r := rand.New(rand.NewPCG(6, 5))
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = uint8(r.Uint32())
	}
	src, _ := luminance(g)
	got := smoothed(src).GetMatrix()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			sum := 0
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					sum += int(g.Pix[min(max(y+dy, 0), h-1)*w+min(max(x+dx, 0), w-1)])
				}
			}
			if want := byte((sum + 4) / 9); got[y*w+x] != want {
				t.Fatalf("(%d,%d): %d, want %d", x, y, got[y*w+x], want)
			}
		}
	}
}
