package qr

import (
	"encoding/binary"
	"errors"
	mrand "math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/pay"
)

func TestMarshalRoundTripRandom(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(7, 7))
	for i := range 5000 {
		c := h7RandomCard(rng)
		b, err := MarshalCard(c)
		if err != nil {
			t.Fatalf("card %d: MarshalCard: %v", i, err)
		}
		got, err := UnmarshalCard(b)
		if err != nil {
			t.Fatalf("card %d: UnmarshalCard: %v", i, err)
		}
		if d := cmp.Diff(c, got); d != "" {
			t.Fatalf("card %d round trip (-want +got):\n%s", i, d)
		}
	}
}

func TestMarshalDropsSubSeconds(t *testing.T) {
	c := h7Card()
	c.NotBefore = c.NotBefore.Add(400 * time.Millisecond).In(time.FixedZone("CST", 8*3600))
	c.Expires = c.Expires.Add(900 * time.Millisecond)
	b, err := MarshalCard(c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalCard(b)
	if err != nil {
		t.Fatal(err)
	}
	want := h7Card()
	if !got.NotBefore.Equal(want.NotBefore) || !got.Expires.Equal(want.Expires) || got.NotBefore.Location() != time.UTC {
		t.Errorf("times = %v, %v; want %v, %v in UTC", got.NotBefore, got.Expires, want.NotBefore, want.Expires)
	}
}

func TestLayoutBytes(t *testing.T) {
	// The layout of h7Card, byte by byte: a change here is a new layout version.
	c := h7Card()
	c.KeyID = 1
	b, err := MarshalCard(c)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{1, 0, 1, 2, 3, 4, 5, 6, 7, 15<<3 | 3, 1}
	want = append(want, "Li Xiaoming 0042"...)
	want = binary.BigEndian.AppendUint64(want, 6250941006528599966)
	want = append(want, byte(('C'-'A')<<2|('N'-'A')>>3), byte(('N'-'A')<<5&0xFF|('Y'-'A')))
	want = binary.AppendUvarint(want, 9_999_999)
	want = append(want, 51)
	want = binary.AppendUvarint(want, uint64(c.NotBefore.Unix()))
	want = binary.AppendUvarint(want, 365*24*3600)
	want = binary.AppendUvarint(want, 10_000)
	if d := cmp.Diff(want, b); d != "" {
		t.Fatalf("layout (-want +got):\n%s", d)
	}
	if len(b) != 53 {
		t.Errorf("layout is %d bytes, want 53", len(b))
	}
}

// h7Layout returns the unsigned layout of c.
func h7Layout(t *testing.T, c Card) []byte {
	t.Helper()
	b, err := MarshalCard(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestUnmarshalStrict(t *testing.T) {
	base := h7Layout(t, h7Card())
	const tokAt = 1 + 8 + 1 + 1 + 16 // version, id, shape, key ID, holder
	const curAt = tokAt + 8
	const balAt = curAt + 2
	const usesAt = balAt + 4
	const nbAt = usesAt + 1
	const expAt = nbAt + 5
	const seqAt = expAt + 4
	edit := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), base...)) }
	withPrev := func() Card { c := h7Card(); c.PrevHolder = "Wang"; return c }()
	prev := h7Layout(t, withPrev)
	tests := []struct {
		name  string
		b     []byte
		param string
	}{
		{"empty", nil, "version"},
		{"version 0", edit(func(b []byte) []byte { b[0] = 0; return b }), "version"},
		{"version 2", edit(func(b []byte) []byte { b[0] = 2; return b }), "version"},
		{"trailing byte", append(append([]byte(nil), base...), 0), ""},
		{"token form 5", edit(func(b []byte) []byte { b[9] = b[9]&^7 | 5; return b }), "token"},
		{"token form 7", edit(func(b []byte) []byte { b[9] |= 7; return b }), "token"},
		{"non-minimal key ID", append(append(append([]byte(nil), base[:10]...), 0x81, 0x00), base[11:]...), "key_id"},
		{"key ID over 32 bits", append(append(append([]byte(nil), base[:10]...), binary.AppendUvarint(nil, 1<<32)...), base[11:]...), "key_id"},
		{"holder not UTF-8", edit(func(b []byte) []byte { b[11] = 0xff; return b }), "holder"},
		{"holder with NUL", edit(func(b []byte) []byte { b[11] = 0; return b }), "holder"},
		{"token over 19 digits", edit(func(b []byte) []byte {
			binary.BigEndian.PutUint64(b[tokAt:], 10_000_000_000_000_000_000) // 10^19
			return b
		}), "token"},
		{"token over 16 digits", edit(func(b []byte) []byte {
			b[9] &^= 7 // token form 0: 16 digits
			binary.BigEndian.PutUint64(b[tokAt:], 10_000_000_000_000_000)
			return b
		}), "token"},
		{"token check digit", edit(func(b []byte) []byte { b[tokAt+7] ^= 1; return b }), "token"},
		{"currency letter 26", edit(func(b []byte) []byte { b[curAt+1] = b[curAt+1]&^31 | 26; return b }), "balance.currency"},
		{"unknown currency XYZ", edit(func(b []byte) []byte {
			binary.BigEndian.PutUint16(b[curAt:], uint16('X'-'A')<<10|uint16('Y'-'A')<<5|uint16('Z'-'A'))
			return b
		}), "balance.currency"},
		{"non-minimal balance", append(append(append([]byte(nil), base[:balAt]...), 0xff, 0xad, 0xe2, 0x84, 0x00), base[balAt+4:]...), "balance.amount"},
		{"balance over int64", append(append(append([]byte(nil), base[:balAt]...), binary.AppendUvarint(nil, 1<<63)...), base[balAt+4:]...), "balance.amount"},
		{"varint overflows 64 bits", append(append([]byte(nil), base[:balAt]...), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), "balance.amount"},
		{"uses over max", append(append(append([]byte(nil), base[:usesAt]...), binary.AppendUvarint(nil, MaxUses+2)...), base[usesAt+1:]...), "uses"},
		{"zero validity", append(append(append([]byte(nil), base[:expAt]...), 0), base[expAt+4:]...), "expires"},
		{"not-before after 9999", append(append(append([]byte(nil), base[:nbAt]...), binary.AppendUvarint(nil, maxUnix+1)...), base[nbAt+5:]...), "not_before"},
		{"expiry after 9999", append(append(append([]byte(nil), base[:expAt]...), binary.AppendUvarint(nil, maxUnix)...), base[expAt+4:]...), "expires"},
		{"seq missing", base[:seqAt], "seq"},
		{"prev flag without holder", edit(func(b []byte) []byte { b[curAt] |= 0x80; return b }), "prev_holder"},
		{"prev holder length 0", append(edit(func(b []byte) []byte { b[curAt] |= 0x80; return b }), 0), "prev_holder"},
		{"prev holder length 33", append(append(edit(func(b []byte) []byte { b[curAt] |= 0x80; return b }), 33), strings.Repeat("a", 33)...), "prev_holder"},
		{"prev holder truncated", prev[:len(prev)-1], "prev_holder"},
		{"prev holder not UTF-8", func() []byte { b := append([]byte(nil), prev...); b[len(b)-1] = 0xff; return b }(), "prev_holder"},
		{"prev holder trailing", append(append([]byte(nil), prev...), 'x'), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := UnmarshalCard(tt.b)
			var pe *pay.Error
			if !errors.Is(err, ErrCardMalformed) || !errors.As(err, &pe) {
				t.Fatalf("UnmarshalCard = %+v, %v; want ErrCardMalformed", c, err)
			}
			if pe.Param != tt.param {
				t.Errorf("Param = %q, want %q (%v)", pe.Param, tt.param, err)
			}
			if c != (Card{}) {
				t.Errorf("UnmarshalCard returned %+v with its error", c)
			}
		})
	}
	// The base and the previous-holder layouts themselves are fine.
	for _, b := range [][]byte{base, prev} {
		if _, err := UnmarshalCard(b); err != nil {
			t.Fatalf("UnmarshalCard(valid) = %v", err)
		}
	}
}

func TestUnmarshalTruncatedEveryLength(t *testing.T) {
	c := h7Card()
	c.PrevHolder = "Wang Fang"
	c.Token = h7OpaqueToken(mrand.New(mrand.NewPCG(1, 2)))
	b := h7Layout(t, c)
	for n := range len(b) {
		if _, err := UnmarshalCard(b[:n]); !errors.Is(err, ErrCardMalformed) {
			t.Fatalf("UnmarshalCard(first %d of %d bytes) = %v, want ErrCardMalformed", n, len(b), err)
		}
	}
}
