//go:build race

package qrimage

// raceEnabled reports whether the race detector is on; the heaviest image
// tests run fewer symbols under it (see roundtrip_test.go and
// perturb_test.go).
const raceEnabled = true
