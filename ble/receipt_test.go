package ble

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/pay"
)

// heKey is a fixed 32-byte receipt key, so encodings are reproducible.
func heKey() []byte { return bytes.Repeat([]byte{0x5a}, 32) }

// heReceipt is an everyday receipt: 12.50 CNY paid by WeChat Pay.
func heReceipt() Receipt {
	return Receipt{
		Kind:      KindPaid,
		PaymentID: "k3q7x2ab",
		Amount:    pay.Money{Amount: 1250, Currency: "CNY"},
		Channel:   "wechatpay",
		Payer:     "1234",
		Time:      time.Date(2026, 11, 22, 8, 30, 15, 0, time.UTC),
		Terminal:  3,
		Counter:   1042,
	}
}

// heLargest is the largest realistic receipt, the size goal: counter 2³²,
// 9,999,999.99 CNY, a 4-digit payer, the last second uint32 holds, the
// highest terminal number.
func heLargest() Receipt {
	return Receipt{
		Kind:      KindRefunded,
		PaymentID: "zzzz7777",
		Amount:    pay.Money{Amount: 999_999_999, Currency: "CNY"},
		Channel:   "unionpay",
		Payer:     "9999",
		Time:      time.Unix(math.MaxUint32, 0).UTC(),
		Terminal:  math.MaxUint16,
		Counter:   1 << 32,
	}
}

const heLargestPairing = math.MaxUint16

// heEncode encodes r or fails the test.
func heEncode(t testing.TB, r Receipt, pairing uint16) []byte {
	t.Helper()
	b, err := EncodeReceipt(r, pairing, heKey())
	if err != nil {
		t.Fatalf("EncodeReceipt(%+v): %v", r, err)
	}
	return b
}

func TestReceiptRoundTrip(t *testing.T) {
	mod := func(f func(*Receipt)) Receipt { r := heReceipt(); f(&r); return r }
	tests := []struct {
		name    string
		in      Receipt
		pairing uint16
		want    Receipt // the decoded receipt; zero means "same as in"
		size    int
	}{
		{name: "everyday", in: heReceipt(), pairing: 7, size: 30},
		{name: "largest realistic", in: heLargest(), pairing: heLargestPairing, size: 36},
		{name: "refunded", in: mod(func(r *Receipt) { r.Kind = KindRefunded }), pairing: 1, size: 30},
		{name: "smallest fields", in: mod(func(r *Receipt) {
			r.Counter, r.Amount.Amount, r.Payer, r.Time, r.Terminal = 0, 1, "", time.Unix(0, 0).UTC(), 0
		}), size: 28},
		{name: "largest fields", in: mod(func(r *Receipt) {
			r.Counter, r.Amount.Amount = math.MaxUint64, math.MaxInt64
		}), pairing: math.MaxUint16, size: 45},
		{name: "varint boundary 127", in: mod(func(r *Receipt) { r.Counter, r.Amount.Amount = 127, 127 }), size: 28},
		{name: "varint boundary 128", in: mod(func(r *Receipt) { r.Counter, r.Amount.Amount = 128, 128 }), size: 30},
		{name: "JPY", in: mod(func(r *Receipt) { r.Amount = pay.Money{Amount: 9_999_999, Currency: "JPY"} }), size: 32},
		{name: "USD stripe", in: mod(func(r *Receipt) { r.Amount.Currency, r.Channel = "USD", "stripe" }), size: 30},
		{name: "EUR alipay", in: mod(func(r *Receipt) { r.Amount.Currency, r.Channel = "EUR", "alipay" }), size: 30},
		{name: "TWD sandbox", in: mod(func(r *Receipt) { r.Amount.Currency, r.Channel = "TWD", "sandbox" }), size: 30},
		{name: "AUD (numeric 036)", in: mod(func(r *Receipt) { r.Amount.Currency = "AUD" }), size: 30},
		{name: "unknown channel travels as other", in: mod(func(r *Receipt) { r.Channel = "paypal" }),
			want: mod(func(r *Receipt) { r.Channel = ChannelOther }), size: 30},
		{name: "channel other", in: mod(func(r *Receipt) { r.Channel = ChannelOther }), size: 30},
		{name: "payer one digit", in: mod(func(r *Receipt) { r.Payer = "7" }), size: 30},
		{name: "payer leading zeros", in: mod(func(r *Receipt) { r.Payer = "0012" }), size: 30},
		{name: "payer two digits", in: mod(func(r *Receipt) { r.Payer = "12" }), size: 30},
		{name: "sub-second time dropped", in: mod(func(r *Receipt) { r.Time = r.Time.Add(999 * time.Millisecond) }),
			want: heReceipt(), size: 30},
		{name: "time in another zone", in: mod(func(r *Receipt) { r.Time = r.Time.In(time.FixedZone("CST", 8*3600)) }),
			want: heReceipt(), size: 30},
		{name: "alphabet ends", in: mod(func(r *Receipt) { r.PaymentID = "a2345677" }), size: 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := heEncode(t, tt.in, tt.pairing)
			if len(b) != tt.size {
				t.Errorf("encoded size %d, want %d", len(b), tt.size)
			}
			got, err := DecodeReceipt(b, heKey())
			if err != nil {
				t.Fatalf("DecodeReceipt: %v", err)
			}
			want := tt.want
			if want == (Receipt{}) {
				want = tt.in
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("decoded receipt (-want +got):\n%s", diff)
			}
			if got.Time.Location() != time.UTC {
				t.Errorf("decoded time in %v, want UTC", got.Time.Location())
			}
			p, err := ReceiptPairing(b)
			if err != nil || p != tt.pairing {
				t.Errorf("ReceiptPairing = %d, %v; want %d", p, err, tt.pairing)
			}
			if again := heEncode(t, got, tt.pairing); !bytes.Equal(again, b) {
				t.Errorf("re-encoding the decoded receipt differs:\n%x\n%x", again, b)
			}
		})
	}
}

