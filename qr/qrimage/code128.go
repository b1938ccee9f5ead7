package qrimage

import (
	"image"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
	"github.com/paykit-go/paykit/pay"
)

// MaxCode128Len is the longest text EncodeCode128 takes, gozxing's limit
// (a token is at most 30 characters).
const MaxCode128Len = 80

// Code128QuietZone is the white margin, in modules, on each side of a Code
// 128 barcode: the 10 modules ISO/IEC 15417 requires.
const Code128QuietZone = 10

// EncodeCode128 renders text as a Code 128 barcode for laser scanners: a
// card's short token (16 to 19 digits, or an opaque ptk_ token) fits one
// line. text is 1 to MaxCode128Len printable ASCII characters (space to
// '~'). The image is at least width pixels wide (0 asks for the narrowest,
// one pixel per module), widened when the barcode with its quiet zones
// needs more; every module is a whole number of pixels, and the spare width
// is added to the quiet zones. height (1 to MaxImageSize) is the bar height.
func EncodeCode128(text string, width, height int) (image.Image, error) {
	if text == "" {
		return nil, pay.Errorf(pay.ErrInvalidRequest, "text", "qrimage: empty text")
	}
	if len(text) > MaxCode128Len {
		return nil, pay.Errorf(ErrTooLong, "text", "qrimage: %d characters do not fit Code 128 (at most %d)", len(text), MaxCode128Len)
	}
	for i := 0; i < len(text); i++ {
		if c := text[i]; c < 0x20 || c > 0x7e {
			// The position, not the character: text may be a token.
			return nil, pay.Errorf(pay.ErrInvalidRequest, "text", "qrimage: character %d is not printable ASCII", i+1)
		}
	}
	if width < 0 || width > MaxImageSize {
		return nil, pay.Errorf(pay.ErrInvalidRequest, "width", "qrimage: width %d is outside 0..%d pixels", width, MaxImageSize)
	}
	if height < 1 || height > MaxImageSize {
		return nil, pay.Errorf(pay.ErrInvalidRequest, "height", "qrimage: height %d is outside 1..%d pixels", height, MaxImageSize)
	}
	// gozxing's margin is the total of both sides.
	hints := map[gozxing.EncodeHintType]any{gozxing.EncodeHintType_MARGIN: 2 * Code128QuietZone}
	m, err := oned.NewCode128Writer().Encode(text, gozxing.BarcodeFormat_CODE_128, width, height, hints)
	if err != nil {
		return nil, pay.ErrInternal.Wrap(err)
	}
	w, h := m.GetWidth(), m.GetHeight()
	img := image.NewPaletted(image.Rect(0, 0, w, h), palette)
	row := gozxing.NewBitArray(w)
	row = m.GetRow(0, row)
	for x := 0; x < w; x++ {
		if row.Get(x) {
			img.Pix[x] = 1
		}
	}
	for y := 1; y < h; y++ {
		copy(img.Pix[y*img.Stride:y*img.Stride+w], img.Pix[:w])
	}
	return img, nil
}

// DecodeCode128 reads a Code 128 barcode in img and returns its text. It
// tries gozxing's Code 128 reader on the image as it is, turned a quarter
// (vertical bars) and inverted, first on 15 rows round the middle (a
// printed label), then on every row (try-harder, which also reads bars
// upside down) of the image and of the image averaged along the bars
// (sensor noise cancels, the bars stay sharp). It returns ErrNoCode when
// no barcode is read. It is safe for concurrent use.
func DecodeCode128(img image.Image) (string, error) {
	if img == nil || img.Bounds().Empty() {
		return "", pay.Errorf(pay.ErrInvalidRequest, "image", "qrimage: nil or empty image")
	}
	src, err := luminance(img)
	if err != nil {
		return "", ErrNoCode.Wrap(err)
	}
	inv := gozxing.NewInvertedLuminanceSource(src)
	views := []gozxing.LuminanceSource{src, quarterTurn(src), inv, quarterTurn(inv)}
	reader := oned.NewCode128Reader()
	var last error
	read := func(s gozxing.LuminanceSource, hints map[gozxing.DecodeHintType]any) (string, bool) {
		bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(s))
		if err != nil {
			last = err
			return "", false
		}
		res, err := reader.Decode(bmp, hints)
		if err != nil {
			last = err
			return "", false
		}
		return res.GetText(), true
	}
	for _, v := range views {
		if text, ok := read(v, nil); ok {
			return text, nil
		}
	}
	for _, v := range views {
		if text, ok := read(v, hintsTryHarder); ok {
			return text, nil
		}
		if text, ok := read(alongBars(v, code128Smoothing), hintsTryHarder); ok {
			return text, nil
		}
	}
	return "", ErrNoCode.Wrap(last)
}

// code128Smoothing is how many rows above and below alongBars averages.
const code128Smoothing = 4

// alongBars returns src with each pixel averaged over the 2k+1 pixels of
// its column around it (clamped at the edges): along the bars of a
// horizontal barcode, where averaging removes noise but no edge.
func alongBars(src gozxing.LuminanceSource, k int) gozxing.LuminanceSource {
	w, h := src.GetWidth(), src.GetHeight()
	in := src.GetMatrix()
	out := make([]byte, w*h)
	sums := make([]int, w)
	n := 2*k + 1
	// Running column sums over the window [y-k, y+k], rows clamped.
	for d := -k; d <= k; d++ {
		row := in[min(max(d, 0), h-1)*w:]
		for x := 0; x < w; x++ {
			sums[x] += int(row[x])
		}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			out[y*w+x] = byte((sums[x] + n/2) / n)
		}
		drop, add := in[max(y-k, 0)*w:], in[min(y+k+1, h-1)*w:]
		for x := 0; x < w; x++ {
			sums[x] += int(add[x]) - int(drop[x])
		}
	}
	s, err := gozxing.NewPlanarYUVLuminanceSource(out, w, h, 0, 0, w, h, false)
	if err != nil { // cannot happen: the crop is the whole buffer
		return src
	}
	return s
}

// quarterTurn returns src turned 90° counter-clockwise, so vertical rows
// of bars become horizontal.
func quarterTurn(src gozxing.LuminanceSource) gozxing.LuminanceSource {
	w, h := src.GetWidth(), src.GetHeight()
	in := src.GetMatrix()
	out := make([]byte, w*h)
	// (x, y) moves to (y, w-1-x) in the h-wide result.
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			out[(w-1-x)*h+y] = in[y*w+x]
		}
	}
	s, err := gozxing.NewPlanarYUVLuminanceSource(out, h, w, 0, 0, h, w, false)
	if err != nil { // cannot happen: the crop is the whole buffer
		return src
	}
	return s
}
