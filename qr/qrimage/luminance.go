package qrimage

import (
	"image"

	"github.com/makiuchi-d/gozxing"
)

// luminance returns img as a gozxing luminance source: one byte per pixel,
// 0 black to 255 white, transparent pixels composited over white.
//
// It computes the same values as gozxing.NewLuminanceSourceFromImage
// ((R+2G+B)/4, then alpha over white) but reads the pixel buffers of the
// common image types directly instead of calling At for every pixel, which
// allocates for most colour types. YCbCr images (decoded JPEG camera
// frames) give their Y plane, the luma a scanner works on.
func luminance(img image.Image) (gozxing.LuminanceSource, error) {
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	lum := make([]byte, w*h)
	switch m := img.(type) {
	case *image.Gray:
		for y := 0; y < h; y++ {
			o := m.PixOffset(r.Min.X, r.Min.Y+y)
			copy(lum[y*w:(y+1)*w], m.Pix[o:o+w])
		}
	case *image.Paletted:
		var table [256]byte
		for i, c := range m.Palette {
			table[i] = lumaOf(c.RGBA())
		}
		for y := 0; y < h; y++ {
			o := m.PixOffset(r.Min.X, r.Min.Y+y)
			for x, p := range m.Pix[o : o+w] {
				lum[y*w+x] = table[p]
			}
		}
	case *image.RGBA:
		for y := 0; y < h; y++ {
			o := m.PixOffset(r.Min.X, r.Min.Y+y)
			px := m.Pix[o : o+4*w]
			for x := 0; x < w; x++ {
				p := px[4*x : 4*x+4]
				// Premultiplied: widen to 16 bits as color.RGBA.RGBA does.
				lum[y*w+x] = lumaOf(uint32(p[0])*0x101, uint32(p[1])*0x101, uint32(p[2])*0x101, uint32(p[3])*0x101)
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			o := m.PixOffset(r.Min.X, r.Min.Y+y)
			px := m.Pix[o : o+4*w]
			for x := 0; x < w; x++ {
				p := px[4*x : 4*x+4]
				lum[y*w+x] = lumaOf(nrgbaToRGBA(p[0], p[1], p[2], p[3]))
			}
		}
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			o := m.YOffset(r.Min.X, r.Min.Y+y)
			copy(lum[y*w:(y+1)*w], m.Y[o:o+w])
		}
	default:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				lum[y*w+x] = lumaOf(img.At(r.Min.X+x, r.Min.Y+y).RGBA())
			}
		}
	}
	return gozxing.NewPlanarYUVLuminanceSource(lum, w, h, 0, 0, w, h, false)
}

// lumaOf is gozxing's luminance of an alpha-premultiplied 16-bit colour,
// composited over white.
func lumaOf(r, g, b, a uint32) byte {
	l := (r + 2*g + b) * 255 / (4 * 0xffff)
	return byte((l*a + (0xffff-a)*255) / 0xffff)
}

// nrgbaToRGBA premultiplies an 8-bit non-premultiplied colour into 16 bits,
// as color.NRGBA.RGBA does.
func nrgbaToRGBA(r8, g8, b8, a8 uint8) (r, g, b, a uint32) {
	a = uint32(a8) * 0x101
	r = uint32(r8) * 0x101 * a / 0xffff
	g = uint32(g8) * 0x101 * a / 0xffff
	b = uint32(b8) * 0x101 * a / 0xffff
	return r, g, b, a
}

// smoothed returns src averaged over the 3×3 pixels around each pixel
// (edges clamped): Gaussian sensor noise drops to a third of its deviation
// while a module of two pixels or more keeps its contrast.
func smoothed(src gozxing.LuminanceSource) gozxing.LuminanceSource {
	w, h := src.GetWidth(), src.GetHeight()
	in := src.GetMatrix()
	// Horizontal sums of three, then vertical sums of three of those.
	rows := make([]uint16, w*h)
	for y := 0; y < h; y++ {
		line := in[y*w : (y+1)*w]
		for x := range line {
			rows[y*w+x] = uint16(line[max(x-1, 0)]) + uint16(line[x]) + uint16(line[min(x+1, w-1)])
		}
	}
	out := make([]byte, w*h)
	for y := 0; y < h; y++ {
		up, down := max(y-1, 0)*w, min(y+1, h-1)*w
		for x := 0; x < w; x++ {
			s := uint32(rows[up+x]) + uint32(rows[y*w+x]) + uint32(rows[down+x])
			out[y*w+x] = byte((s + 4) / 9)
		}
	}
	s, err := gozxing.NewPlanarYUVLuminanceSource(out, w, h, 0, 0, w, h, false)
	if err != nil { // cannot happen: the crop is the whole buffer
		return src
	}
	return s
}
