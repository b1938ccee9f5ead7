package qrimage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/paykit-go/paykit/pay"
)

// TestChainStrategiesEarnTheirPlace pins, for every strategy of the chain,
// an image that it is the first to read: none of them is dead weight. The
// images are deterministic (seeded perturbations of the card texts of
// TestPerturbations) and gozxing is pinned in go.mod. Symbol 19 has a run
// of data modules that gozxing's finder search takes for a finder pattern,
// which the multi-triple strategies get past.
func TestChainStrategiesEarnTheirPlace(t *testing.T) {
	texts := cardTexts(5, 20)
	for _, tc := range []struct {
		want   string
		symbol int
		seed   uint64
		apply  func(*image.Gray, *rand.Rand) *image.Gray
	}{
		{"pure", 0, 0, func(g *image.Gray, _ *rand.Rand) *image.Gray { return g }},
		{"default", 0, 0, func(g *image.Gray, _ *rand.Rand) *image.Gray { return rotateQuarter(g, 1) }},
		{"try-harder", 18, 22, func(g *image.Gray, r *rand.Rand) *image.Gray {
			return noise(inFrame(rotate(g, -3), 800, 600, r), 10, r)
		}},
		{"multi", 19, 0, func(g *image.Gray, _ *rand.Rand) *image.Gray { return boxBlur(g, 1) }},
		{"midpoint", 0, 0, func(g *image.Gray, _ *rand.Rand) *image.Gray { return gaussBlur(g, 1.5) }},
		{"midpoint-multi", 19, 0, func(g *image.Gray, _ *rand.Rand) *image.Gray { return gaussBlur(g, 1.5) }},
		{"smoothed-midpoint", 0, 23, func(g *image.Gray, r *rand.Rand) *image.Gray { return noise(g, 55, r) }},
		{"smoothed-midpoint-multi", 19, 23, func(g *image.Gray, r *rand.Rand) *image.Gray { return noise(g, 55, r) }},
	} {
		img, err := EncodeImage(texts[tc.symbol])
		if err != nil {
			t.Fatal(err)
		}
		g := tc.apply(gray(img), rand.New(rand.NewPCG(tc.seed, uint64(tc.symbol))))
		src, err := luminance(g)
		if err != nil {
			t.Fatal(err)
		}
		got, k, err := decodeQR(src)
		if err != nil || got != texts[tc.symbol] {
			t.Errorf("%s: not read: %v", tc.want, err)
			continue
		}
		if chain[k].name != tc.want {
			t.Errorf("read by %q first, want %q", chain[k].name, tc.want)
		}
	}
	seen := map[string]bool{}
	for _, s := range chain {
		if seen[s.name] {
			t.Errorf("strategy %q twice in the chain", s.name)
		}
		seen[s.name] = true
	}
	if len(chain) != 8 {
		t.Errorf("%d strategies, the test pins 8", len(chain))
	}
}

// TestDefaultReaderMissesCleanSymbols measures the gap the chain closes:
// gozxing's QR reader with default hints, on 1,000 clean card symbols as
// Encode draws them, misses exactly 8; Decode reads all of them.
func TestDefaultReaderMissesCleanSymbols(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("1,000 symbols: not under -race or -short")
	}
	texts := roundTripTexts(1000)
	raw, ours := 0, 0
	for _, text := range texts {
		img, err := EncodeImage(text)
		if err != nil {
			t.Fatal(err)
		}
		bmp, _ := gozxing.NewBinaryBitmapFromImage(img)
		if res, err := qrcode.NewQRCodeReader().Decode(bmp, nil); err != nil || res.GetText() != text {
			raw++
		}
		if got, err := Decode(img); err != nil || got != text {
			ours++
		}
	}
	t.Logf("gozxing default hints missed %d of %d clean symbols; Decode missed %d", raw, len(texts), ours)
	if raw != 8 || ours != 0 {
		t.Errorf("gozxing default missed %d (want 8), Decode missed %d (want 0)", raw, ours)
	}
}