// TestReceiptLayout pins the layout byte by byte against the table in
// ReceiptVersion's doc, with the MAC recomputed here from its definition.
func TestReceiptLayout(t *testing.T) {
	b := heEncode(t, heReceipt(), 0x0102)
	body := "11" + // version 1, kind paid
		"0102" + // pairing
		"9208" + // counter 1042 = 0x412: 0x12|0x80, 0x08
		"" // payment follows
	// "k3q7x2ab": k=10 3=27 q=16 7=31 x=23 2=26 a=0 b=1, 5 bits each.
	var v uint64
	for _, c := range []uint64{10, 27, 16, 31, 23, 26, 0, 1} {
		v = v<<5 | c
	}
	body += hex.EncodeToString(binary.BigEndian.AppendUint64(nil, v)[3:])
	body += "e209" + // amount 1250 = 0x4e2: 0x62|0x80, 0x09
		"049c" + // wechatpay 1 <<10 | CNY 156
		"1234" + // payer BCD
		hex.EncodeToString(binary.BigEndian.AppendUint32(nil, uint32(heReceipt().Time.Unix()))) +
		"0003" // terminal
	m := hmac.New(sha256.New, heKey())
	m.Write([]byte("paykit/ble receipt MAC v1\x00"))
	bodyBytes, _ := hex.DecodeString(body)
	m.Write(bodyBytes)
	want := body + hex.EncodeToString(m.Sum(nil)[:8])
	if got := hex.EncodeToString(b); got != want {
		t.Errorf("layout\n got %s\nwant %s", got, want)
	}
}

