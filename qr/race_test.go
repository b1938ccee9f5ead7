//go:build race

package qr

// raceEnabled reports whether the race detector is on; the image round trip
// of random cards runs fewer cards under it.
const raceEnabled = true
