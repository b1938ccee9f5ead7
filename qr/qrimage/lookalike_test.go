package qrimage

import (
	"errors"
	"image"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
)

// tiled returns a side×side image covered with finder-pattern look-alikes
// of one-pixel modules, one every 9 pixels each way.
func tiled(side int) *image.Gray {
	g := white(side, side)
	fp := [7]string{"1111111", "1000001", "1011101", "1011101", "1011101", "1000001", "1111111"}
	for by := 0; by+9 <= side; by += 9 {
		for bx := 0; bx+9 <= side; bx += 9 {
			for y, row := range fp {
				for x, c := range row {
					if c == '1' {
						g.Pix[(by+y)*g.Stride+bx+x] = 0
					}
				}
			}
		}
	}
	return g
}

// blackMatrix binarizes g as the chain's first strategies do.
func blackMatrix(t *testing.T, g *image.Gray) *gozxing.BitMatrix {
	t.Helper()
	src, err := luminance(g)
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(src))
	if err != nil {
		t.Fatal(err)
	}
	m, err := bmp.GetBlackMatrix()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestLookalikesCount(t *testing.T) {
	// 22×22 patterns in 200×200: each counted once.
	if n := lookalikes(blackMatrix(t, tiled(200)), 10_000); n != 484 {
		t.Errorf("tiled 200: %d look-alikes, want 484", n)
	}
	// The count stops just past the limit.
	if n := lookalikes(blackMatrix(t, tiled(200)), 50); n != 51 {
		t.Errorf("tiled 200, limit 50: %d, want 51", n)
	}
	// A card symbol: its three finder patterns and a few look-alikes in
	// the data, far below both limits.
	for i, text := range cardTexts(5, 20) {
		img, err := EncodeImage(text)
		if err != nil {
			t.Fatal(err)
		}
		if n := lookalikes(blackMatrix(t, gray(img)), 10_000); n < 3 || n > 6 {
			t.Errorf("card %d: %d look-alikes, want 3 to 6", i, n)
		}
	}
	if n := lookalikes(blackMatrix(t, white(50, 50)), 10); n != 0 {
		t.Errorf("blank: %d", n)
	}
}

// TestDecodeManyLookalikes: images that would hold gozxing's cubic
// finder-pattern selection for minutes (a 300×300 tile of 1,089
// look-alikes; raw gozxing alone takes seconds on it) and megapixels of
// noise fail fast with ErrNoCode. The 60 s bound only catches a lost
// guard: without it the tile takes minutes.
func TestDecodeManyLookalikes(t *testing.T) {
	r := rand.New(rand.NewPCG(30, 30))
	side := 1500
	if raceEnabled {
		side = 700
	}
	for name, g := range map[string]*image.Gray{
		"tiled 300":      tiled(300),
		"tiled 120":      tiled(120), // 169: the single detectors run, the multi ones do not
		"noise":          noise(white(side, side), 30, r),
		"inverted noise": invert(noise(white(side, side), 30, r)),
	} {
		start := time.Now()
		done := make(chan error, 1)
		go func() {
			_, err := Decode(g)
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, ErrNoCode) {
				t.Errorf("%s: %v, want ErrNoCode", name, err)
			}
			t.Logf("%s: %v", name, time.Since(start))
		case <-time.After(60 * time.Second):
			t.Fatalf("%s: Decode still running after 60 s", name)
		}
	}
}
