package gatt

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/paykit-go/paykit/pay"
	"tinygo.org/x/bluetooth"
)

// adapterCentral is a central on a tinygo.org/x/bluetooth adapter.
type adapterCentral struct{ a *bluetooth.Adapter }

// scan runs one scan until match accepts an advertiser or ctx ends. The
// stack's Scan blocks until StopScan; StopScan is called from the scan
// callback when a host is found (as the stack documents), and from ctx's
// end otherwise, retried until the scan has started so that a cancellation
// racing the scan's start still stops it.
func (c *adapterCentral) scan(ctx context.Context, match func(bluetooth.ScanResult) bool) (bluetooth.Address, error) {
	if err := ctx.Err(); err != nil {
		return bluetooth.Address{}, pay.Errorf(ErrNoHost, "", "no host found before the scan was cancelled").Wrap(err)
	}
	var (
		mu      sync.Mutex
		stopped bool
		found   bool
		addr    bluetooth.Address
		done    = make(chan struct{})
	)
	stopOnCancel := context.AfterFunc(ctx, func() {
		for {
			mu.Lock()
			if stopped || c.a.StopScan() == nil {
				stopped = true
				mu.Unlock()
				return
			}
			mu.Unlock()
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	})
	err := c.a.Scan(func(a *bluetooth.Adapter, r bluetooth.ScanResult) {
		mu.Lock()
		defer mu.Unlock()
		if stopped || !match(r) {
			return
		}
		addr, found, stopped = r.Address, true, true
		_ = a.StopScan()
	})
	close(done)
	stopOnCancel()
	mu.Lock()
	defer mu.Unlock()
	switch {
	case found:
		return addr, nil
	case ctx.Err() != nil:
		return bluetooth.Address{}, pay.Errorf(ErrNoHost, "", "no host found before the scan ended").Wrap(ctx.Err())
	case err != nil:
		return bluetooth.Address{}, pay.Errorf(ErrRadio, "", "scanning failed").Wrap(err)
	}
	return bluetooth.Address{}, pay.Errorf(ErrNoHost, "", "the scan stopped without finding a host")
}

// connect connects and discovers the receipt service. The stack's Connect
// cannot be cancelled; when ctx ends first, the connection it may still
// make is closed as soon as it is made.
func (c *adapterCentral) connect(ctx context.Context, addr bluetooth.Address) (peer, error) {
	type result struct {
		p   *devicePeer
		err error
	}
	res := make(chan result, 1)
	go func() {
		dev, err := c.a.Connect(addr, bluetooth.ConnectionParams{})
		if err != nil {
			res <- result{err: pay.Errorf(ErrRadio, "", "connecting to the host failed").Wrap(err)}
			return
		}
		p, err := discover(dev)
		if err != nil {
			_ = dev.Disconnect()
		}
		res <- result{p, err}
	}()
	select {
	case r := <-res:
		if r.err != nil {
			return nil, r.err
		}
		return r.p, nil
	case <-ctx.Done():
		go func() {
			if r := <-res; r.err == nil {
				_ = r.p.close()
			}
		}()
		return nil, pay.Errorf(ErrNoHost, "", "connecting to the host did not finish in time").Wrap(ctx.Err())
	}
}

// discover finds the receipt service and its two characteristics.
func discover(dev bluetooth.Device) (*devicePeer, error) {
	svcs, err := dev.DiscoverServices([]bluetooth.UUID{ServiceUUID})
	if err != nil || len(svcs) != 1 {
		if err == nil || errors.Is(err, bluetooth.ErrServiceNotFound) {
			return nil, pay.Errorf(ErrNoHost, "", "the device has no paykit receipt service")
		}
		return nil, pay.Errorf(ErrRadio, "", "discovering services failed").Wrap(err)
	}
	chars, err := svcs[0].DiscoverCharacteristics([]bluetooth.UUID{ReceiptCharUUID, AckCharUUID})
	if err != nil || len(chars) != 2 {
		if err == nil || errors.Is(err, bluetooth.ErrCharacteristicNotFound) {
			return nil, pay.Errorf(ErrNoHost, "", "the receipt service lacks its characteristics")
		}
		return nil, pay.Errorf(ErrRadio, "", "discovering characteristics failed").Wrap(err)
	}
	return &devicePeer{dev: dev, rx: chars[0], ack: chars[1]}, nil
}

// devicePeer is a connection to a host's receipt service.
type devicePeer struct {
	dev bluetooth.Device
	rx  bluetooth.DeviceCharacteristic // receipt characteristic
	ack bluetooth.DeviceCharacteristic // ack characteristic
}

func (p *devicePeer) write(b []byte) error {
	_, err := p.rx.WriteWithoutResponse(b)
	return err
}

func (p *devicePeer) subscribe(fn func([]byte)) error { return p.ack.EnableNotifications(fn) }

func (p *devicePeer) mtu() (int, error) {
	m, err := p.rx.GetMTU()
	return int(m), err
}

func (p *devicePeer) close() error {
	_ = p.ack.EnableNotifications(nil)
	return p.dev.Disconnect()
}
