package qrimage

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/paykit-go/paykit/internal/base45"
)

// Round-trip counts. 10,000 PNG encodes and decodes take about 10 s of CPU
// (encode ≈ 1.2 ms, decode ≈ 0.4 ms each), many times that under the race
// detector, so a -race run (CI) or -short run checks the first
// roundTripNRace texts (the same texts) and a plain `go test` all of them.
const (
	roundTripN     = 10_000
	roundTripNRace = 200
)

// roundTripTexts returns n texts: every 50th one short (1 to 149 random
// characters of the Base45 alphabet, which is the QR alphanumeric set), the
// rest card-like (150 to 180 characters, the Base45 form of 100 to 120
// random bytes).
func roundTripTexts(n int) []string {
	r := rand.New(rand.NewPCG(10_000, 1))
	out := make([]string, n)
	for i := range out {
		if i%50 == 49 {
			b := make([]byte, 1+r.IntN(149))
			for j := range b {
				b[j] = base45.Alphabet[r.IntN(len(base45.Alphabet))]
			}
			out[i] = string(b)
			continue
		}
		out[i] = cardText(r, 100+r.IntN(21))
	}
	return out
}

// TestRoundTrip10000 encodes 10,000 random card-like texts to PNG with
// the defaults and decodes every one: zero failures allowed.
func TestRoundTrip10000(t *testing.T) {
	n := roundTripN
	if raceEnabled || testing.Short() {
		n = roundTripNRace
	}
	texts := roundTripTexts(n)
	var (
		mu       sync.Mutex
		failures []int
		versions = map[int]int{}
		short    int
	)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range jobs {
				text := texts[i]
				p, err := Encode(text)
				var got string
				if err == nil {
					got, err = DecodePNG(p)
				}
				v, verr := Version(text, LevelM)
				mu.Lock()
				if err != nil || verr != nil || got != text {
					failures = append(failures, i)
				}
				versions[v]++
				if len(text) < 150 {
					short++
				}
				mu.Unlock()
			}
		})
	}
	for i := range texts {
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	sort.Ints(failures)
	if len(failures) != 0 {
		t.Errorf("%d of %d texts did not round-trip; first indexes %v", len(failures), n, failures[:min(len(failures), 10)])
	}
	if want := n / 50; short != want {
		t.Errorf("%d short texts, want %d", short, want)
	}
	var dist []string
	for v := 1; v <= 40; v++ {
		if versions[v] > 0 {
			dist = append(dist, fmt.Sprintf("v%d:%d", v, versions[v]))
		}
	}
	t.Logf("%d texts (%d short) round-tripped; QR versions at level M: %s", n, short, strings.Join(dist, " "))
}
