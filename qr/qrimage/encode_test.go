package qrimage

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/paykit-go/paykit/pay"
)

// alnumCapacity is ISO/IEC 18004 Table 7: the most alphanumeric-mode
// characters a symbol of version v (index v-1) holds at each level. Byte
// mode holds far fewer (122 at 7-M against 178), so a text at exactly
// these lengths lands on these versions only if go-qrcode really encodes
// the QR alphanumeric set in alphanumeric mode.
var alnumCapacity = map[Level][]int{
	LevelL: {25, 47, 77, 114, 154, 195, 224, 279, 335, 395},
	LevelM: {20, 38, 61, 90, 122, 154, 178, 221, 262, 311},
	LevelQ: {16, 29, 47, 67, 87, 108, 125, 157, 189, 221},
	LevelH: {10, 20, 35, 50, 64, 84, 93, 122, 143, 174},
}

// alnum returns n characters cycling through the whole Base45 alphabet,
// ordered so that no two digits are adjacent: go-qrcode puts a run of
// digits long enough to pay for a mode switch in a numeric segment
// (TestVersionNumericSegments), and these capacities are for alphanumeric
// mode alone.
func alnum(n int) string {
	const a = "A0BC1DE2FG3HI4JK5LM6NO7PQ8RS9TUVWXYZ $%*+-./:"
	return strings.Repeat(a, n/len(a)+1)[:n]
}

func TestVersionAlphanumericCapacity(t *testing.T) {
	for level, caps := range alnumCapacity {
		for i, c := range caps {
			v := i + 1
			if got, err := Version(alnum(c), level); err != nil || got != v {
				t.Errorf("%s: %d characters: version %d, %v; want %d", level, c, got, err, v)
			}
			if got, err := Version(alnum(c+1), level); err != nil || got != v+1 {
				t.Errorf("%s: %d characters: version %d, %v; want %d", level, c+1, got, err, v+1)
			}
		}
	}
}

// TestVersionNumericSegments: 20 letters then 20 digits need 204 bits as
// an alphanumeric segment and a numeric one, which version 2-M (224 data
// bits) holds; as one alphanumeric segment they would need 233 bits and
// version 3.
func TestVersionNumericSegments(t *testing.T) {
	if v, err := Version("ABCDEFGHIJKLMNOPQRST01234567890123456789", LevelM); err != nil || v != 2 {
		t.Errorf("version %d, %v; want 2", v, err)
	}
	if v, err := Version(alnum(40), LevelM); err != nil || v != 3 {
		t.Errorf("version %d, %v; want 3", v, err)
	}
}

// TestVersionByteModeIsLarger pins the contrast: the same length in lower
// case (byte mode) needs a larger symbol.
func TestVersionByteModeIsLarger(t *testing.T) {
	up := alnum(178)
	low := strings.Repeat("abcdefghijklmnopqrstuvwxyz", 7)[:178]
	vu, err := Version(up, LevelM)
	if err != nil {
		t.Fatal(err)
	}
	vl, err := Version(low, LevelM)
	if err != nil {
		t.Fatal(err)
	}
	// Byte mode at M: version 9 holds 180 bytes, version 8 holds 152.
	if vu != 7 || vl != 9 {
		t.Errorf("178 alphanumeric characters: version %d, want 7; 178 bytes: version %d, want 9", vu, vl)
	}
}

func TestEncodeImageGeometry(t *testing.T) {
	text := alnum(178) // version 7: 45 modules, 53 with the quiet zone
	for _, tc := range []struct {
		opts   []Option
		size   int // image width and height
		module int // pixels per module
		origin int // first pixel of the symbol
	}{
		{nil, 53 * 4, 4, 4 * 4},
		{[]Option{WithModuleSize(1)}, 53, 1, 4},
		{[]Option{WithModuleSize(7)}, 53 * 7, 7, 4 * 7},
		// 300 px: 5 px per module (265 px), 35 px spare, 17 on the left.
		{[]Option{WithImageSize(300)}, 300, 5, 17 + 4*5},
		{[]Option{WithModuleSize(2), WithImageSize(53)}, 53, 1, 4}, // the last size option wins
	} {
		img, err := EncodeImage(text, tc.opts...)
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b != image.Rect(0, 0, tc.size, tc.size) {
			t.Fatalf("size %d: bounds %v", tc.size, b)
		}
		p := img.(*image.Paletted)
		dark := func(x, y int) bool { return p.ColorIndexAt(x, y) == 1 }
		// Everything outside the symbol is white: at least the quiet zone.
		for y := 0; y < tc.size; y++ {
			for x := 0; x < tc.size; x++ {
				inside := x >= tc.origin && y >= tc.origin && x < tc.origin+45*tc.module && y < tc.origin+45*tc.module
				if !inside && dark(x, y) {
					t.Fatalf("size %d: dark pixel (%d,%d) outside the symbol", tc.size, x, y)
				}
			}
		}
		// The top-left finder pattern: a 7-module dark ring round a light
		// ring round a 3×3 dark core, each module tc.module pixels wide.
		want := []bool{true, false, true, true, true, false, true}
		for m, w := range want {
			for i := 0; i < tc.module; i++ {
				x := tc.origin + m*tc.module + i
				if dark(x, tc.origin+2*tc.module) != w {
					t.Fatalf("size %d: finder row pixel %d: dark=%v", tc.size, x, !w)
				}
			}
		}
		if got, err := Decode(img); err != nil || got != text {
			t.Errorf("size %d: decode: %v", tc.size, err)
		}
	}
}

