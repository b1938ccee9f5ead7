package gatt

import (
	"strings"
	"testing"

	"tinygo.org/x/bluetooth"
)

// The three UUIDs are the documented constants, distinct, 128-bit (not
// derived from the Bluetooth base UUID), version 4 with the RFC 4122
// variant, and one base numbered 1, 2, 3 in bytes 2-3.
func TestUUIDs(t *testing.T) {
	all := []struct {
		s string
		u bluetooth.UUID
		n string
	}{
		{ServiceUUIDString, ServiceUUID, "0001"},
		{ReceiptCharUUIDString, ReceiptCharUUID, "0002"},
		{AckCharUUIDString, AckCharUUID, "0003"},
	}
	for _, c := range all {
		if got := c.u.String(); got != c.s {
			t.Errorf("parsed %s prints as %s", c.s, got)
		}
		if c.u.Is16Bit() || c.u.Is32Bit() {
			t.Errorf("%s is a short UUID on the Bluetooth base; want a private 128-bit UUID", c.s)
		}
		if c.s[14] != '4' || !strings.ContainsRune("89ab", rune(c.s[19])) {
			t.Errorf("%s is not a version-4, RFC 4122 variant UUID", c.s)
		}
		if c.s[4:8] != c.n || c.s[:4] != "baa6" || c.s[8:] != ServiceUUIDString[8:] {
			t.Errorf("%s does not number %s on the service's base", c.s, c.n)
		}
	}
	if ServiceUUID == ReceiptCharUUID || ServiceUUID == AckCharUUID || ReceiptCharUUID == AckCharUUID {
		t.Error("two UUIDs are equal")
	}
	// The package doc lists each UUID beside its name.
	for _, c := range all {
		if !strings.Contains(hgPackageDoc(t), c.s) {
			t.Errorf("the package doc does not document %s", c.s)
		}
	}
}

func TestMustParseUUIDPanicsOnBadConstant(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a malformed UUID constant did not panic")
		}
	}()
	mustParseUUID("baa60001-not-a-uuid")
}
