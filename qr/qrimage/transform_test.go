package qrimage

import (
	"image"
	"image/draw"
	"math"
	"math/rand/v2"
)

// Camera-like image transforms for the perturbation tests, written with the
// standard library only. They all work on *image.Gray (one luminance byte
// per pixel, 255 white) and return a new image.

// gray converts img to *image.Gray with its origin at (0, 0).
func gray(img image.Image) *image.Gray {
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(g, g.Bounds(), img, b.Min, draw.Src)
	return g
}

// white returns a w×h all-white image.
func white(w, h int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	return g
}

// paste copies src into dst with src's top-left corner at (x, y).
func paste(dst, src *image.Gray, x, y int) {
	w := src.Rect.Dx()
	for row := 0; row < src.Rect.Dy(); row++ {
		copy(dst.Pix[(y+row)*dst.Stride+x:], src.Pix[row*src.Stride:row*src.Stride+w])
	}
}

// sample reads g at the real point (x, y) (pixel centres at integer+0.5)
// by bilinear interpolation; points outside the image are white paper.
func sample(g *image.Gray, x, y float64) float64 {
	x, y = x-0.5, y-0.5
	x0, y0 := math.Floor(x), math.Floor(y)
	fx, fy := x-x0, y-y0
	at := func(xi, yi int) float64 {
		if xi < 0 || yi < 0 || xi >= g.Rect.Dx() || yi >= g.Rect.Dy() {
			return 255
		}
		return float64(g.Pix[yi*g.Stride+xi])
	}
	ix, iy := int(x0), int(y0)
	top := at(ix, iy)*(1-fx) + at(ix+1, iy)*fx
	bottom := at(ix, iy+1)*(1-fx) + at(ix+1, iy+1)*fx
	return top*(1-fy) + bottom*fy
}

// clamp8 rounds v to a byte.
func clamp8(v float64) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}

// scale resizes g by factor f with bilinear resampling; downscaling first
// box-filters by the integer part of 1/f so that no module is skipped, as a
// camera's sensor integrates light over each pixel.
func scale(g *image.Gray, f float64) *image.Gray {
	if f < 1 {
		if k := int(1 / f); k > 1 {
			g = boxBlur(g, k/2)
		}
	}
	w, h := int(math.Round(float64(g.Rect.Dx())*f)), int(math.Round(float64(g.Rect.Dy())*f))
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			out.Pix[y*out.Stride+x] = clamp8(sample(g, (float64(x)+0.5)/f, (float64(y)+0.5)/f))
		}
	}
	return out
}

// rotateQuarter rotates g clockwise by quarter·90°, exactly.
func rotateQuarter(g *image.Gray, quarter int) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	quarter = ((quarter % 4) + 4) % 4
	ow, oh := w, h
	if quarter%2 == 1 {
		ow, oh = h, w
	}
	out := image.NewGray(image.Rect(0, 0, ow, oh))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var nx, ny int
			switch quarter {
			case 0:
				nx, ny = x, y
			case 1:
				nx, ny = h-1-y, x
			case 2:
				nx, ny = w-1-x, h-1-y
			case 3:
				nx, ny = y, w-1-x
			}
			out.Pix[ny*out.Stride+nx] = g.Pix[y*g.Stride+x]
		}
	}
	return out
}

// rotate turns g by deg degrees (clockwise on screen) about its centre with
// bilinear resampling, on a canvas grown to hold all of it; the uncovered
// corners are white.
func rotate(g *image.Gray, deg float64) *image.Gray {
	w, h := float64(g.Rect.Dx()), float64(g.Rect.Dy())
	rad := deg * math.Pi / 180
	sin, cos := math.Sin(rad), math.Cos(rad)
	ow := math.Ceil(math.Abs(w*cos) + math.Abs(h*sin))
	oh := math.Ceil(math.Abs(w*sin) + math.Abs(h*cos))
	out := image.NewGray(image.Rect(0, 0, int(ow), int(oh)))
	for y := 0; y < int(oh); y++ {
		for x := 0; x < int(ow); x++ {
			// Map the output pixel centre back into g (inverse rotation).
			dx, dy := float64(x)+0.5-ow/2, float64(y)+0.5-oh/2
			sx := cos*dx + sin*dy + w/2
			sy := -sin*dx + cos*dy + h/2
			out.Pix[y*out.Stride+x] = clamp8(sample(g, sx, sy))
		}
	}
	return out
}

// pad adds a white margin of m pixels on every side.
func pad(g *image.Gray, m int) *image.Gray {
	out := white(g.Rect.Dx()+2*m, g.Rect.Dy()+2*m)
	paste(out, g, m, m)
	return out
}

// normals is a table of 4096 standard normal deviates that noise draws
// from, four pixels per random word: NormFloat64 for each of the million
// pixels of a camera frame is too slow under the race detector.
var normals = func() (t [4096]float64) {
	r := rand.New(rand.NewPCG(4096, 1))
	for i := range t {
		t[i] = r.NormFloat64()
	}
	return t
}()

// noise adds independent Gaussian noise of standard deviation sigma (in
// grey levels) to every pixel.
func noise(g *image.Gray, sigma float64, r *rand.Rand) *image.Gray {
	out := image.NewGray(g.Rect)
	var u uint64
	for i, p := range g.Pix {
		if i%4 == 0 {
			u = r.Uint64()
		}
		out.Pix[i] = clamp8(float64(p) + normals[u&4095]*sigma)
		u >>= 16
	}
	return out
}

// boxBlur averages each pixel over the (2r+1)² square around it (edges
// clamp), separably.
func boxBlur(g *image.Gray, r int) *image.Gray {
	k := make([]float64, 2*r+1)
	for i := range k {
		k[i] = 1 / float64(len(k))
	}
	return convolve(g, k)
}

// gaussBlur convolves g with a Gaussian of standard deviation sigma pixels
// (kernel cut at 3 sigma), separably.
func gaussBlur(g *image.Gray, sigma float64) *image.Gray {
	r := int(math.Ceil(3 * sigma))
	k := make([]float64, 2*r+1)
	var sum float64
	for i := range k {
		d := float64(i - r)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	return convolve(g, k)
}

// convolve applies the symmetric 1D kernel k horizontally then vertically,
// clamping at the edges.
func convolve(g *image.Gray, k []float64) *image.Gray {
	w, h, r := g.Rect.Dx(), g.Rect.Dy(), len(k)/2
	tmp := make([]float64, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s float64
			for i, kv := range k {
				xi := min(max(x+i-r, 0), w-1)
				s += kv * float64(g.Pix[y*g.Stride+xi])
			}
			tmp[y*w+x] = s
		}
	}
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s float64
			for i, kv := range k {
				yi := min(max(y+i-r, 0), h-1)
				s += kv * tmp[yi*w+x]
			}
			out.Pix[y*out.Stride+x] = clamp8(s)
		}
	}
	return out
}

// invert swaps light and dark.
func invert(g *image.Gray) *image.Gray {
	out := image.NewGray(g.Rect)
	for i, p := range g.Pix {
		out.Pix[i] = 255 - p
	}
	return out
}
