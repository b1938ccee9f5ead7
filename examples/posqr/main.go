// Command posqr reads an EMVCo merchant-presented QR code and pays it,
// against an in-process reference backend: a POS shows a dynamic code for
// one sale, a phone scans the PNG, finds the paykit merchant account,
// amount and order reference in it and pays from its wallet; an altered
// code and another network's code are refused.
//
//	go run ./examples/posqr
package main

import "github.com/paykit-go/paykit/examples/internal/flows"

func main() { flows.Main("posqr", flows.PosQR) }
