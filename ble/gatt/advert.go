package gatt

import (
	"crypto/sha256"
	"encoding/hex"

	"tinygo.org/x/bluetooth"
)

// AdvertisedName is the local name a host with ID hostID advertises: "pk"
// and the first 6 hex digits of SHA-256(hostID), 8 characters that fit the
// 31-byte advertising payload beside the 128-bit service UUID. A handheld
// holding the host ID from the pairing QR computes the same name to find
// its host among others; 24 bits make two hosts in one shop collide with a
// chance of one in millions, and a collision costs only a wrong connection
// whose receipts are never acknowledged.
func AdvertisedName(hostID string) string {
	sum := sha256.Sum256([]byte(hostID))
	return "pk" + hex.EncodeToString(sum[:3])
}

// advertisement is what a host advertises: the receipt service and its
// name.
func advertisement(hostID string) bluetooth.AdvertisementOptions {
	return bluetooth.AdvertisementOptions{
		LocalName:    AdvertisedName(hostID),
		ServiceUUIDs: []bluetooth.UUID{ServiceUUID},
	}
}

// legacyAdvLen is the length of the advertising payload opts produces:
// flags (added by the stack), the complete list of 128-bit service UUIDs
// and the complete local name, each an AD structure of length, type and
// data (Core Specification Supplement, Part A, 1.1-1.3).
func legacyAdvLen(opts bluetooth.AdvertisementOptions) int {
	n := 3 // flags
	if len(opts.ServiceUUIDs) > 0 {
		n += 2 + 16*len(opts.ServiceUUIDs)
	}
	if opts.LocalName != "" {
		n += 2 + len(opts.LocalName)
	}
	return n
}

// isHost reports whether an advertisement is a paykit collection host's,
// and the one named by hostID when hostID is not empty.
func isHost(adv bluetooth.AdvertisementPayload, hostID string) bool {
	if adv == nil || !adv.HasServiceUUID(ServiceUUID) {
		return false
	}
	return hostID == "" || adv.LocalName() == AdvertisedName(hostID)
}
