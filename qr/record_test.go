package qr

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"
)

func h8Record(t testing.TB, s Signer) Record {
	t.Helper()
	r := Record{TerminalID: "pos-1", CardID: "svc_aaaaaaaaaaaaa", Seq: 300, Amount: h8CNY(12_34), Time: h8Start}
	if err := r.sign(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRecordBinaryRoundTripAndStrictness(t *testing.T) {
	s, _ := GenerateSigner(7)
	r := h8Record(t, s)
	b, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	// 1 version + 6 terminal + 18 card + 2 seq + 3 currency + 2 amount + 1 uses + 5 time + 64 signature.
	if len(b) != 102 {
		t.Fatalf("record is %d bytes, want 102", len(b))
	}
	got, err := UnmarshalRecord(b)
	if err != nil || !got.same(r) || !bytes.Equal(got.Signature, r.Signature) || !got.Verify(s.Public()) {
		t.Fatalf("round trip %+v, %v", got, err)
	}
	for n := range len(b) {
		if _, err := UnmarshalRecord(b[:n]); !errorsIs(err, ErrRecordMalformed) {
			t.Fatalf("truncated at %d: %v", n, err)
		}
	}
	if _, err := UnmarshalRecord(append(b, 0)); !errorsIs(err, ErrRecordMalformed) {
		t.Fatal("trailing byte accepted")
	}
	bad := append([]byte(nil), b...)
	bad[0] = 2
	if _, err := UnmarshalRecord(bad); !errorsIs(err, ErrRecordMalformed) {
		t.Fatal("unknown version accepted")
	}
	// A non-minimal varint for the terminal ID length (0x86 0x00 = 6).
	nonMin := append([]byte{1, 0x86, 0x00}, b[2:]...)
	if _, err := UnmarshalRecord(nonMin); !errorsIs(err, ErrRecordMalformed) {
		t.Fatal("non-minimal varint accepted")
	}
	// Every single-bit flip either fails to decode or fails to verify.
	for i := range len(b) * 8 {
		f := append([]byte(nil), b...)
		f[i/8] ^= 1 << (i % 8)
		if g, err := UnmarshalRecord(f); err == nil && g.Verify(s.Public()) {
			t.Fatalf("bit %d flipped still verifies", i)
		}
	}
	// JSON carries the same record.
	j, _ := json.Marshal(r)
	var back Record
	if err := json.Unmarshal(j, &back); err != nil || !back.Verify(s.Public()) {
		t.Fatalf("JSON round trip: %v", err)
	}
}

func TestBatchBinaryRoundTrip(t *testing.T) {
	s, _ := GenerateSigner(7)
	b := Batch{TerminalID: "pos-1", Number: 3, Records: []Record{h8Record(t, s), h8Record(t, s)}}
	b.Records[1].Seq = 301
	_ = b.Records[1].sign(context.Background(), s)
	if err := b.sign(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	raw, err := b.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalBatch(raw)
	if err != nil || !got.Verify(s.Public()) || len(got.Records) != 2 || got.Records[1].Seq != 301 {
		t.Fatalf("round trip %+v, %v", got, err)
	}
	for n := range len(raw) {
		if _, err := UnmarshalBatch(raw[:n]); err == nil {
			t.Fatalf("truncated at %d accepted", n)
		}
	}
}

func FuzzUnmarshalRecord(f *testing.F) {
	s, _ := GenerateSigner(7)
	r := h8Record(f, s)
	b, _ := r.MarshalBinary()
	f.Add(b)
	use := r
	use.Amount.Amount, use.Uses, use.Time = 0, 1, time.Unix(0, 0).UTC()
	_ = use.sign(context.Background(), s)
	ub, _ := use.MarshalBinary()
	f.Add(ub)
	f.Add([]byte{})
	f.Add([]byte{1, 0x80})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := UnmarshalRecord(data)
		if err != nil {
			return
		}
		again, err := r.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded record does not marshal: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("two encodings of one record:\n%x\n%x", data, again)
		}
	})
}

func FuzzUnmarshalBatch(f *testing.F) {
	s, _ := GenerateSigner(7)
	b := Batch{TerminalID: "pos-1", Number: 1, Records: []Record{h8Record(f, s)}}
	_ = b.sign(context.Background(), s)
	raw, _ := b.MarshalBinary()
	f.Add(raw)
	empty := Batch{TerminalID: "t", Number: 0}
	_ = empty.sign(context.Background(), s)
	eraw, _ := empty.MarshalBinary()
	f.Add(eraw)
	f.Add([]byte{1, 1, 't', 0, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := UnmarshalBatch(data)
		if err != nil {
			return
		}
		again, err := b.MarshalBinary()
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("batch does not re-encode to the same bytes: %v", err)
		}
	})
}
