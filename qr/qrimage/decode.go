package qrimage

import (
	"bytes"
	"image"
	"image/png"

	"github.com/makiuchi-d/gozxing"
	multiqr "github.com/makiuchi-d/gozxing/multi/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/paykit-go/paykit/pay"
)

// MaxPixels bounds the images DecodePNG accepts (width × height), read from
// the PNG header before any pixel is decompressed, so a small file that
// claims a huge image cannot exhaust memory. 25 megapixels covers a full
// frame of a 24-megapixel phone camera.
const MaxPixels = 25_000_000

// Decode finds a QR symbol in img and returns its text (the first symbol
// read, if the image holds several). It is safe for concurrent use.
//
// gozxing's reader with default hints misses some clean synthetic symbols
// (a run of data modules that looks like a finder pattern wins over the
// real one), and its binarizers lose defocused or noisy camera frames.
// Decode therefore runs a chain of strategies and stops at the first
// success:
//
//  1. the pure-barcode hint: a straight symbol such as Encode draws, read
//     without detection (fast, and exact for a clean card);
//  2. the default detector;
//  3. the try-harder detector (every third row searched, for a small
//     symbol in a large frame);
//  4. every plausible triple of finder patterns, not only the best one
//     (finder look-alikes in the data);
//  5. and 6. the detectors of 3 and 4 on a midpoint threshold instead of
//     gozxing's hybrid binarizer (blur);
//  7. and 8. the same on the image smoothed over 3×3 pixels (heavy noise);
//
// and then the whole chain on the inverted image (light modules on a dark
// ground). A clean card is read by step 1. When every strategy fails,
// Decode returns ErrNoCode.
//
// gozxing's detectors weigh every triple of finder-pattern candidates, so
// their time grows with the cube of the candidates: an image tiled with
// hundreds of small look-alikes would hold one call for seconds and the
// multi-triple search for minutes. Decode counts the candidates first in
// one linear pass and skips the detectors (steps 2 to 8) on a binarization
// with more than 200, and the multi-triple steps with more than 12; real
// card images show at most 6, a noisy camera frame a few dozen. With that
// bound a failed Decode of a blank card-sized image takes a few
// milliseconds and of a 12-megapixel frame about a second (pure noise
// included); see BenchmarkDecodeNoCode and TestDecodeManyLookalikes.
func Decode(img image.Image) (string, error) {
	if img == nil || img.Bounds().Empty() {
		return "", pay.Errorf(pay.ErrInvalidRequest, "image", "qrimage: nil or empty image")
	}
	src, err := luminance(img)
	if err != nil {
		return "", ErrNoCode.Wrap(err)
	}
	text, _, err := decodeQR(src)
	if err == nil {
		return text, nil
	}
	text, _, err = decodeQR(gozxing.NewInvertedLuminanceSource(src))
	if err == nil {
		return text, nil
	}
	return "", ErrNoCode.Wrap(err)
}

// strategy is one way of reading a luminance source.
type strategy struct {
	name     string // for tests
	pure     bool   // no detection: the image is the symbol, straight
	smoothed bool   // read the 3×3-smoothed source
	midpoint bool   // threshold at the midpoint, not with the hybrid binarizer
	multi    bool   // try every plausible finder-pattern triple, not just the best
	hints    map[gozxing.DecodeHintType]any
}

var (
	hintsPure      = map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true}
	hintsTryHarder = map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
)

// chain is the order Decode tries the strategies in, cheapest and most
// likely first. Each one reads images the ones before it miss (see
// TestChainStrategiesEarnTheirPlace).
var chain = []strategy{
	{name: "pure", pure: true, hints: hintsPure},
	{name: "default"},
	{name: "try-harder", hints: hintsTryHarder},
	{name: "multi", multi: true, hints: hintsTryHarder},
	{name: "midpoint", midpoint: true, hints: hintsTryHarder},
	{name: "midpoint-multi", midpoint: true, multi: true, hints: hintsTryHarder},
	{name: "smoothed-midpoint", smoothed: true, midpoint: true, hints: hintsTryHarder},
	{name: "smoothed-midpoint-multi", smoothed: true, midpoint: true, multi: true, hints: hintsTryHarder},
}

