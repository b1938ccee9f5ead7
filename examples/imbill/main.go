// Command imbill pays a bill over instant messaging, against an
// in-process reference backend: a customer with two outstanding bills
// asks the payment subsystem what she owes, chooses one and pays it with
// her payment password, every message sealed with HPKE and signed by her
// phone's device key, relayed untouched by the IM server; a message
// altered in transit is refused.
//
//	go run ./examples/imbill
package main

import "github.com/paykit-go/paykit/examples/internal/flows"

func main() { flows.Main("imbill", flows.IMBill) }