func TestEncodeReceiptRefuses(t *testing.T) {
	mod := func(f func(*Receipt)) Receipt { r := heReceipt(); f(&r); return r }
	tests := []struct {
		name  string
		r     Receipt
		key   []byte
		param string
	}{
		{"kind zero", mod(func(r *Receipt) { r.Kind = 0 }), heKey(), "kind"},
		{"kind unknown", mod(func(r *Receipt) { r.Kind = 3 }), heKey(), "kind"},
		{"full payment ID", mod(func(r *Receipt) { r.PaymentID = "pay_abcdefghijklmnopqrstuvwxyz" }), heKey(), "payment_id"},
		{"short ID too short", mod(func(r *Receipt) { r.PaymentID = "abc" }), heKey(), "payment_id"},
		{"short ID upper case", mod(func(r *Receipt) { r.PaymentID = "K3Q7X2AB" }), heKey(), "payment_id"},
		{"short ID not base32", mod(func(r *Receipt) { r.PaymentID = "k3q7x2a1" }), heKey(), "payment_id"},
		{"zero amount", mod(func(r *Receipt) { r.Amount.Amount = 0 }), heKey(), "amount.amount"},
		{"negative amount", mod(func(r *Receipt) { r.Amount.Amount = -5 }), heKey(), "amount.amount"},
		{"unlisted currency", mod(func(r *Receipt) { r.Amount.Currency = "BRL" }), heKey(), "amount.currency"},
		{"no currency", mod(func(r *Receipt) { r.Amount.Currency = "" }), heKey(), "amount.currency"},
		{"lower-case currency", mod(func(r *Receipt) { r.Amount.Currency = "cny" }), heKey(), "amount.currency"},
		{"no channel", mod(func(r *Receipt) { r.Channel = "" }), heKey(), "channel"},
		{"payer five digits", mod(func(r *Receipt) { r.Payer = "12345" }), heKey(), "payer"},
		{"payer masked", mod(func(r *Receipt) { r.Payer = "**34" }), heKey(), "payer"},
		{"zero time", mod(func(r *Receipt) { r.Time = time.Time{} }), heKey(), "time"},
		{"before 1970", mod(func(r *Receipt) { r.Time = time.Unix(-1, 0) }), heKey(), "time"},
		{"after 2106", mod(func(r *Receipt) { r.Time = time.Unix(math.MaxUint32+1, 0) }), heKey(), "time"},
		{"no key", heReceipt(), nil, "key"},
		{"short key", heReceipt(), make([]byte, MinReceiptKeyLen-1), "key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := EncodeReceipt(tt.r, 1, tt.key)
			if b != nil || !errors.Is(err, pay.ErrInvalidRequest) {
				t.Fatalf("EncodeReceipt = %x, %v; want nil, invalid_request", b, err)
			}
			var pe *pay.Error
			if errors.As(err, &pe); pe.Param != tt.param {
				t.Errorf("param %q, want %q (%v)", pe.Param, tt.param, err)
			}
		})
	}
}

// heRemac returns body with a valid MAC under heKey, to reach the parser
// with bytes the encoder would never write.
func heRemac(body []byte) []byte {
	return appendReceiptMAC(bytes.Clone(body), heKey())
}

