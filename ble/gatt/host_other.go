//go:build !linux && !windows

package gatt

import "tinygo.org/x/bluetooth"

// Advertise makes this device a collection host. This platform's stack
// has no GATT server in tinygo.org/x/bluetooth, so it returns
// ErrUnsupported; hosts run on Linux (BlueZ) or Windows.
func Advertise(adapter *bluetooth.Adapter, hostID string) (*Link, error) {
	return nil, ErrUnsupported
}
