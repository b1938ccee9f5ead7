// Command contactless shows the contactless credential end to end: a
// credential provisioned to a phone tops up a wallet at a top-up machine and
// pays at a consumption machine by tap, earning points; a replayed tap and a
// suspended credential are refused, and a resumed one pays again.
package main

import "github.com/paykit-go/paykit/examples/internal/flows"

func main() { flows.Main("contactless", flows.Contactless) }
