package randid_test

import (
	"fmt"
	"strings"

	"github.com/paykit-go/paykit/internal/randid"
)

func ExampleNew() {
	id := randid.New("pay")
	fmt.Println(strings.HasPrefix(id, "pay_"), len(id), randid.Valid(id, "pay"))
	// Output: true 30 true
}
