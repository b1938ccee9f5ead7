package qrimage

import (
	"bytes"
	"errors"
	"image/png"
	"testing"
)

// FuzzDecodePNG feeds arbitrary bytes to DecodePNG, and the images among
// them to DecodeCode128: no panic, and every failure is ErrBadImage or
// ErrNoCode. Images over 256×256 are skipped to keep each run cheap (the
// pixel limit itself is TestDecodePNGBadInput's).
func FuzzDecodePNG(f *testing.F) {
	card, err := Encode(alnum(170))
	if err != nil {
		f.Fatal(err)
	}
	small, err := Encode("HC1:6BF", WithModuleSize(1), WithLevel(LevelL))
	if err != nil {
		f.Fatal(err)
	}
	bar, err := EncodeCode128("ptk_abcdefghijklmnopqrstuvwxyz", 0, 8)
	if err != nil {
		f.Fatal(err)
	}
	var barPNG bytes.Buffer
	if err := png.Encode(&barPNG, bar); err != nil {
		f.Fatal(err)
	}
	f.Add(card)
	f.Add(small)
	f.Add(barPNG.Bytes())
	f.Add(card[:40])
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if cfg, err := png.DecodeConfig(bytes.NewReader(b)); err == nil && cfg.Width*cfg.Height > 256*256 {
			t.Skip("large image")
		}
		text, err := DecodePNG(b)
		if err != nil && !errors.Is(err, ErrBadImage) && !errors.Is(err, ErrNoCode) {
			t.Fatalf("DecodePNG: unexpected error kind: %v", err)
		}
		if err != nil && text != "" {
			t.Fatal("DecodePNG returned text with an error")
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil || img.Bounds().Empty() {
			return
		}
		if _, err := DecodeCode128(img); err != nil && !errors.Is(err, ErrNoCode) {
			t.Fatalf("DecodeCode128: unexpected error kind: %v", err)
		}
	})
}
