package qrimage

import (
	"github.com/makiuchi-d/gozxing"
)

// midpointBinarizer thresholds the whole image at one grey level halfway
// between its dark and light ends (the 2nd and 98th percentiles of the
// luminance histogram).
//
// gozxing's binarizers bias the threshold: the hybrid one by each block's
// local mean, which shifts with the local share of dark modules, the
// histogram one towards the light peak. On a sharp image that does not
// matter; on a defocused one (blur of a third of a module and more) it
// thickens dark modules until the finder patterns lose their 1:1:3:1:1
// ratio. For a symmetric blur the true module edge is where the luminance
// crosses the midpoint, so this threshold restores it.
type midpointBinarizer struct {
	src    gozxing.LuminanceSource
	matrix *gozxing.BitMatrix
}

func newMidpointBinarizer(src gozxing.LuminanceSource) gozxing.Binarizer {
	return &midpointBinarizer{src: src}
}

// GetLuminanceSource implements gozxing.Binarizer.
func (b *midpointBinarizer) GetLuminanceSource() gozxing.LuminanceSource { return b.src }

// GetWidth implements gozxing.Binarizer.
func (b *midpointBinarizer) GetWidth() int { return b.src.GetWidth() }

// GetHeight implements gozxing.Binarizer.
func (b *midpointBinarizer) GetHeight() int { return b.src.GetHeight() }

// CreateBinarizer implements gozxing.Binarizer.
func (b *midpointBinarizer) CreateBinarizer(src gozxing.LuminanceSource) gozxing.Binarizer {
	return newMidpointBinarizer(src)
}

// GetBlackRow implements gozxing.Binarizer with the same threshold as the
// matrix.
func (b *midpointBinarizer) GetBlackRow(y int, row *gozxing.BitArray) (*gozxing.BitArray, error) {
	m, err := b.GetBlackMatrix()
	if err != nil {
		return nil, err
	}
	return m.GetRow(y, row), nil
}

// GetBlackMatrix implements gozxing.Binarizer; the matrix is computed once.
func (b *midpointBinarizer) GetBlackMatrix() (*gozxing.BitMatrix, error) {
	if b.matrix != nil {
		return b.matrix, nil
	}
	w, h := b.src.GetWidth(), b.src.GetHeight()
	lum := b.src.GetMatrix()
	var hist [256]int
	for _, v := range lum[:w*h] {
		hist[v]++
	}
	lo, hi := percentile(&hist, w*h*2/100), percentile(&hist, w*h*98/100)
	if hi-lo < minContrast {
		return nil, gozxing.NewNotFoundException("contrast %d", hi-lo)
	}
	threshold := byte((lo + hi + 1) / 2)
	m, err := gozxing.NewBitMatrix(w, h)
	if err != nil {
		return nil, err
	}
	for y := 0; y < h; y++ {
		for x, v := range lum[y*w : (y+1)*w] {
			if v < threshold {
				m.Set(x, y)
			}
		}
	}
	b.matrix = m
	return m, nil
}

// minContrast is the least spread between dark and light, in grey levels,
// that the midpoint binarizer will threshold; below it the image is taken
// to hold no code.
const minContrast = 32

// percentile returns the grey level below which rank pixels lie.
func percentile(hist *[256]int, rank int) int {
	n := 0
	for v, c := range hist {
		n += c
		if n > rank {
			return v
		}
	}
	return 255
}
