package qrimage

import (
	"fmt"
	"image"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// perturbation is one camera-like change to a card symbol, with the most
// symbols out of perturbN that Decode may fail to read after it.
type perturbation struct {
	name    string
	maxFail int
	apply   func(g *image.Gray, r *rand.Rand) *image.Gray
}

// perturbN symbols per perturbation; under the race detector only the
// first perturbNRace run. The bound is on failures, not on the rate, so
// it holds for the shorter run too: the first 10 symbols are the same
// images as in the full run.
const (
	perturbN     = 100
	perturbNRace = 10
)

// perturbations is the camera-like list of issue 5, applied to symbols
// drawn by EncodeImage at its defaults (level M, 4 pixels per module),
// plus two stress cases past "moderate". maxFail is what Decode achieves on
// these deterministic images (all 100 read, except 70 of the 5×5 box
// blur); the floors it states are the test's assertion.
var perturbations = []perturbation{
	{"scale 0.5x", 0, func(g *image.Gray, _ *rand.Rand) *image.Gray { return scale(g, 0.5) }},
	{"scale 0.73x", 0, func(g *image.Gray, _ *rand.Rand) *image.Gray { return scale(g, 0.73) }},
	{"scale 1.5x", 0, func(g *image.Gray, _ *rand.Rand) *image.Gray { return scale(g, 1.5) }},
	{"scale 2.37x", 0, func(g *image.Gray, _ *rand.Rand) *image.Gray { return scale(g, 2.37) }},
	{"rotate 90", 0, func(g *image.Gray, _ *rand.Rand) *image.Gray { return rotateQuarter(g, 1) }},
	{"rotate 180", 0, func(g *image.Gray, _ *rand.Rand) *image.Gray { return rotateQuarter(g, 2) }},
	{"rotate 270", 0, func(g *image.Gray, _ *rand.Rand) *image.Gray { return rotateQuarter(g, 3) }},
	{"rotate +3", 0, func(g *image.Gray, _ *rand.Rand) *image.Gray { return rotate(g, 3) }},
	{"rotate -3", 0, func(g *image.Gray, _ *rand.Rand) *image.Gray { return rotate(g, -3) }},
	{"rotate +7", 0, func(g *image.Gray, _ *rand.Rand) *image.Gray { return rotate(g, 7) }},
	{"rotate -7", 0, func(g *image.Gray, _ *rand.Rand) *image.Gray { return rotate(g, -7) }},
	{"rotate +12", 0, func(g *image.Gray, _ *rand.Rand) *image.Gray { return rotate(g, 12) }},
	{"rotate -12", 0, func(g *image.Gray, _ *rand.Rand) *image.Gray { return rotate(g, -12) }},
	{"margin +60px", 0, func(g *image.Gray, _ *rand.Rand) *image.Gray { return pad(g, 60) }},
	{"noise sigma 20", 0, func(g *image.Gray, r *rand.Rand) *image.Gray { return noise(g, 20, r) }},
	{"noise sigma 35", 0, func(g *image.Gray, r *rand.Rand) *image.Gray { return noise(g, 35, r) }},
	{"box blur 3x3", 0, func(g *image.Gray, _ *rand.Rand) *image.Gray { return boxBlur(g, 1) }},
	{"gaussian blur sigma 1", 0, func(g *image.Gray, _ *rand.Rand) *image.Gray { return gaussBlur(g, 1) }},
	{"gaussian blur sigma 1.5", 0, func(g *image.Gray, _ *rand.Rand) *image.Gray { return gaussBlur(g, 1.5) }},
	{"noise sigma 55 (stress)", 0, func(g *image.Gray, r *rand.Rand) *image.Gray { return noise(g, 55, r) }},
	// Beyond moderate: a 5×5 box is more than a module wide. (A Gaussian
	// of sigma 2 px, half a module, defeats Decode and zbarimg alike: 1
	// and 0 of 100.)
	{"box blur 5x5 (stress)", 30, func(g *image.Gray, _ *rand.Rand) *image.Gray { return boxBlur(g, 2) }},
	{"inverted", 0, func(g *image.Gray, _ *rand.Rand) *image.Gray { return invert(g) }},
	{"1.3x, +7, blur 1, noise 15", 0, func(g *image.Gray, r *rand.Rand) *image.Gray {
		return noise(gaussBlur(rotate(scale(g, 1.3), 7), 1), 15, r)
	}},
	{"0.8x, 180, margin, inverted", 0, func(g *image.Gray, _ *rand.Rand) *image.Gray {
		return invert(pad(rotateQuarter(scale(g, 0.8), 2), 40))
	}},
	{"small in 800x600 frame, -3, noise 10", 0, func(g *image.Gray, r *rand.Rand) *image.Gray {
		return noise(inFrame(rotate(g, -3), 800, 600, r), 10, r)
	}},
}

// inFrame places g at a random position on a white w×h canvas, as a card
// held at a distance fills only part of a camera frame.
func inFrame(g *image.Gray, w, h int, r *rand.Rand) *image.Gray {
	out := white(w, h)
	paste(out, g, r.IntN(w-g.Rect.Dx()), r.IntN(h-g.Rect.Dy()))
	return out
}

// TestPerturbations decodes perturbN card symbols under each perturbation
// and asserts that at most maxFail are missed. It logs the rate beside
// zbarimg's on the same images when zbarimg is on PATH.
func TestPerturbations(t *testing.T) {
	n := perturbN
	if raceEnabled {
		n = perturbNRace
	}
	texts := cardTexts(5, n)
	base := make([]*image.Gray, n)
	for i, text := range texts {
		img, err := EncodeImage(text)
		if err != nil {
			t.Fatal(err)
		}
		base[i] = gray(img)
	}
	zbar, _ := exec.LookPath("zbarimg")
	if zbar == "" {
		t.Log("zbarimg not on PATH: no comparison")
	}

	var mu sync.Mutex
	rows := map[string]string{}
	t.Cleanup(func() {
		keys := make([]string, 0, len(rows))
		for k := range rows {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		fmt.Fprintf(&b, "\n%-40s %8s %8s %8s\n", "perturbation", "qrimage", "floor", "zbarimg")
		for _, k := range keys {
			b.WriteString(rows[k])
		}
		t.Log(b.String())
	})

	for pi, p := range perturbations {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			ok := 0
			imgs := make([]*image.Gray, n)
			for i := range n {
				imgs[i] = p.apply(base[i], rand.New(rand.NewPCG(uint64(pi), uint64(i))))
				got, err := Decode(imgs[i])
				if err == nil && got == texts[i] {
					ok++
				} else if got != "" && got != texts[i] {
					t.Errorf("symbol %d: decoded a different text", i)
				}
			}
			z := "-"
			if zbar != "" {
				z = fmt.Sprintf("%d/%d", zbarRead(t, zbar, imgs, texts), n)
			}
			mu.Lock()
			rows[fmt.Sprintf("%02d", pi)] = fmt.Sprintf("%-40s %8s %8s %8s\n", p.name, fmt.Sprintf("%d/%d", ok, n), fmt.Sprintf(">=%d", n-p.maxFail), z)
			mu.Unlock()
			t.Logf("qrimage %d/%d, zbarimg %s", ok, n, z)
			if n-ok > p.maxFail {
				t.Errorf("read %d of %d; the floor is %d (at most %d missed)", ok, n, n-p.maxFail, p.maxFail)
			}
		})
	}
}