func TestDecodeNoCode(t *testing.T) {
	blank := image.NewGray(image.Rect(0, 0, 300, 300))
	for i := range blank.Pix {
		blank.Pix[i] = 255
	}
	r := rand.New(rand.NewPCG(1, 1))
	static := image.NewGray(image.Rect(0, 0, 300, 300))
	for i := range static.Pix {
		static.Pix[i] = uint8(r.Uint32())
	}
	bar, err := EncodeCode128("4111111111111111", 400, 80)
	if err != nil {
		t.Fatal(err)
	}
	// A symbol with its centre torn out: finder patterns, no data.
	torn, err := EncodeImage(alnum(170))
	if err != nil {
		t.Fatal(err)
	}
	tg := gray(torn)
	for y := 60; y < 160; y++ {
		for x := 60; x < 160; x++ {
			tg.Pix[y*tg.Stride+x] = 255
		}
	}
	for name, img := range map[string]image.Image{"blank": blank, "static": static, "code 128": bar, "torn": tg, "1x1": image.NewGray(image.Rect(0, 0, 1, 1))} {
		got, err := Decode(img)
		if !errors.Is(err, ErrNoCode) || got != "" {
			t.Errorf("%s: %q, %v; want ErrNoCode", name, got, err)
		}
		var pe *pay.Error
		if errors.As(err, &pe) && pe.HTTPStatus != 422 {
			t.Errorf("%s: status %d", name, pe.HTTPStatus)
		}
	}
	if _, err := Decode(nil); !errors.Is(err, pay.ErrInvalidRequest) {
		t.Errorf("nil image: %v", err)
	}
	if _, err := Decode(image.NewGray(image.Rect(5, 5, 5, 9))); !errors.Is(err, pay.ErrInvalidRequest) {
		t.Errorf("empty image: %v", err)
	}
}

func TestDecodePNGBadInput(t *testing.T) {
	good, err := Encode(alnum(60))
	if err != nil {
		t.Fatal(err)
	}
	var blank bytes.Buffer
	if err := png.Encode(&blank, image.NewGray(image.Rect(0, 0, 50, 50))); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		b    []byte
		kind *pay.Error
	}{
		"nil":             {nil, ErrBadImage},
		"garbage":         {[]byte("this is not a PNG at all, just text"), ErrBadImage},
		"JPEG magic":      {[]byte{0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'J', 'F', 'I', 'F'}, ErrBadImage},
		"truncated":       {good[:len(good)/2], ErrBadImage},
		"header only":     {good[:33], ErrBadImage},
		"flipped IDAT":    {flipByte(good, len(good)-30), ErrBadImage},
		"huge":            {withSize(good, 100_000, 100_000), ErrBadImage},
		"just over limit": {withSize(good, 5001, 5000), ErrBadImage},
		"all black 50x50": {blank.Bytes(), ErrNoCode},
	} {
		got, err := DecodePNG(tc.b)
		if !errors.Is(err, tc.kind) || got != "" {
			t.Errorf("%s: %q, %v; want %s", name, got, err, tc.kind.Code)
		}
	}
	if got, err := DecodePNG(good); err != nil || got != alnum(60) {
		t.Errorf("good PNG: %v", err)
	}
}

// flipByte returns a copy of b with one byte inverted.
func flipByte(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0xff
	return c
}

// withSize returns a copy of the PNG b whose IHDR claims w×h pixels, with
// the chunk's CRC fixed so that the header itself is valid.
func withSize(b []byte, w, h uint32) []byte {
	c := bytes.Clone(b)
	// Signature (8), IHDR length (4) and type (4), then width and height.
	binary.BigEndian.PutUint32(c[16:], w)
	binary.BigEndian.PutUint32(c[20:], h)
	binary.BigEndian.PutUint32(c[29:], crc32.ChecksumIEEE(c[12:29]))
	return c
}

