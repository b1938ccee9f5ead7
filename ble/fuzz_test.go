package ble

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzDecodeReceipt feeds DecodeReceipt arbitrary bytes. With mac false
// the bytes go in as they are, as an attacker without the key sends them;
// with mac true a valid MAC under the key is appended first, so the fuzzer
// reaches the parser behind the MAC. It must never panic; a refusal is
// ErrMalformed or ErrMAC with a zero Receipt; anything accepted re-encodes
// to the very same bytes under the pairing number ReceiptPairing reads.
func FuzzDecodeReceipt(f *testing.F) {
	for _, c := range heFlipReceipts() {
		b := heEncode(f, c.r, c.pairing)
		f.Add(b, false)
		f.Add(b[:len(b)-ReceiptMACLen], true)
		f.Add(b[:len(b)-1], false)
		f.Add(append(bytes.Clone(b), 0), false)
	}
	r := heReceipt()
	r.Counter, r.Amount.Amount = 1<<63, 1<<62
	b := heEncode(f, r, 9)
	f.Add(b[:len(b)-ReceiptMACLen], true)
	f.Add([]byte{}, false)
	f.Add([]byte{0x11, 0, 1, 0x80, 0x00}, true)
	f.Fuzz(func(t *testing.T, data []byte, mac bool) {
		if mac {
			data = heRemac(data)
		}
		got, err := DecodeReceipt(data, heKey())
		if err != nil {
			if got != (Receipt{}) {
				t.Fatalf("error %v with a receipt %+v", err, got)
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrMAC) {
				t.Fatalf("error %v is neither ErrMalformed nor ErrMAC", err)
			}
			if !mac && errors.Is(err, ErrMalformed) {
				// Without a MAC only what precedes the MAC check can be malformed.
				if _, perr := ReceiptPairing(data); perr == nil {
					t.Fatalf("ErrMalformed (%v) for bytes whose frame checks", err)
				}
			}
			return
		}
		pairing, err := ReceiptPairing(data)
		if err != nil {
			t.Fatalf("decoded, but ReceiptPairing: %v", err)
		}
		again, err := EncodeReceipt(got, pairing, heKey())
		if err != nil {
			t.Fatalf("decoded %+v does not re-encode: %v", got, err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("re-encoding differs:\n got %x\nwant %x", again, data)
		}
	})
}

// FuzzReassembler feeds a Reassembler chunks cut from the input: each
// chunk is a length byte and that many bytes. It must never panic. Every
// error leaves it idle, except ErrAbandoned, which always matches ErrFrame
// too. Every message it completes is checked against the chunks
// themselves: a known command, the declared length, at most max bytes, and
// exactly the data of the last initial fragment and its continuations,
// numbered from 0. And it refragments and reassembles to the same.
func FuzzReassembler(f *testing.F) {
	seed := func(chunks ...[]byte) []byte {
		var b []byte
		for _, c := range chunks {
			b = append(b, byte(len(c)))
			b = append(b, c...)
		}
		return b
	}
	rcpt := heEncode(f, heLargest(), heLargestPairing)
	for _, mtu := range []int{23, 64} {
		frames, _ := Fragment(CmdReceipt, rcpt, mtu)
		f.Add(seed(frames...))
	}
	frames, _ := Fragment(CmdPairRequest, heMsg(100), 23)
	f.Add(seed(frames...))
	f.Add(seed(frames[0], frames[2], frames[1]))
	f.Add(seed(frames[0], frames[0], frames[1]))
	f.Add(seed(frames[1]))
	f.Add(seed([]byte{}, []byte{CmdAck, 0, 0}, []byte{0x80, 0, 1, 1}))
	f.Add(seed([]byte{CmdReceipt, 0, 3, 1}, []byte{0, 2}, []byte{1, 3}))
	f.Add([]byte{3, 0x81, 0xFF, 0xFF})
	const max = 200
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReassembler(max)
		var since [][]byte // the chunks since the last initial fragment
		for len(data) > 0 {
			n := min(int(data[0]), len(data)-1)
			chunk := data[1 : 1+n]
			data = data[1+n:]
			if len(chunk) > 0 && chunk[0]&0x80 != 0 {
				since = [][]byte{chunk}
			} else if since != nil {
				since = append(since, chunk)
			}
			cmd, msg, done, err := r.Add(chunk)
			if err != nil && !errors.Is(err, ErrFrame) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error %v is neither ErrFrame nor ErrTooLarge", err)
			}
			if err != nil && !errors.Is(err, ErrAbandoned) && (done || r.Pending()) {
				t.Fatalf("error %v, yet done %v pending %v", err, done, r.Pending())
			}
			if errors.Is(err, ErrAbandoned) && !errors.Is(err, ErrFrame) {
				t.Fatal("ErrAbandoned without ErrFrame")
			}
			if !done {
				if cmd != 0 || msg != nil {
					t.Fatalf("not done, yet %#x %x", cmd, msg)
				}
				continue
			}
			heCheckMessage(t, cmd, msg, since, max)
			since = nil
		}
	})
}

// heCheckMessage checks a completed message against the chunks that made
// it and round-trips it through Fragment.
func heCheckMessage(t *testing.T, cmd byte, msg []byte, chunks [][]byte, max int) {
	t.Helper()
	if !knownCommand(cmd) || len(msg) > max || msg == nil {
		t.Fatalf("completed %#x with %d bytes (max %d, nil %v)", cmd, len(msg), max, msg == nil)
	}
	if len(chunks) == 0 || chunks[0][0] != cmd || int(chunks[0][1])<<8|int(chunks[0][2]) != len(msg) {
		t.Fatalf("message %#x/%d does not match its initial fragment %x", cmd, len(msg), chunks)
	}
	want := bytes.Clone(chunks[0][3:])
	for i, c := range chunks[1:] {
		if int(c[0]) != i {
			t.Fatalf("continuation %d had sequence %d", i, c[0])
		}
		want = append(want, c[1:]...)
	}
	if !bytes.Equal(msg, want) {
		t.Fatalf("message %x is not its fragments' data %x", msg, want)
	}
	frames, err := Fragment(cmd, msg, DefaultMTU)
	if err != nil {
		t.Fatalf("Fragment of an accepted message: %v", err)
	}
	c2, m2 := heReassemble(t, NewReassembler(max), frames)
	if c2 != cmd || !bytes.Equal(m2, msg) {
		t.Fatal("refragmented message differs")
	}
}
