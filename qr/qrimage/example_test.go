package qrimage_test

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"

	"github.com/paykit-go/paykit/qr/qrimage"
)

// Encode a card's Base45 text to PNG and read it back.
func Example() {
	card := "6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDEXWK G2EP4J0B3KL6QM5/OVGA/MAT%ZSY1"
	png, err := qrimage.Encode(card)
	if err != nil {
		panic(err)
	}
	text, err := qrimage.DecodePNG(png)
	if err != nil {
		panic(err)
	}
	fmt.Println(text == card)
	// Output: true
}

// Version reports the QR version a text needs at each level: a
// 178-character card fits version 7 at level M.
func ExampleVersion() {
	card := make([]byte, 178)
	for i := range card {
		card[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"[i%35]
	}
	for _, level := range []qrimage.Level{qrimage.LevelL, qrimage.LevelM, qrimage.LevelQ, qrimage.LevelH} {
		v, err := qrimage.Version(string(card), level)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s: version %d, %d modules\n", level, v, 17+4*v)
	}
	// Output:
	// L: version 6, 41 modules
	// M: version 7, 45 modules
	// Q: version 9, 53 modules
	// H: version 11, 61 modules
}

// A camera sees the card upside down, on a grey counter, in light and dark
// inverted: Decode still reads it.
func ExampleDecode() {
	sym, err := qrimage.EncodeImage("HC1:NCFOXN%TS3DH3ZSUZK+.V0ETD%65NL")
	if err != nil {
		panic(err)
	}
	b := sym.Bounds()
	frame := image.NewGray(image.Rect(0, 0, b.Dx()+200, b.Dy()+120))
	draw.Draw(frame, frame.Bounds(), image.NewUniform(color.Gray{40}), image.Point{}, draw.Src)
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			// Turned 180°, light modules dark and dark ones light.
			v := color.GrayModel.Convert(sym.At(b.Max.X-1-x, b.Max.Y-1-y)).(color.Gray).Y
			frame.SetGray(130+x, 50+y, color.Gray{255 - v})
		}
	}
	text, err := qrimage.Decode(frame)
	fmt.Println(text, err)

	_, err = qrimage.Decode(image.NewGray(image.Rect(0, 0, 100, 100)))
	fmt.Println(errors.Is(err, qrimage.ErrNoCode))
	// Output:
	// HC1:NCFOXN%TS3DH3ZSUZK+.V0ETD%65NL <nil>
	// true
}

// A card's numeric token as a Code 128 barcode, 3 pixels per module.
func ExampleEncodeCode128() {
	img, err := qrimage.EncodeCode128("4000123412341234", 3*143, 60)
	if err != nil {
		panic(err)
	}
	fmt.Println(img.Bounds().Dx(), img.Bounds().Dy())
	text, err := qrimage.DecodeCode128(img)
	fmt.Println(text, err)
	// Output:
	// 429 60
	// 4000123412341234 <nil>
}
