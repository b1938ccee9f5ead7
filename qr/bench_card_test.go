package qr_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	zqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/qr"
	"github.com/paykit-go/paykit/qr/qrimage"
	qrcode "github.com/skip2/go-qrcode"
)

// benchCard is the size-goal card: a 16-character holder, a 19-digit token.
func benchCard(b *testing.B) (qr.Card, *qr.SoftwareSigner, *qr.KeySet, time.Time) {
	b.Helper()
	s, err := qr.GenerateSigner(1)
	if err != nil {
		b.Fatal(err)
	}
	keys := qr.NewKeySet()
	if err := keys.Add(1, s.Public()); err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	c := qr.Card{
		ID: qr.NewCardID(), Holder: "Li Lei Wang 2026", Token: "6212345678901234569",
		Balance: pay.Money{Amount: 99_999_99, Currency: "CNY"}, Uses: 50,
		NotBefore: now, Expires: now.Add(365 * 24 * time.Hour), Seq: 10_000,
	}
	return c, s, keys, now.Add(time.Hour)
}

// BenchmarkCardEncodeRender is a card encoded, signed and rendered to PNG;
// BenchmarkRawGoQRCodePNG renders the same text with go-qrcode alone, at
// the same pixel size, in the same run.
func BenchmarkCardEncodeRender(b *testing.B) {
	c, s, _, _ := benchCard(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		text, err := qr.Encode(ctx, c, s)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := qrimage.Encode(text); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRawGoQRCodePNG(b *testing.B) {
	c, s, _, _ := benchCard(b)
	text, err := qr.Encode(context.Background(), c, s)
	if err != nil {
		b.Fatal(err)
	}
	size := pngWidth(b, text)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := qrcode.Encode(text, qrcode.Medium, size); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCardDecodeVerify reads a clean card image and verifies the card;
// BenchmarkRawGozxing reads the same image with gozxing's QR reader alone
// (default hints), in the same run.
func BenchmarkCardDecodeVerify(b *testing.B) {
	c, s, keys, now := benchCard(b)
	img := cardImage(b, c, s)
	b.ReportAllocs()
	for b.Loop() {
		text, err := qrimage.Decode(img)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := qr.Decode(text, keys, now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRawGozxing(b *testing.B) {
	c, s, _, _ := benchCard(b)
	img := cardImage(b, c, s)
	reader := zqr.NewQRCodeReader()
	b.ReportAllocs()
	for b.Loop() {
		bmp, err := gozxing.NewBinaryBitmapFromImage(img)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := reader.Decode(bmp, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func cardImage(b *testing.B, c qr.Card, s qr.Signer) image.Image {
	b.Helper()
	text, err := qr.Encode(context.Background(), c, s)
	if err != nil {
		b.Fatal(err)
	}
	p, err := qrimage.Encode(text)
	if err != nil {
		b.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(p))
	if err != nil {
		b.Fatal(err)
	}
	return img
}

// pngWidth is the pixel width qrimage renders text at, so go-qrcode is
// asked for the same.
func pngWidth(b *testing.B, text string) int {
	b.Helper()
	img, err := qrimage.EncodeImage(text)
	if err != nil {
		b.Fatal(err)
	}
	return img.Bounds().Dx()
}
