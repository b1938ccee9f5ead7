//go:build linux || windows

package gatt

import (
	"errors"

	"github.com/paykit-go/paykit/pay"
	"tinygo.org/x/bluetooth"
)

// Advertise makes this device a collection host: it registers the receipt
// service on adapter (already enabled with Enable), advertises it under
// AdvertisedName(hostID) and returns the host's end of the link. Writes
// from any connected handheld arrive on Recv; Send notifies subscribed
// handhelds. Close stops advertising and removes the service.
//
// Errors: ErrInvalidRequest for an empty hostID, ErrRadio when the stack
// refuses the service or the advertisement.
func Advertise(adapter *bluetooth.Adapter, hostID string) (*Link, error) {
	if adapter == nil {
		return nil, pay.Errorf(pay.ErrInvalidRequest, "adapter", "a Bluetooth adapter is required")
	}
	if err := checkHostID(hostID); err != nil {
		return nil, err
	}
	h := newHostTransport()
	l := newLink()
	l.t = h
	var ack bluetooth.Characteristic
	svc := hostService(h, l, &ack)
	if err := adapter.AddService(svc); err != nil {
		return nil, pay.Errorf(ErrRadio, "", "registering the receipt service failed").Wrap(err)
	}
	adv := adapter.DefaultAdvertisement()
	if err := adv.Configure(advertisement(hostID)); err != nil {
		_ = adapter.RemoveService(svc)
		return nil, pay.Errorf(ErrRadio, "", "configuring the advertisement failed").Wrap(err)
	}
	if err := adv.Start(); err != nil {
		_ = adapter.RemoveService(svc)
		return nil, pay.Errorf(ErrRadio, "", "starting the advertisement failed").Wrap(err)
	}
	h.notify = func(p []byte) error { _, err := ack.Write(p); return err }
	h.stop = func() error { return errors.Join(adv.Stop(), adapter.RemoveService(svc)) }
	return l, nil
}
