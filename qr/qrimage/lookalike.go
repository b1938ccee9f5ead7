package qrimage

import (
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// gozxing's finder-pattern selection (FinderPatternFinder.SelectBestPatterns,
// and the multi-symbol finder's) tries every triple of candidate patterns:
// cubic in their number. A camera frame holds a handful; an image of
// hundreds of small look-alikes (a tiled pattern, heavy noise over
// megapixels) keeps one detector call busy for seconds and the
// multi-symbol search, which also decodes every plausible triple, for
// minutes. Decode therefore counts the look-alikes first, in one linear
// pass, and skips the detectors an image has too many look-alikes for.
const (
	// maxLookalikes is the most candidates Decode lets the single-symbol
	// detectors weigh: about 1.3 million triples, some 50 ms. Card images
	// show at most 6, a noisy 800×600 frame 68.
	maxLookalikes = 200
	// maxLookalikesMulti is the most it lets the multi-triple search
	// decode: at most 220 triples.
	maxLookalikesMulti = 12
)

// lookalikes counts the finder-pattern candidates gozxing's detectors
// would weigh in m, stopping once it passes limit. It scans every row for
// runs of dark, light, dark, light, dark in the ratio 1:1:3:1:1 and hands
// each to gozxing's own FinderPatternFinder.HandlePossibleCenter, which
// cross-checks it vertically, horizontally and diagonally and merges it
// with a candidate it has already seen. Its cost is linear in the pixels
// and in the row hits times the (capped) candidates.
func lookalikes(m *gozxing.BitMatrix, limit int) int {
	w, h := m.GetWidth(), m.GetHeight()
	f := detector.NewFinderPatternFinder(m, nil)
	var row *gozxing.BitArray
	var runs, ends []int // alternating run lengths from a dark run; where each ends
	counts := make([]int, 5)
	for y := 0; y < h; y++ {
		row = m.GetRow(y, row)
		runs, ends = runs[:0], ends[:0]
		for x := row.GetNextSet(0); x < w; {
			end := row.GetNextUnset(x)
			runs, ends = append(runs, end-x), append(ends, end)
			if end >= w {
				break
			}
			next := row.GetNextSet(end)
			runs, ends = append(runs, next-end), append(ends, next)
			x = next
		}
		// Windows of five runs that start with a dark one.
		for i := 0; i+5 <= len(runs); i += 2 {
			copy(counts, runs[i:i+5])
			if !detector.FinderPatternFinder_foundPatternCross(counts) {
				continue
			}
			f.HandlePossibleCenter(counts, y, ends[i+4])
			if n := len(f.GetPossibleCenters()); n > limit {
				return n
			}
		}
	}
	return len(f.GetPossibleCenters())
}