// zbarRead writes imgs as binary PGM files (zbarimg reads them through
// ImageMagick, and they cost nothing to write), runs zbarimg once over all
// of them (QR only, default settings) and counts the expected texts it
// printed.
func zbarRead(t *testing.T, zbar string, imgs []*image.Gray, texts []string) int {
	t.Helper()
	dir := t.TempDir()
	files := make([]string, len(imgs))
	for i, img := range imgs {
		files[i] = filepath.Join(dir, fmt.Sprintf("%03d.pgm", i))
		w, h := img.Rect.Dx(), img.Rect.Dy()
		b := fmt.Appendf(nil, "P5\n%d %d\n255\n", w, h)
		for y := 0; y < h; y++ {
			b = append(b, img.Pix[y*img.Stride:y*img.Stride+w]...)
		}
		if err := os.WriteFile(files[i], b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// zbarimg exits non-zero when some image holds no symbol; the output
	// still lists every symbol it read, one per line with --raw.
	out, _ := exec.Command(zbar, append([]string{"--nodbus", "-q", "--raw", "-Sdisable", "-Sqrcode.enable"}, files...)...).Output()
	want := map[string]int{}
	for _, s := range texts {
		want[s]++
	}
	read := 0
	for _, line := range strings.Split(string(out), "\n") {
		if want[line] > 0 {
			want[line]--
			read++
		}
	}
	return read
}
