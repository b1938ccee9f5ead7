// Command blereceipt shows Bluetooth-relayed QR collection (system C)
// against an in-process reference backend: a counter-top collection host
// pairs with the merchant's handheld (both print the same 6-digit code)
// over a simulated BLE link at the default MTU of 23 that loses,
// duplicates and reorders chunks; a customer scans the merchant's static
// EMVCo collection QR and pays through a sandbox channel; the backend's
// signed webhook reaches the handheld, which relays the receipt over BLE;
// the host prints it on its display and beeps (a payment and a refund
// beep differently). A receipt forged under a guessed key and a webhook
// signed with a guessed secret are refused, and nothing more is shown.
//
// Over a real radio, the same Host and Handheld run on ble/gatt's link.
//
//	go run ./examples/blereceipt
package main

import "github.com/paykit-go/paykit/examples/internal/flows"

func main() { flows.Main("blereceipt", flows.BLEReceipt) }