// TestDecodeReceiptStrict feeds correctly MAC'd bytes the encoder never
// writes: each must be ErrMalformed naming the field, never a receipt.
func TestDecodeReceiptStrict(t *testing.T) {
	good := heEncode(t, heReceipt(), 7)
	body := good[:len(good)-ReceiptMACLen]
	// Offsets in the everyday body: header 0, pairing 1–2, counter 3–4,
	// payment 5–9, amount 10–11, money 12–13, payer 14–15, time 16–19,
	// terminal 20–21.
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(body)) }
	set := func(i int, v ...byte) []byte { return edit(func(b []byte) []byte { copy(b[i:], v); return b }) }
	splice := func(i int, v ...byte) []byte {
		return edit(func(b []byte) []byte { return append(b[:i], append(v, b[i:]...)...) })
	}
	tests := []struct {
		name  string
		body  []byte
		param string
	}{
		{"kind 0", set(0, 0x10), "kind"},
		{"kind 3", set(0, 0x13), "kind"},
		{"kind 15", set(0, 0x1f), "kind"},
		{"counter not minimal", edit(func(b []byte) []byte { // 0x92 0x88 0x80 0x00: 4 bytes for 1042
			return append(append(b[:3:3], 0x92, 0x88, 0x80, 0x00), b[5:]...)
		}), "counter"},
		{"counter overflows 64 bits", splice(3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), "counter"},
		{"amount not minimal", edit(func(b []byte) []byte {
			return append(append(b[:10:10], 0xe2, 0x89, 0x00), b[12:]...)
		}), "amount"},
		{"amount zero", edit(func(b []byte) []byte { return append(append(b[:10:10], 0x00), b[12:]...) }), "amount"},
		{"amount over 2^63-1", edit(func(b []byte) []byte {
			return append(append(b[:10:10], binary.AppendUvarint(nil, math.MaxInt64+1)...), b[12:]...)
		}), "amount"},
		{"unknown currency", set(12, 0x04, 0x9d), "currency"},
		{"currency zero", set(12, 0x04, 0x00), "currency"},
		{"channel zero", set(12, 0x00, 0x9c), "channel"},
		{"unknown channel", set(12, 0x18, 0x9c), "channel"},
		{"payer nibble A", set(14, 0x12, 0x3a), "payer"},
		{"payer F after digit", set(14, 0x1f, 0x34), "payer"},
		{"payer all E", set(14, 0xee, 0xee), "payer"},
		{"trailing byte", append(bytes.Clone(body), 0), "receipt"},
		{"missing byte", body[:len(body)-1], "receipt"},
		{"truncated in the amount", body[:11], "receipt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := DecodeReceipt(heRemac(tt.body), heKey())
			if !errors.Is(err, ErrMalformed) || r != (Receipt{}) {
				t.Fatalf("DecodeReceipt = %+v, %v; want zero, ErrMalformed", r, err)
			}
			var pe *pay.Error
			if errors.As(err, &pe); pe.Param != tt.param {
				t.Errorf("param %q, want %q (%v)", pe.Param, tt.param, err)
			}
		})
	}
	// Sanity: the unedited body re-MAC'd is the good receipt.
	if !bytes.Equal(heRemac(body), good) {
		t.Fatal("heRemac does not rebuild the receipt")
	}
}

// heFlipReceipts are the receipts whose encodings the bit-flip tests alter.
func heFlipReceipts() []struct {
	r       Receipt
	pairing uint16
} {
	small := heReceipt()
	small.Counter, small.Amount.Amount, small.Payer = 1, 1, ""
	return []struct {
		r       Receipt
		pairing uint16
	}{{heReceipt(), 7}, {heLargest(), heLargestPairing}, {small, 0}}
}

// TestDecodeReceiptBitFlips flips every bit of encoded receipts, one at a
// time: every altered receipt is refused, with no receipt returned.
func TestDecodeReceiptBitFlips(t *testing.T) {
	for _, c := range heFlipReceipts() {
		b := heEncode(t, c.r, c.pairing)
		var macs, malformed int
		for bit := range len(b) * 8 {
			f := bytes.Clone(b)
			f[bit/8] ^= 1 << (bit % 8)
			r, err := DecodeReceipt(f, heKey())
			switch {
			case r != (Receipt{}):
				t.Fatalf("bit %d: a receipt came back: %+v (err %v)", bit, r, err)
			case errors.Is(err, ErrMAC):
				macs++
			case errors.Is(err, ErrMalformed):
				malformed++
			default:
				t.Fatalf("bit %d: err %v, want ErrMAC or ErrMalformed", bit, err)
			}
		}
		// Only the 4 version bits are refused before the MAC is checked.
		if malformed != 4 || macs != len(b)*8-4 {
			t.Errorf("%d-byte receipt: %d ErrMalformed, %d ErrMAC; want 4 and %d", len(b), malformed, macs, len(b)*8-4)
		}
		if _, err := DecodeReceipt(b, heKey()); err != nil {
			t.Fatalf("the original no longer decodes: %v", err)
		}
	}
}