// TestLuminanceMatchesGozxing: the fast paths compute what gozxing's own
// conversion does, on sub-images with non-zero origins, for every pixel
// type Decode reads directly and for one it reads through At.
func TestLuminanceMatchesGozxing(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	rect := image.Rect(0, 0, 37, 23)
	sub := image.Rect(5, 3, 30, 20)
	pal := image.NewPaletted(rect, color.Palette{color.White, color.Black, color.NRGBA{200, 10, 90, 128}, color.Gray{77}})
	gr := image.NewGray(rect)
	rgba := image.NewRGBA(rect)
	nrgba := image.NewNRGBA(rect)
	g16 := image.NewGray16(rect)
	for y := 0; y < rect.Dy(); y++ {
		for x := 0; x < rect.Dx(); x++ {
			pal.SetColorIndex(x, y, uint8(r.IntN(4)))
			gr.SetGray(x, y, color.Gray{uint8(r.Uint32())})
			a := uint8(r.Uint32())
			rgba.SetRGBA(x, y, color.RGBA{uint8(r.IntN(int(a) + 1)), uint8(r.IntN(int(a) + 1)), uint8(r.IntN(int(a) + 1)), a})
			nrgba.SetNRGBA(x, y, color.NRGBA{uint8(r.Uint32()), uint8(r.Uint32()), uint8(r.Uint32()), uint8(r.Uint32())})
			g16.SetGray16(x, y, color.Gray16{uint16(r.Uint32())})
		}
	}
	for name, img := range map[string]interface {
		image.Image
		SubImage(image.Rectangle) image.Image
	}{"paletted": pal, "gray": gr, "rgba": rgba, "nrgba": nrgba, "gray16": g16} {
		for _, im := range []image.Image{img, img.SubImage(sub)} {
			ours, err := luminance(im)
			if err != nil {
				t.Fatal(err)
			}
			theirs := gozxing.NewLuminanceSourceFromImage(im)
			if !bytes.Equal(ours.GetMatrix(), theirs.GetMatrix()) {
				t.Errorf("%s %v: luminance differs from gozxing's", name, im.Bounds())
			}
		}
	}
	// YCbCr gives its Y plane.
	y := image.NewYCbCr(rect, image.YCbCrSubsampleRatio420)
	for i := range y.Y {
		y.Y[i] = uint8(r.Uint32())
	}
	s := y.SubImage(sub).(*image.YCbCr)
	ours, _ := luminance(s)
	m := ours.GetMatrix()
	for yy := 0; yy < sub.Dy(); yy++ {
		for xx := 0; xx < sub.Dx(); xx++ {
			if m[yy*sub.Dx()+xx] != s.Y[s.YOffset(sub.Min.X+xx, sub.Min.Y+yy)] {
				t.Fatalf("YCbCr (%d,%d): not the Y plane", xx, yy)
			}
		}
	}
}

// TestDecodeConcurrent: 64 goroutines encode and decode their own texts at
// once (the PNG encoder pool is shared); every one reads its own text.
func TestDecodeConcurrent(t *testing.T) {
	const n = 64
	texts := cardTexts(64, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := range n {
		wg.Go(func() {
			p, err := Encode(texts[i], WithModuleSize(2))
			if err != nil {
				t.Error(err)
				return
			}
			got, err := DecodePNG(p)
			if err == nil && got == texts[i] {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if ok != n {
		t.Errorf("%d of %d goroutines read their own text", ok, n)
	}
}

// TestErrorsDoNotEchoText: a card that fails to decode or encode never
// appears in the error text.
func TestErrorsDoNotEchoText(t *testing.T) {
	text := alnum(170)
	img, _ := EncodeImage(text)
	g := gray(img)
	for y := 16; y < 60; y++ { // tear out the top-left finder pattern
		for x := 16; x < 60; x++ {
			g.Pix[y*g.Stride+x] = 255
		}
	}
	_, err := Decode(g)
	if err == nil {
		t.Fatal("decoded a symbol without its finder pattern")
	}
	if strings.Contains(err.Error(), text[:12]) {
		t.Errorf("error echoes the text: %v", err)
	}
}
