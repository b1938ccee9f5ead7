package qrimage

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"sync"

	"github.com/paykit-go/paykit/pay"
	qrcode "github.com/skip2/go-qrcode"
)

// palette is black on white; index 0 (white) is the zero value of a fresh
// image, so only dark modules are written.
var palette = color.Palette{color.White, color.Black}

// Encode renders text as a QR symbol and returns it as a PNG (two-colour
// palette, default compression: a card is about 700 bytes, within a few
// bytes of best compression at half the time). The level defaults to LevelM and each module
// to DefaultModuleSize pixels; the symbol always keeps its 4-module quiet
// zone.
//
// go-qrcode picks the smallest version that holds the text and the most
// compact data modes: text made only of the QR alphanumeric set (0–9, A–Z,
// space and $%*+-./:), which is exactly the Base45 alphabet a card is
// written in, is encoded in alphanumeric mode (5.5 bits per character)
// rather than byte mode (8 bits).
func Encode(text string, opts ...Option) ([]byte, error) {
	img, err := EncodeImage(text, opts...)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := pngEncoder.Encode(&buf, img); err != nil {
		return nil, pay.ErrInternal.Wrap(err)
	}
	return buf.Bytes(), nil
}

// pngEncoder reuses its compressor state (about 800 KB, which would
// otherwise be allocated and cleared for every image) through a pool.
var pngEncoder = png.Encoder{CompressionLevel: png.DefaultCompression, BufferPool: &encoderPool{}}

// encoderPool is a png.EncoderBufferPool over a sync.Pool, safe for
// concurrent Encode calls.
type encoderPool struct{ p sync.Pool }

func (e *encoderPool) Get() *png.EncoderBuffer {
	b, _ := e.p.Get().(*png.EncoderBuffer)
	return b
}

func (e *encoderPool) Put(b *png.EncoderBuffer) { e.p.Put(b) }

// EncodeImage is Encode without the PNG step: it returns the symbol as an
// *image.Paletted (white background, black modules), for callers that
// composite it into a larger picture or print it.
func EncodeImage(text string, opts ...Option) (image.Image, error) {
	c, err := apply(opts)
	if err != nil {
		return nil, err
	}
	q, err := symbol(text, c.level)
	if err != nil {
		return nil, err
	}
	q.DisableBorder = true // the quiet zone is drawn below, QuietZone modules wide
	return render(q.Bitmap(), c)
}

// Version reports the QR version (1 to 40; the symbol is 17+4·version
// modules wide) that Encode uses for text at level. A card's size is quoted
// this way: version 7 at LevelM holds 178 alphanumeric characters.
func Version(text string, level Level) (int, error) {
	q, err := symbol(text, level)
	if err != nil {
		return 0, err
	}
	return q.VersionNumber, nil
}

// symbol builds the go-qrcode symbol for text at level.
func symbol(text string, level Level) (*qrcode.QRCode, error) {
	rl, err := level.recovery()
	if err != nil {
		return nil, err
	}
	if text == "" {
		return nil, pay.Errorf(pay.ErrInvalidRequest, "text", "qrimage: empty text")
	}
	q, err := qrcode.New(text, rl)
	if err != nil {
		// go-qrcode fails here only when no version holds the text. Its
		// message does not carry the text; ours neither.
		return nil, pay.Errorf(ErrTooLong, "text", "qrimage: %d bytes do not fit a QR symbol at level %s", len(text), level).Wrap(err)
	}
	return q, nil
}

// render draws bits (the symbol without quiet zone, bits[y][x] true for a
// dark module) with a QuietZone margin, at c's module or image size.
func render(bits [][]bool, c config) (image.Image, error) {
	modules := len(bits) + 2*QuietZone
	ms, size := c.moduleSize, modules*c.moduleSize
	if c.imageSize > 0 {
		size, ms = c.imageSize, c.imageSize/modules
		if ms == 0 {
			return nil, pay.Errorf(pay.ErrInvalidRequest, "image_size", "qrimage: %d pixels cannot hold this symbol's %d modules (quiet zone included)", c.imageSize, modules)
		}
	}
	img := image.NewPaletted(image.Rect(0, 0, size, size), palette)
	origin := (size-modules*ms)/2 + QuietZone*ms // first pixel of the symbol, both axes
	for y, row := range bits {
		top := origin + y*ms
		line := img.Pix[top*img.Stride : top*img.Stride+size]
		for x, dark := range row {
			if dark {
				left := origin + x*ms
				for i := left; i < left+ms; i++ {
					line[i] = 1
				}
			}
		}
		for i := 1; i < ms; i++ {
			copy(img.Pix[(top+i)*img.Stride:], line)
		}
	}
	return img, nil
}
