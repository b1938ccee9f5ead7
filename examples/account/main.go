// Command account runs the account-platform flow (top-up, consumption with
// points, a bill paid and cleared) against an in-process reference backend.
package main

import "github.com/paykit-go/paykit/examples/internal/flows"

func main() { flows.Main("account", flows.Account) }
