// Command channels shows channel aggregation end to end: two sandbox
// channels enabled, the user picks one, the charge succeeds through the
// provider's signed callback, the merchant hears by signed webhook, and a
// refund follows.
package main

import "github.com/paykit-go/paykit/examples/internal/flows"

func main() { flows.Main("channels", flows.Channels) }
