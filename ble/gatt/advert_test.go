package gatt

import (
	"os"
	"testing"

	"tinygo.org/x/bluetooth"
)

func hgPackageDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The advertisement fills the 31-byte legacy advertising payload exactly,
// whatever the host ID, and names the host by a stable 8-character name.
func TestAdvertisementFitsLegacyPayload(t *testing.T) {
	for _, id := range []string{"h", "host_0123456789abcdef", string(make([]byte, 300))} {
		opts := advertisement(id)
		if n := legacyAdvLen(opts); n != 31 {
			t.Errorf("host %q: advertisement of %d bytes; want exactly 31", id, n)
		}
		if len(opts.ServiceUUIDs) != 1 || opts.ServiceUUIDs[0] != ServiceUUID {
			t.Errorf("host %q advertises %v; want only the receipt service", id, opts.ServiceUUIDs)
		}
		if name := opts.LocalName; len(name) != 8 || name[:2] != "pk" || name != AdvertisedName(id) {
			t.Errorf("host %q advertises name %q", id, name)
		}
	}
	if AdvertisedName("host-a") == AdvertisedName("host-b") {
		t.Error("two host IDs advertise the same name")
	}
	// SHA-256("host-a") = 0cf9a7…: the name is its first 3 bytes in hex.
	if got := AdvertisedName("host-a"); got != "pk"+hgSHA256Hex("host-a")[:6] {
		t.Errorf("AdvertisedName(host-a) = %q", got)
	}
}

// A handheld accepts only advertisements of the receipt service, and with
// a host ID only that host's.
func TestIsHost(t *testing.T) {
	other, _ := bluetooth.ParseUUID("0000180d-0000-1000-8000-00805f9b34fb") // heart rate
	cases := []struct {
		name   string
		adv    bluetooth.AdvertisementPayload
		hostID string
		want   bool
	}{
		{"our host", hgAdv{AdvertisedName("h1"), []bluetooth.UUID{ServiceUUID}}, "h1", true},
		{"another host", hgAdv{AdvertisedName("h2"), []bluetooth.UUID{ServiceUUID}}, "h1", false},
		{"any host", hgAdv{AdvertisedName("h2"), []bluetooth.UUID{other, ServiceUUID}}, "", true},
		{"right name, no service", hgAdv{AdvertisedName("h1"), []bluetooth.UUID{other}}, "h1", false},
		{"no service, any host", hgAdv{"", nil}, "", false},
		{"no name", hgAdv{"", []bluetooth.UUID{ServiceUUID}}, "h1", false},
		{"nil payload", nil, "", false},
	}
	for _, c := range cases {
		if got := isHost(c.adv, c.hostID); got != c.want {
			t.Errorf("%s: isHost = %v; want %v", c.name, got, c.want)
		}
	}
}
