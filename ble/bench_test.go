package ble

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/pay"
)

// The baseline: the same receipt as CBOR (RFC 8949, core deterministic
// encoding) in a COSE_Mac0 (RFC 9052 §6.2, tag 17), framed by Fragment like
// ours (FIDO-style). The payload is a map with small integer keys:
//
//	1 kind (uint)      2 counter (uint)   3 payment short ID (tstr)
//	4 amount (uint)    5 currency (uint, ISO 4217 numeric)
//	6 channel (uint, ChannelCodes)        7 payer (tstr, absent if none)
//	8 time (uint, Unix seconds)           9 terminal (uint)
//
// Currency and channel use the same small codes as our layout, which is the
// most compact CBOR can be for them. The protected header is {1: alg, 4:
// kid}, kid being the pairing number as 2 bytes, so the pairing number is
// MAC'd as in ours; the unprotected header is empty. alg 4 is HMAC 256/64
// (an 8-byte tag, as ours), alg 5 HMAC 256/256. The tag is HMAC-SHA256 over
// the MAC_structure ["MAC0", protected, h”, payload].
const (
	heCOSEAlgHMAC256x64  = 4
	heCOSEAlgHMAC256x256 = 5
	heCOSETagMac0        = 17
)

// heCBOR is a minimal deterministic CBOR encoder: definite lengths and the
// shortest head for every integer; callers write map keys in order.
type heCBOR struct{ b []byte }

func (e *heCBOR) head(major byte, v uint64) {
	m := major << 5
	switch {
	case v < 24:
		e.b = append(e.b, m|byte(v))
	case v <= 0xFF:
		e.b = append(e.b, m|24, byte(v))
	case v <= 0xFFFF:
		e.b = binary.BigEndian.AppendUint16(append(e.b, m|25), uint16(v))
	case v <= 0xFFFFFFFF:
		e.b = binary.BigEndian.AppendUint32(append(e.b, m|26), uint32(v))
	default:
		e.b = binary.BigEndian.AppendUint64(append(e.b, m|27), v)
	}
}
func (e *heCBOR) uint(v uint64)         { e.head(0, v) }
func (e *heCBOR) bytes(p []byte)        { e.head(2, uint64(len(p))); e.b = append(e.b, p...) }
func (e *heCBOR) text(s string)         { e.head(3, uint64(len(s))); e.b = append(e.b, s...) }
func (e *heCBOR) array(n int)           { e.head(4, uint64(n)) }
func (e *heCBOR) mapHead(n int)         { e.head(5, uint64(n)) }
func (e *heCBOR) tag(n uint64)          { e.head(6, n) }
func (e *heCBOR) reset(b []byte)        { e.b = b[:0] }
func (e *heCBOR) result() []byte        { return e.b }
func (e *heCBOR) kv(k, v uint64)        { e.uint(k); e.uint(v) }
func (e *heCBOR) kt(k uint64, s string) { e.uint(k); e.text(s) }

// heCBORReader reads what heCBOR writes, strictly: shortest heads only,
// nothing indefinite, no trailing bytes (checked by the caller).
type heCBORReader struct {
	b   []byte
	err error
}

var errHECBOR = errors.New("bad CBOR")

func (r *heCBORReader) head() (byte, uint64) {
	if r.err != nil || len(r.b) == 0 {
		r.err = errHECBOR
		return 0, 0
	}
	major, info := r.b[0]>>5, r.b[0]&31
	r.b = r.b[1:]
	var v uint64
	var n int
	switch {
	case info < 24:
		return major, uint64(info)
	case info == 24:
		n = 1
	case info == 25:
		n = 2
	case info == 26:
		n = 4
	case info == 27:
		n = 8
	default:
		r.err = errHECBOR
		return 0, 0
	}
	if len(r.b) < n {
		r.err = errHECBOR
		return 0, 0
	}
	for _, c := range r.b[:n] {
		v = v<<8 | uint64(c)
	}
	r.b = r.b[n:]
	if (n == 1 && v < 24) || (n > 1 && v < 1<<(4*n)) { // not the shortest head
		r.err = errHECBOR
	}
	return major, v
}

func (r *heCBORReader) expect(major byte) uint64 {
	m, v := r.head()
	if m != major {
		r.err = errHECBOR
	}
	return v
}

func (r *heCBORReader) uint() uint64 { return r.expect(0) }

