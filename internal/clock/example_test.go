package clock_test

import (
	"fmt"
	"time"

	"github.com/paykit-go/paykit/internal/clock"
)

func ExampleFake() {
	c := clock.NewFake(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	c.Advance(5 * time.Minute)
	fmt.Println(c.Now().Format(time.Kitchen))
	// Output: 9:05AM
}