func TestEncodePNG(t *testing.T) {
	text := alnum(160)
	p, err := Encode(text, WithLevel(LevelH))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(p))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := EncodeImage(text, WithLevel(LevelH))
	pi, ok := img.(*image.Paletted)
	if !ok || len(pi.Palette) != 2 || img.Bounds() != want.Bounds() || !bytes.Equal(pi.Pix, want.(*image.Paletted).Pix) {
		t.Fatalf("the PNG is not the image EncodeImage draws")
	}
	// 160 alphanumeric characters at H: version 10 (143 < 160 <= 174).
	if v, err := Version(text, LevelH); err != nil || v != 10 || img.Bounds().Dx() != (17+4*10+8)*DefaultModuleSize {
		t.Errorf("version %d, %v; %d px wide", v, err, img.Bounds().Dx())
	}
	if got, err := DecodePNG(p); err != nil || got != text {
		t.Fatalf("DecodePNG: %v", err)
	}
}

func TestEncodeBadInput(t *testing.T) {
	secret := alnum(40) // stands for a card: it must not appear in errors
	long := strings.Repeat(secret, 200)
	for _, tc := range []struct {
		name  string
		text  string
		opts  []Option
		kind  *pay.Error
		param string
	}{
		{"empty text", "", nil, pay.ErrInvalidRequest, "text"},
		{"too long", long, nil, ErrTooLong, "text"},
		{"too long at H", alnum(1853), []Option{WithLevel(LevelH)}, ErrTooLong, "text"},
		{"level 0", secret, []Option{WithLevel(0)}, pay.ErrInvalidRequest, "level"},
		{"level 5", secret, []Option{WithLevel(5)}, pay.ErrInvalidRequest, "level"},
		{"module 0", secret, []Option{WithModuleSize(0)}, pay.ErrInvalidRequest, "module_size"},
		{"module 65", secret, []Option{WithModuleSize(MaxModuleSize + 1)}, pay.ErrInvalidRequest, "module_size"},
		{"image 0", secret, []Option{WithImageSize(0)}, pay.ErrInvalidRequest, "image_size"},
		{"image too big", secret, []Option{WithImageSize(MaxImageSize + 1)}, pay.ErrInvalidRequest, "image_size"},
		{"image too small", secret, []Option{WithImageSize(36)}, pay.ErrInvalidRequest, "image_size"}, // version 3: 29+8 = 37 modules
		{"nil option", secret, []Option{nil}, pay.ErrInvalidRequest, "option"},
	} {
		_, err := Encode(tc.text, tc.opts...)
		var pe *pay.Error
		if !errors.Is(err, tc.kind) || !errors.As(err, &pe) || pe.Param != tc.param {
			t.Errorf("%s: error %v, want %s with param %s", tc.name, err, tc.kind.Code, tc.param)
			continue
		}
		if tc.text != "" && strings.Contains(err.Error(), tc.text[:20]) {
			t.Errorf("%s: the error echoes the text: %v", tc.name, err)
		}
	}
	// The largest symbol: 4296 alphanumeric characters fit version 40-L,
	// one more does not.
	if v, err := Version(alnum(4296), LevelL); err != nil || v != 40 {
		t.Errorf("4296 characters at L: version %d, %v", v, err)
	}
	if _, err := Version(alnum(4297), LevelL); !errors.Is(err, ErrTooLong) {
		t.Errorf("4297 characters at L: %v, want ErrTooLong", err)
	}
}

func TestLevelString(t *testing.T) {
	got := LevelL.String() + LevelM.String() + LevelQ.String() + LevelH.String() + Level(9).String()
	if got != "LMQHinvalid" {
		t.Errorf("got %q", got)
	}
}
