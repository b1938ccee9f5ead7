package base45_test

import (
	"fmt"

	"github.com/paykit-go/paykit/internal/base45"
)

func Example() {
	s := base45.Encode([]byte("ietf!"))
	b, err := base45.Decode(s)
	fmt.Println(s, string(b), err)
	// Output: QED8WEX0 ietf! <nil>
}
