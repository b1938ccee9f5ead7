package pay

import "time"

// Clock tells the current time. Engines and handlers take one so tests and
// the reference backend can move time instead of sleeping; any type with a
// Now method fits.
type Clock interface {
	Now() time.Time
}
