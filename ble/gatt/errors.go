package gatt

import (
	"net/http"

	"github.com/paykit-go/paykit/pay"
)

// Sentinels for errors.Is. They never carry chunk contents (which may hold
// pairing material) or keys.
var (
	// ErrChunkSize: a chunk is empty or longer than the link's MTU-3.
	ErrChunkSize = &pay.Error{Code: "ble_gatt_chunk_size", Message: "chunk does not fit one ATT packet", HTTPStatus: http.StatusBadRequest}
	// ErrRadio: the Bluetooth stack failed (adapter off, connection lost,
	// write refused); the cause is wrapped.
	ErrRadio = &pay.Error{Code: "ble_gatt_radio", Message: "the Bluetooth stack failed", HTTPStatus: http.StatusServiceUnavailable}
	// ErrNoHost: no collection host advertising the receipt service (and
	// the host ID asked for) was found, or the device found lacks the
	// receipt service or its characteristics.
	ErrNoHost = &pay.Error{Code: "ble_gatt_no_host", Message: "no paykit collection host found", HTTPStatus: http.StatusNotFound}
	// ErrUnsupported: this platform's Bluetooth stack cannot play the role
	// asked for (the peripheral role outside Linux and Windows).
	ErrUnsupported = &pay.Error{Code: "ble_gatt_unsupported", Message: "not supported by this platform's Bluetooth stack", HTTPStatus: http.StatusNotImplemented}
)