func TestDecodeReceiptWrongKey(t *testing.T) {
	b := heEncode(t, heReceipt(), 7)
	other := bytes.Clone(heKey())
	other[31] ^= 1
	for name, key := range map[string][]byte{
		"one bit off": other,
		"another key": bytes.Repeat([]byte{0xa5}, 32),
		"a prefix":    heKey()[:16],
	} {
		r, err := DecodeReceipt(b, key)
		if !errors.Is(err, ErrMAC) || r != (Receipt{}) {
			t.Errorf("%s: DecodeReceipt = %+v, %v; want zero, ErrMAC", name, r, err)
		}
	}
	if _, err := DecodeReceipt(b, heKey()[:MinReceiptKeyLen-1]); !errors.Is(err, pay.ErrInvalidRequest) {
		t.Errorf("short key: %v, want invalid_request", err)
	}
}

// TestDecodeReceiptTruncatedOverlong cuts a receipt at every length and
// extends it by 1 to 16 bytes: all refused.
func TestDecodeReceiptTruncatedOverlong(t *testing.T) {
	b := heEncode(t, heLargest(), heLargestPairing)
	for n := range len(b) {
		r, err := DecodeReceipt(b[:n], heKey())
		if err == nil || r != (Receipt{}) {
			t.Errorf("cut to %d bytes: %+v, %v", n, r, err)
		}
		if n < 3 {
			if _, err := ReceiptPairing(b[:n]); !errors.Is(err, ErrMalformed) {
				t.Errorf("ReceiptPairing of %d bytes: %v, want ErrMalformed", n, err)
			}
		}
	}
	for extra := 1; extra <= 16; extra++ {
		long := append(bytes.Clone(b), make([]byte, extra)...)
		r, err := DecodeReceipt(long, heKey())
		if err == nil || r != (Receipt{}) {
			t.Errorf("%d bytes added: %+v, %v", extra, r, err)
		}
	}
}

func TestReceiptPairing(t *testing.T) {
	b := heEncode(t, heReceipt(), 0xBEEF)
	if p, err := ReceiptPairing(b); err != nil || p != 0xBEEF {
		t.Fatalf("ReceiptPairing = %#x, %v", p, err)
	}
	// Unverified: a forged receipt still yields its claimed number...
	forged := bytes.Clone(b)
	forged[len(forged)-1] ^= 0xFF
	if p, err := ReceiptPairing(forged); err != nil || p != 0xBEEF {
		t.Errorf("ReceiptPairing(forged) = %#x, %v", p, err)
	}
	// ...but not for another version.
	forged[0] = 0x21
	if _, err := ReceiptPairing(forged); !errors.Is(err, ErrMalformed) {
		t.Errorf("ReceiptPairing(version 2) = %v, want ErrMalformed", err)
	}
}

// TestReceiptErrorsCarryNoSecrets: no error text quotes the key, the MAC
// or the bytes received.
func TestReceiptErrorsCarryNoSecrets(t *testing.T) {
	b := heEncode(t, heReceipt(), 7)
	tag := b[len(b)-ReceiptMACLen:]
	bad := bytes.Clone(b)
	bad[4] ^= 1
	_, err1 := DecodeReceipt(bad, heKey())
	_, err2 := DecodeReceipt(heRemac([]byte{0x13, 0, 7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}), heKey())
	_, err3 := EncodeReceipt(heReceipt(), 7, heKey()[:5])
	for _, err := range []error{err1, err2, err3} {
		if err == nil {
			t.Fatal("no error")
		}
		msg := strings.ToLower(err.Error())
		for _, secret := range []string{hex.EncodeToString(heKey()[:4]), hex.EncodeToString(tag[:4]), string(heKey()[:4])} {
			if strings.Contains(msg, strings.ToLower(secret)) {
				t.Errorf("%q contains %q", msg, secret)
			}
		}
	}
}

