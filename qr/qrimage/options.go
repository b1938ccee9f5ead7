package qrimage

import (
	"github.com/paykit-go/paykit/pay"
	qrcode "github.com/skip2/go-qrcode"
)

// Level is a QR error-correction level (ISO/IEC 18004 §7.5.1). A higher
// level survives more damage and needs a larger symbol for the same text.
type Level int

// The four QR error-correction levels, by the share of codewords that may be
// restored.
const (
	LevelL Level = iota + 1 // about 7% of codewords restorable
	LevelM                  // about 15%; the default, and what card sizes are quoted at
	LevelQ                  // about 25%
	LevelH                  // about 30%
)

// String returns the level's letter: "L", "M", "Q" or "H".
func (l Level) String() string {
	switch l {
	case LevelL:
		return "L"
	case LevelM:
		return "M"
	case LevelQ:
		return "Q"
	case LevelH:
		return "H"
	}
	return "invalid"
}

// recovery maps l to go-qrcode's level, or reports that l is not one of the
// four levels.
func (l Level) recovery() (qrcode.RecoveryLevel, error) {
	switch l {
	case LevelL:
		return qrcode.Low, nil
	case LevelM:
		return qrcode.Medium, nil
	case LevelQ:
		return qrcode.High, nil
	case LevelH:
		return qrcode.Highest, nil
	}
	return 0, pay.Errorf(pay.ErrInvalidRequest, "level", "qrimage: error-correction level %d is not L, M, Q or H", int(l))
}

// QuietZone is the white margin, in modules, around every symbol Encode
// draws: the 4 modules ISO/IEC 18004 requires, which scanners need to find
// the finder patterns.
const QuietZone = 4

// Defaults and bounds of the rendering options.
const (
	DefaultModuleSize = 4    // pixels per module when no option sets the size
	MaxModuleSize     = 64   // largest WithModuleSize
	MaxImageSize      = 8192 // largest WithImageSize, in pixels
)

// config is what the options set.
type config struct {
	level      Level
	moduleSize int // pixels per module; 0 when imageSize is set
	imageSize  int // exact image width and height; 0 when moduleSize is set
}

func defaults() config { return config{level: LevelM, moduleSize: DefaultModuleSize} }

// Option configures Encode and EncodeImage. Options validate their value;
// an invalid one makes the call fail with pay.ErrInvalidRequest naming it.
type Option func(*config) error

// WithLevel sets the error-correction level (default LevelM).
func WithLevel(l Level) Option {
	return func(c *config) error {
		if _, err := l.recovery(); err != nil {
			return err
		}
		c.level = l
		return nil
	}
}

// WithModuleSize draws each module as an n×n pixel square (1 to
// MaxModuleSize; default DefaultModuleSize). The image is then
// (modules+2·QuietZone)·n pixels wide. It replaces an earlier WithImageSize.
func WithModuleSize(n int) Option {
	return func(c *config) error {
		if n < 1 || n > MaxModuleSize {
			return pay.Errorf(pay.ErrInvalidRequest, "module_size", "qrimage: module size %d is outside 1..%d pixels", n, MaxModuleSize)
		}
		c.moduleSize, c.imageSize = n, 0
		return nil
	}
}

// WithImageSize makes the image exactly px×px pixels (up to MaxImageSize).
// Modules stay whole pixels, so every module has the same width: the
// symbol is drawn at the largest module size that fits with its quiet zone,
// centred, and the rest of the image is white (a wider quiet zone). Encode
// fails if px is too small to hold the symbol at one pixel per module. It
// replaces an earlier WithModuleSize.
func WithImageSize(px int) Option {
	return func(c *config) error {
		if px < 1 || px > MaxImageSize {
			return pay.Errorf(pay.ErrInvalidRequest, "image_size", "qrimage: image size %d is outside 1..%d pixels", px, MaxImageSize)
		}
		c.imageSize, c.moduleSize = px, 0
		return nil
	}
}

// apply builds the configuration from opts.
func apply(opts []Option) (config, error) {
	c := defaults()
	for _, o := range opts {
		if o == nil {
			return c, pay.Errorf(pay.ErrInvalidRequest, "option", "qrimage: nil Option")
		}
		if err := o(&c); err != nil {
			return c, err
		}
	}
	return c, nil
}
