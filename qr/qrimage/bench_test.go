package qrimage

import (
	"image"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	goqrcode "github.com/skip2/go-qrcode"
)

// Each paykit benchmark has a raw-library twin on the same input in the
// same run: go-qrcode encoding the same text at the same level and size
// (4 pixels per module, 4-module quiet zone, so the same 212×212 image),
// gozxing reading the same image with default hints. Run:
//
//	go test -run '^$' -bench . -benchmem -count 5 ./qr/qrimage/

// benchText is a card-like text: 164 characters of Base45, version 7-M.
var benchText = cardTexts(99, 1)[0]

func BenchmarkEncodePNG(b *testing.B) {
	for b.Loop() {
		if _, err := Encode(benchText); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawGoQRCode is qrcode.Encode of the same text, level and size
// (it writes the PNG at best compression).
func BenchmarkRawGoQRCode(b *testing.B) {
	for b.Loop() {
		if _, err := goqrcode.Encode(benchText, goqrcode.Medium, -DefaultModuleSize); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeImage and BenchmarkRawGoQRCodeImage compare the symbol
// and the drawing alone, without PNG.
func BenchmarkEncodeImage(b *testing.B) {
	for b.Loop() {
		if _, err := EncodeImage(benchText); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRawGoQRCodeImage(b *testing.B) {
	for b.Loop() {
		q, err := goqrcode.New(benchText, goqrcode.Medium)
		if err != nil {
			b.Fatal(err)
		}
		_ = q.Image(-DefaultModuleSize)
	}
}

// cleanSymbol is benchText as Encode draws it.
func cleanSymbol(b *testing.B) image.Image {
	img, err := EncodeImage(benchText)
	if err != nil {
		b.Fatal(err)
	}
	return img
}

func BenchmarkDecode(b *testing.B) {
	benchDecode(b, cleanSymbol(b))
}

// BenchmarkRawGozxing reads the same image with gozxing's QR reader and
// default hints, the bitmap built inside the loop as Decode builds its own.
func BenchmarkRawGozxing(b *testing.B) {
	benchRaw(b, cleanSymbol(b))
}

// BenchmarkDecodeRotated7 and BenchmarkRawGozxingRotated7: a camera-like
// symbol (turned 7°), where the pure-barcode attempt fails first.
func BenchmarkDecodeRotated7(b *testing.B) {
	benchDecode(b, rotate(gray(cleanSymbol(b)), 7))
}

func BenchmarkRawGozxingRotated7(b *testing.B) {
	benchRaw(b, rotate(gray(cleanSymbol(b)), 7))
}

// BenchmarkDecodeNoCode is the cost of ErrNoCode on a blank 212×212
// image: the whole chain, twice (normal and inverted).
func BenchmarkDecodeNoCode(b *testing.B) {
	blank := white(212, 212)
	for b.Loop() {
		if _, err := Decode(blank); err == nil {
			b.Fatal("read a blank image")
		}
	}
}

func benchDecode(b *testing.B, img image.Image) {
	for b.Loop() {
		if got, err := Decode(img); err != nil || got != benchText {
			b.Fatal(err)
		}
	}
}

func benchRaw(b *testing.B, img image.Image) {
	for b.Loop() {
		bmp, err := gozxing.NewBinaryBitmapFromImage(img)
		if err != nil {
			b.Fatal(err)
		}
		res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
		if err != nil || res.GetText() != benchText {
			b.Fatal("gozxing did not read the benchmark symbol", err)
		}
	}
}

func BenchmarkCode128RoundTrip(b *testing.B) {
	const tok = "4000123412341234567"
	for b.Loop() {
		img, err := EncodeCode128(tok, 0, 40)
		if err != nil {
			b.Fatal(err)
		}
		if got, err := DecodeCode128(img); err != nil || got != tok {
			b.Fatal(err)
		}
	}
}