func TestReceiptCurrencies(t *testing.T) {
	seen := map[uint16]string{}
	for code, num := range ReceiptCurrencies() {
		if _, err := pay.CurrencyExponent(code); err != nil {
			t.Errorf("%s: %v", code, err)
		}
		if num == 0 || num > 999 {
			t.Errorf("%s: numeric code %d outside 1–999", code, num)
		}
		if o, dup := seen[num]; dup {
			t.Errorf("%s and %s share numeric code %d", code, o, num)
		}
		seen[num] = code
	}
	// The codes a counter sees most, against ISO 4217.
	for code, num := range map[string]uint16{"CNY": 156, "USD": 840, "EUR": 978, "HKD": 344, "JPY": 392, "GBP": 826, "SGD": 702, "AUD": 36} {
		if got := ReceiptCurrencies()[code]; got != num {
			t.Errorf("%s = %d, want %d", code, got, num)
		}
	}
	// The map returned is a copy.
	ReceiptCurrencies()["CNY"] = 1
	if ReceiptCurrencies()["CNY"] != 156 {
		t.Error("ReceiptCurrencies returned the package's own map")
	}
}

func TestChannelCodes(t *testing.T) {
	codes := ChannelCodes()
	want := []string{"wechatpay", "alipay", "stripe", "unionpay", "sandbox", ChannelOther}
	if len(codes) != len(want) {
		t.Errorf("ChannelCodes() = %v", codes)
	}
	seen := map[uint8]bool{}
	for _, name := range want {
		c, ok := codes[name]
		if !ok || c == 0 || c >= 1<<6 || seen[c] {
			t.Errorf("%s: code %d (present %v), want a distinct code in 1–63", name, c, ok)
		}
		seen[c] = true
	}
	codes["wechatpay"] = 9
	if ChannelCodes()["wechatpay"] != 1 {
		t.Error("ChannelCodes returned the package's own map")
	}
}

func TestShortID(t *testing.T) {
	id := "pay_abcdefghijklmnopqrk3q7x2ab"
	if got := ShortID(id); got != "k3q7x2ab" {
		t.Errorf("ShortID(%q) = %q", id, got)
	}
	if got := ShortID("abc"); got != "abc" {
		t.Errorf("ShortID(abc) = %q", got)
	}
	// A fresh payment ID's short form is encodable.
	r := heReceipt()
	r.PaymentID = ShortID(pay.NewID(pay.PrefixPayment))
	if _, err := EncodeReceipt(r, 1, heKey()); err != nil {
		t.Errorf("short form of a new ID: %v", err)
	}
	// Every 40-bit value unpacks to a short ID that packs back to it.
	for _, v := range []uint64{0, 1, 1<<40 - 1, 0x123456789a} {
		b := binary.BigEndian.AppendUint64(nil, v)[3:]
		p, ok := packShortID(unpackShortID(b))
		if !ok || !bytes.Equal(p[:], b) {
			t.Errorf("%x: packs back to %x, %v", b, p, ok)
		}
	}
}

func TestPayerCodec(t *testing.T) {
	for _, p := range []string{"", "0", "9", "00", "42", "123", "0000", "9999", "1234"} {
		v, ok := packPayer(p)
		if !ok {
			t.Fatalf("packPayer(%q) refused", p)
		}
		got, ok := unpackPayer(v)
		if !ok || got != p {
			t.Errorf("%q → %#04x → %q, %v", p, v, got, ok)
		}
	}
	// Exactly 10⁰+10¹+…+10⁴ = 11,111 of the 65,536 values are payers.
	n := 0
	for v := range 1 << 16 {
		if p, ok := unpackPayer(uint16(v)); ok {
			n++
			if back, _ := packPayer(p); back != uint16(v) {
				t.Fatalf("%#04x → %q → %#04x", v, p, back)
			}
		}
	}
	if n != 11111 {
		t.Errorf("%d valid payer values, want 11111", n)
	}
}

// A channel registered under a suffixed name travels as its provider; an
// unknown provider as "other".
func TestReceiptChannelFamily(t *testing.T) {
	for in, want := range map[string]string{"sandbox-a": "sandbox", "sandbox": "sandbox", "wechatpay-hk": "wechatpay", "paypal": ChannelOther, "x-y": ChannelOther} {
		r := heReceipt()
		r.Channel = in
		got, err := DecodeReceipt(heEncode(t, r, 7), heKey())
		if err != nil || got.Channel != want {
			t.Errorf("channel %q arrived as %q (%v); want %q", in, got.Channel, err, want)
		}
	}
}