func (r *heCBORReader) bytes() []byte {
	n := r.expect(2)
	if r.err != nil || uint64(len(r.b)) < n {
		r.err = errHECBOR
		return nil
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

func (r *heCBORReader) text() string {
	n := r.expect(3)
	if r.err != nil || uint64(len(r.b)) < n {
		r.err = errHECBOR
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// heCOSE makes and checks the baseline's COSE_Mac0 receipts.
type heCOSE struct {
	alg int
	key []byte
	enc heCBOR // scratch, reused
}

func (c *heCOSE) tagLen() int {
	if c.alg == heCOSEAlgHMAC256x64 {
		return 8
	}
	return 32
}

func (c *heCOSE) protected(pairing uint16) []byte {
	var e heCBOR
	e.mapHead(2)
	e.kv(1, uint64(c.alg))
	e.uint(4)
	e.bytes(binary.BigEndian.AppendUint16(nil, pairing))
	return e.result()
}

func (c *heCOSE) payload(r Receipt) []byte {
	var e heCBOR
	n := 8
	if r.Payer != "" {
		n++
	}
	e.mapHead(n)
	e.kv(1, uint64(r.Kind))
	e.kv(2, r.Counter)
	e.kt(3, r.PaymentID)
	e.kv(4, uint64(r.Amount.Amount))
	e.kv(5, uint64(currencyNumeric[r.Amount.Currency]))
	ch, ok := channelCode[r.Channel]
	if !ok {
		ch = channelCode[ChannelOther]
	}
	e.kv(6, uint64(ch))
	if r.Payer != "" {
		e.kt(7, r.Payer)
	}
	e.kv(8, uint64(r.Time.Unix()))
	e.kv(9, uint64(r.Terminal))
	return e.result()
}

// mac is the tag over the MAC_structure ["MAC0", protected, h”, payload].
func (c *heCOSE) mac(protected, payload []byte) []byte {
	c.enc.reset(c.enc.b)
	c.enc.array(4)
	c.enc.text("MAC0")
	c.enc.bytes(protected)
	c.enc.bytes(nil)
	c.enc.bytes(payload)
	m := hmac.New(sha256.New, c.key)
	m.Write(c.enc.result())
	return m.Sum(nil)[:c.tagLen()]
}

// encode returns the tagged COSE_Mac0 of r: 17([protected, {}, payload, tag]).
func (c *heCOSE) encode(r Receipt, pairing uint16) []byte {
	prot, payload := c.protected(pairing), c.payload(r)
	var e heCBOR
	e.tag(heCOSETagMac0)
	e.array(4)
	e.bytes(prot)
	e.mapHead(0)
	e.bytes(payload)
	e.bytes(c.mac(prot, payload))
	return e.result()
}

// decode checks the structure and the tag (constant time), then reads the
// payload into a Receipt.
func (c *heCOSE) decode(b []byte) (Receipt, error) {
	rd := heCBORReader{b: b}
	if rd.expect(6) != heCOSETagMac0 || rd.expect(4) != 4 {
		return Receipt{}, errHECBOR
	}
	prot := rd.bytes()
	if rd.expect(5) != 0 {
		return Receipt{}, errHECBOR
	}
	payload, tag := rd.bytes(), rd.bytes()
	if rd.err != nil || len(rd.b) != 0 {
		return Receipt{}, errHECBOR
	}
	ph := heCBORReader{b: prot}
	if ph.expect(5) != 2 || ph.uint() != 1 || ph.uint() != uint64(c.alg) || ph.uint() != 4 || len(ph.bytes()) != 2 || ph.err != nil || len(ph.b) != 0 {
		return Receipt{}, errHECBOR
	}
	if !hmac.Equal(c.mac(prot, payload), tag) {
		return Receipt{}, ErrMAC
	}
	return heCOSEPayload(payload)
}

func heCOSEPayload(p []byte) (Receipt, error) {
	rd := heCBORReader{b: p}
	n := rd.expect(5)
	if n != 8 && n != 9 {
		return Receipt{}, errHECBOR
	}
	var r Receipt
	for want := uint64(1); want <= 9; want++ {
		if want == 7 && n == 8 {
			continue
		}
		if rd.uint() != want {
			return Receipt{}, errHECBOR
		}
		switch want {
		case 1:
			r.Kind = Kind(rd.uint())
		case 2:
			r.Counter = rd.uint()
		case 3:
			r.PaymentID = rd.text()
		case 4:
			r.Amount.Amount = int64(rd.uint())
		case 5:
			r.Amount.Currency = currencyAlpha[uint16(rd.uint())]
		case 6:
			r.Channel = channelName[uint8(rd.uint())]
		case 7:
			r.Payer = rd.text()
		case 8:
			r.Time = time.Unix(int64(rd.uint()), 0).UTC()
		case 9:
			r.Terminal = uint16(rd.uint())
		}
	}
	if rd.err != nil || len(rd.b) != 0 || (r.Kind != KindPaid && r.Kind != KindRefunded) ||
		r.Amount.Amount <= 0 || r.Amount.Currency == "" || r.Channel == "" {
		return Receipt{}, errHECBOR
	}
	return r, nil
}

// TestHECBORVectors checks the baseline's CBOR encoder against RFC 8949
// Appendix A, so the baseline's sizes are real CBOR's.
func TestHECBORVectors(t *testing.T) {
	tests := []struct {
		want string
		enc  func(e *heCBOR)
	}{
		{"00", func(e *heCBOR) { e.uint(0) }},
		{"17", func(e *heCBOR) { e.uint(23) }},
		{"1818", func(e *heCBOR) { e.uint(24) }},
		{"1864", func(e *heCBOR) { e.uint(100) }},
		{"1903e8", func(e *heCBOR) { e.uint(1000) }},
		{"1a000f4240", func(e *heCBOR) { e.uint(1000000) }},
		{"1b000000e8d4a51000", func(e *heCBOR) { e.uint(1000000000000) }},
		{"1bffffffffffffffff", func(e *heCBOR) { e.uint(1<<64 - 1) }},
		{"40", func(e *heCBOR) { e.bytes(nil) }},
		{"4401020304", func(e *heCBOR) { e.bytes([]byte{1, 2, 3, 4}) }},
		{"6449455446", func(e *heCBOR) { e.text("IETF") }},
		{"83010203", func(e *heCBOR) { e.array(3); e.uint(1); e.uint(2); e.uint(3) }},
		{"a201020304", func(e *heCBOR) { e.mapHead(2); e.kv(1, 2); e.kv(3, 4) }},
		{"a0", func(e *heCBOR) { e.mapHead(0) }},
		{"c11a514b67b0", func(e *heCBOR) { e.tag(1); e.uint(1363896240) }},
		{"d8184401020304", func(e *heCBOR) { e.tag(24); e.bytes([]byte{1, 2, 3, 4}) }},
	}
	for _, tt := range tests {
		var e heCBOR
		tt.enc(&e)
		if got := hex.EncodeToString(e.result()); got != tt.want {
			t.Errorf("got %s, want %s", got, tt.want)
		}
		rd := heCBORReader{b: e.result()}
		rd.head()
		if rd.err != nil {
			t.Errorf("%s: reader: %v", tt.want, rd.err)
		}
	}
	// The reader refuses a non-shortest head.
	for _, bad := range []string{"1817", "190017", "1a0000ffff", "1b00000000ffffffff", "1c", ""} {
		b, _ := hex.DecodeString(bad)
		rd := heCBORReader{b: b}
		if rd.head(); rd.err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}

// TestHECOSEBaseline checks that the baseline is a working COSE_Mac0: it
// round-trips, has the RFC 9052 shape, and refuses any altered bit — so the
// benchmarks compare two real authenticated encodings.
func TestHECOSEBaseline(t *testing.T) {
	for _, alg := range []int{heCOSEAlgHMAC256x64, heCOSEAlgHMAC256x256} {
		c := &heCOSE{alg: alg, key: heKey()}
		for _, r := range []Receipt{heReceipt(), heLargest()} {
			b := c.encode(r, 7)
			// d1 (tag 17), 84 (array of 4), 47 (7-byte protected bstr) a2 01 0x 04 42 00 07.
			prefix := fmt.Sprintf("d18447a2010%d04420007a0", alg)
			if got := hex.EncodeToString(b[:11]); got != prefix {
				t.Errorf("alg %d: starts %s, want %s", alg, got, prefix)
			}
			got, err := c.decode(b)
			if err != nil {
				t.Fatalf("alg %d: %v", alg, err)
			}
			if diff := cmp.Diff(r, got); diff != "" {
				t.Errorf("alg %d (-want +got):\n%s", alg, diff)
			}
			for bit := range len(b) * 8 {
				f := bytes.Clone(b)
				f[bit/8] ^= 1 << (bit % 8)
				if _, err := c.decode(f); err == nil {
					t.Fatalf("alg %d: bit %d flipped, accepted", alg, bit)
				}
			}
		}
	}
}

// heOnAir is one receipt encoding's footprint at one MTU.
func heOnAir(b *testing.B, msg []byte, mtu int) (bytesOnAir, packets int) {
	frames, err := Fragment(CmdReceipt, msg, mtu)
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range frames {
		bytesOnAir += len(f)
	}
	return bytesOnAir, len(frames)
}

// BenchmarkOnAir measures what one receipt costs on the air at MTU 23, 64
// and 185: "bytes/receipt" is the ATT payload bytes of all its fragments
// (framing included, ATT opcode and handle not), "packets/receipt" the ATT
// writes. Each op encodes, MACs and fragments one receipt. paykit is our
// layout; cose64 and cose256 the COSE_Mac0 baseline with HMAC 256/64 and
// 256/256, under the same framing. "largest" is the size-goal receipt
// (counter 2³², 9,999,999.99 CNY), "everyday" 12.50 CNY at counter 1042.
func BenchmarkOnAir(b *testing.B) {
	receipts := []struct {
		name string
		r    Receipt
	}{{"largest", heLargest()}, {"everyday", heReceipt()}}
	formats := []struct {
		name string
		enc  func(Receipt) []byte
	}{
		{"paykit", func(r Receipt) []byte { m, _ := EncodeReceipt(r, heLargestPairing, heKey()); return m }},
		{"cose64", (&heCOSE{alg: heCOSEAlgHMAC256x64, key: heKey()}).encodeFor(heLargestPairing)},
		{"cose256", (&heCOSE{alg: heCOSEAlgHMAC256x256, key: heKey()}).encodeFor(heLargestPairing)},
	}
	for _, rc := range receipts {
		for _, f := range formats {
			for _, mtu := range []int{23, 64, 185} {
				b.Run(fmt.Sprintf("receipt=%s/format=%s/mtu=%d", rc.name, f.name, mtu), func(b *testing.B) {
					var n, p int
					for b.Loop() {
						n, p = heOnAir(b, f.enc(rc.r), mtu)
					}
					b.ReportMetric(float64(n), "bytes/receipt")
					b.ReportMetric(float64(p), "packets/receipt")
				})
			}
		}
	}
}

func (c *heCOSE) encodeFor(pairing uint16) func(Receipt) []byte {
	return func(r Receipt) []byte { return c.encode(r, pairing) }
}

// BenchmarkEncodeMAC is encode+MAC per receipt: ours against the COSE_Mac0
// baseline (HMAC 256/64), the largest realistic receipt.
func BenchmarkEncodeMAC(b *testing.B) {
	r := heLargest()
	b.Run("format=paykit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := EncodeReceipt(r, heLargestPairing, heKey()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("format=cose64", func(b *testing.B) {
		c := &heCOSE{alg: heCOSEAlgHMAC256x64, key: heKey()}
		b.ReportAllocs()
		for b.Loop() {
			c.encode(r, heLargestPairing)
		}
	})
}

// BenchmarkVerify is decode+verify per receipt: ours against the COSE_Mac0
// baseline (HMAC 256/64), the largest realistic receipt.
func BenchmarkVerify(b *testing.B) {
	r := heLargest()
	b.Run("format=paykit", func(b *testing.B) {
		msg, err := EncodeReceipt(r, heLargestPairing, heKey())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeReceipt(msg, heKey()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("format=cose64", func(b *testing.B) {
		c := &heCOSE{alg: heCOSEAlgHMAC256x64, key: heKey()}
		msg := c.encode(r, heLargestPairing)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.decode(msg); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// Ensure the payer-less and other-channel paths of the baseline stay in
// step with ours.
func TestHECOSEBaselineVariants(t *testing.T) {
	c := &heCOSE{alg: heCOSEAlgHMAC256x64, key: heKey()}
	r := heReceipt()
	r.Payer, r.Channel, r.Amount = "", ChannelOther, pay.Money{Amount: 5, Currency: "JPY"}
	got, err := c.decode(c.encode(r, 1))
	if err != nil || got != r {
		t.Fatalf("got %+v, %v", got, err)
	}
}