// decodeQR runs the chain on src and returns the first text found with the
// index of the strategy that found it, or the last failure.
func decodeQR(src gozxing.LuminanceSource) (string, int, error) {
	in := inputs{src: src, candidates: [2][2]int{{-1, -1}, {-1, -1}}}
	reader := qrcode.NewQRCodeReader()
	multiReader := multiqr.NewQRCodeMultiReader()
	var last error
	for i, s := range chain {
		bmp, err := in.bitmap(s)
		if err == nil && !s.pure {
			err = in.bounded(s, bmp)
		}
		if err != nil {
			last = err
			continue
		}
		if s.multi {
			res, err := multiReader.DecodeMultiple(bmp, s.hints)
			if err == nil && len(res) > 0 {
				return res[0].GetText(), i, nil
			}
			if err == nil { // the multi reader reports "none" as an empty list
				err = gozxing.NewNotFoundException("no symbol")
			}
			last = err
			continue
		}
		res, err := reader.Decode(bmp, s.hints)
		if err == nil {
			return res.GetText(), i, nil
		}
		last = err
	}
	if last == nil { // never: every failed strategy sets it; but a failure must not read as success
		last = gozxing.NewNotFoundException()
	}
	return "", -1, last
}

// inputs holds what the strategies share for one luminance source: the
// smoothed source and up to four binarizations (each binarizes once and
// caches its black matrix, which the readers only read), with the count of
// finder-pattern look-alikes in each.
type inputs struct {
	src, smooth gozxing.LuminanceSource
	bitmaps     [2][2]*gozxing.BinaryBitmap // [smoothed][midpoint]
	candidates  [2][2]int                   // -1 until counted
}

// bitmap returns the binarization s reads.
func (in *inputs) bitmap(s strategy) (*gozxing.BinaryBitmap, error) {
	sm, mp := b2i(s.smoothed), b2i(s.midpoint)
	if bmp := in.bitmaps[sm][mp]; bmp != nil {
		return bmp, nil
	}
	src := in.src
	if s.smoothed {
		if in.smooth == nil {
			in.smooth = smoothed(in.src)
		}
		src = in.smooth
	}
	var bin gozxing.Binarizer
	if s.midpoint {
		bin = newMidpointBinarizer(src)
	} else {
		bin = gozxing.NewHybridBinarizer(src)
	}
	bmp, err := gozxing.NewBinaryBitmap(bin)
	if err != nil {
		return nil, err
	}
	in.bitmaps[sm][mp] = bmp
	return bmp, nil
}

// bounded reports whether the detector of s may search bmp: an error when
// bmp holds more finder-pattern look-alikes than its cubic search is
// allowed (see lookalikes).
func (in *inputs) bounded(s strategy, bmp *gozxing.BinaryBitmap) error {
	sm, mp := b2i(s.smoothed), b2i(s.midpoint)
	if in.candidates[sm][mp] < 0 {
		m, err := bmp.GetBlackMatrix()
		if err != nil {
			return err
		}
		in.candidates[sm][mp] = lookalikes(m, maxLookalikes)
	}
	n := in.candidates[sm][mp]
	if n > maxLookalikes || s.multi && n > maxLookalikesMulti {
		return gozxing.NewNotFoundException("%d finder-pattern look-alikes", n)
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// DecodePNG decodes a PNG image and reads the QR symbol in it. Bytes that
// are not a PNG, or a PNG larger than MaxPixels, give ErrBadImage; a PNG
// with no readable symbol gives ErrNoCode.
func DecodePNG(b []byte) (string, error) {
	img, err := decodePNG(b)
	if err != nil {
		return "", err
	}
	return Decode(img)
}

// decodePNG decodes b after checking the size its header claims.
func decodePNG(b []byte) (image.Image, error) {
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, ErrBadImage.Wrap(err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return nil, pay.Errorf(ErrBadImage, "image", "qrimage: a %d×%d image is outside 1..%d pixels", cfg.Width, cfg.Height, MaxPixels)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, ErrBadImage.Wrap(err)
	}
	return img, nil
}
