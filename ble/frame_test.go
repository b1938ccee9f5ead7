package ble

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/paykit-go/paykit/pay"
)

// heMsg is n bytes of a recognisable pattern.
func heMsg(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + 3)
	}
	return b
}

// heFragment fragments msg or fails the test.
func heFragment(t testing.TB, cmd byte, msg []byte, mtu int) [][]byte {
	t.Helper()
	frames, err := Fragment(cmd, msg, mtu)
	if err != nil {
		t.Fatalf("Fragment(%#x, %d bytes, %d): %v", cmd, len(msg), mtu, err)
	}
	return frames
}

// heReassemble feeds frames into r and returns the one message they make;
// it fails the test on any error or if they make none or several.
func heReassemble(t testing.TB, r *Reassembler, frames [][]byte) (byte, []byte) {
	t.Helper()
	var (
		cmd  byte
		msg  []byte
		seen int
	)
	for i, f := range frames {
		c, m, done, err := r.Add(f)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if done {
			cmd, msg = c, m
			seen++
			if i != len(frames)-1 {
				t.Fatalf("message complete at frame %d of %d", i, len(frames))
			}
		}
	}
	if seen != 1 {
		t.Fatalf("%d messages from %d frames", seen, len(frames))
	}
	return cmd, msg
}

func TestFragmentLayout(t *testing.T) {
	tests := []struct {
		n, mtu int
		sizes  []int // fragment lengths on the air
	}{
		{0, 23, []int{3}},
		{1, 23, []int{4}},
		{17, 23, []int{20}},
		{18, 23, []int{20, 2}},
		{36, 23, []int{20, 20}},
		{37, 23, []int{20, 20, 2}},
		{36, 42, []int{39}},
		{36, 64, []int{39}},
		{58, 64, []int{61}},
		{59, 64, []int{61, 2}},
		{200, 185, []int{182, 22}},
		{17 + 128*19, 23, append([]int{20}, heRepeat(20, 128)...)},
		{65535, 517, append(append([]int{514}, heRepeat(514, 126)...), 65535-511-126*513+1)},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d bytes at %d", tt.n, tt.mtu), func(t *testing.T) {
			msg := heMsg(tt.n)
			frames := heFragment(t, CmdReceipt, msg, tt.mtu)
			if len(frames) != len(tt.sizes) || FragmentCount(tt.n, tt.mtu) != len(tt.sizes) {
				t.Fatalf("%d frames (FragmentCount %d), want %d", len(frames), FragmentCount(tt.n, tt.mtu), len(tt.sizes))
			}
			var data []byte
			for i, f := range frames {
				if len(f) != tt.sizes[i] || len(f) > tt.mtu-3 {
					t.Errorf("frame %d is %d bytes, want %d (≤ %d)", i, len(f), tt.sizes[i], tt.mtu-3)
				}
				if i == 0 {
					if f[0] != CmdReceipt || int(f[1])<<8|int(f[2]) != tt.n {
						t.Errorf("initial header % x, want 81 and length %d", f[:3], tt.n)
					}
					data = append(data, f[3:]...)
				} else {
					if int(f[0]) != i-1 {
						t.Errorf("frame %d has sequence %d, want %d", i, f[0], i-1)
					}
					data = append(data, f[1:]...)
				}
			}
			if !bytes.Equal(data, msg) {
				t.Error("the fragments' data is not the message")
			}
		})
	}
}

func heRepeat(v, n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func TestFragmentRoundTrip(t *testing.T) {
	cmds := []byte{CmdReceipt, CmdAck, CmdPairRequest, CmdPairResponse, CmdError}
	for _, mtu := range []int{23, 24, 42, 64, 185, 247, 517} {
		r := NewReassembler(MaxMessageLen) // one reassembler for every message: each leaves it clean
		for n := 0; n <= 600; n++ {
			cmd := cmds[n%len(cmds)]
			msg := heMsg(n)
			frames := heFragment(t, cmd, msg, mtu)
			gotCmd, got := heReassemble(t, r, frames)
			if gotCmd != cmd || !bytes.Equal(got, msg) || got == nil {
				t.Fatalf("mtu %d, %d bytes: got cmd %#x and %d bytes", mtu, n, gotCmd, len(got))
			}
			if r.Pending() {
				t.Fatalf("mtu %d, %d bytes: still pending after the message", mtu, n)
			}
		}
	}
}

func TestFragmentNoAlias(t *testing.T) {
	msg := heMsg(40)
	frames := heFragment(t, CmdReceipt, msg, 23)
	msg[0], msg[39] = 0xAA, 0xBB
	if frames[0][3] == 0xAA || frames[2][len(frames[2])-1] == 0xBB {
		t.Error("fragments alias the message")
	}
}

func TestFragmentRefuses(t *testing.T) {
	tests := []struct {
		name string
		cmd  byte
		n    int
		mtu  int
		want *pay.Error
	}{
		{"continuation-looking cmd", 0x01, 10, 23, pay.ErrInvalidRequest},
		{"unknown cmd", 0x80, 10, 23, pay.ErrInvalidRequest},
		{"unknown cmd 0xff", 0xff, 10, 23, pay.ErrInvalidRequest},
		{"MTU 22", CmdReceipt, 10, 22, pay.ErrInvalidRequest},
		{"MTU 0", CmdReceipt, 0, 0, pay.ErrInvalidRequest},
		{"129 continuations at 23", CmdReceipt, 17 + 128*19 + 1, 23, ErrTooLarge},
		{"over 65535", CmdReceipt, 65536, 1 << 20, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frames, err := Fragment(tt.cmd, heMsg(tt.n), tt.mtu)
			if frames != nil || !errors.Is(err, tt.want) {
				t.Errorf("Fragment = %d frames, %v; want %v", len(frames), err, tt.want.Code)
			}
		})
	}
	if FragmentCount(-1, 23) != 0 || FragmentCount(10, 22) != 0 || FragmentCount(17+128*19+1, 23) != 0 {
		t.Error("FragmentCount counts what Fragment refuses")
	}
}

// heStep is one chunk given to a Reassembler and what Add must answer.
type heStep struct {
	chunk []byte
	err   *pay.Error // nil: no error
	done  bool
	msg   string // when done, the message (cmd is always CmdReceipt)
}

func heCat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestReassemblerRejects(t *testing.T) {
	init := func(n int, data string) []byte { return heCat([]byte{CmdReceipt, byte(n >> 8), byte(n)}, []byte(data)) }
	cont := func(seq byte, data string) []byte { return heCat([]byte{seq}, []byte(data)) }
	tests := []struct {
		name  string
		steps []heStep
	}{
		{"empty chunk", []heStep{{chunk: []byte{}, err: ErrFrame}}},
		{"nil chunk", []heStep{{chunk: nil, err: ErrFrame}}},
		{"initial shorter than header", []heStep{{chunk: []byte{CmdReceipt, 0}, err: ErrFrame}}},
		{"lone command byte", []heStep{{chunk: []byte{CmdAck}, err: ErrFrame}}},
		{"unknown command", []heStep{{chunk: []byte{0x80, 0, 1, 'x'}, err: ErrFrame}}},
		{"unknown command 0xff", []heStep{{chunk: []byte{0xff, 0xff, 0xff, 0xff}, err: ErrFrame}}},
		{"continuation without initial", []heStep{{chunk: cont(0, "abc"), err: ErrFrame}}},
		{"declared length over max", []heStep{
			{chunk: init(65, "abc"), err: ErrTooLarge},
			{chunk: cont(0, "def"), err: ErrFrame}, // its continuation is now orphaned
		}},
		{"declared length 0xFFFF", []heStep{{chunk: init(0xFFFF, ""), err: ErrTooLarge}}},
		{"initial past declared length", []heStep{{chunk: init(2, "abc"), err: ErrFrame}}},
		{"continuation past declared length", []heStep{
			{chunk: init(5, "abc")},
			{chunk: cont(0, "def"), err: ErrFrame},
		}},
		{"sequence skips", []heStep{
			{chunk: init(9, "abc")},
			{chunk: cont(1, "def"), err: ErrFrame},
		}},
		{"sequence repeats", []heStep{
			{chunk: init(9, "abc")},
			{chunk: cont(0, "def")},
			{chunk: cont(0, "def"), err: ErrFrame},
			{chunk: cont(1, "ghi"), err: ErrFrame}, // reset: the rest is orphaned
		}},
		{"sequence starts at 1", []heStep{
			{chunk: init(6, "abc")},
			{chunk: cont(1, "def"), err: ErrFrame},
		}},
		{"continuation with no data", []heStep{
			{chunk: init(6, "abc")},
			{chunk: cont(0, ""), err: ErrFrame},
		}},
		{"continuation after a complete message", []heStep{
			{chunk: init(3, "abc"), done: true, msg: "abc"},
			{chunk: cont(0, "def"), err: ErrFrame},
		}},
		{"duplicate continuation after completion", []heStep{
			{chunk: init(6, "abc")},
			{chunk: cont(0, "def"), done: true, msg: "abcdef"},
			{chunk: cont(0, "def"), err: ErrFrame},
		}},
		{"empty message", []heStep{{chunk: init(0, ""), done: true, msg: ""}}},
		{"short but legal fragments", []heStep{
			{chunk: init(3, "")},
			{chunk: cont(0, "a")},
			{chunk: cont(1, "b")},
			{chunk: cont(2, "c"), done: true, msg: "abc"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReassembler(64)
			for i, s := range tt.steps {
				cmd, msg, done, err := r.Add(s.chunk)
				if s.err == nil && err != nil || s.err != nil && !errors.Is(err, s.err) {
					t.Fatalf("step %d: err %v, want %v", i, err, s.err)
				}
				if errors.Is(err, ErrAbandoned) {
					t.Fatalf("step %d: unexpected ErrAbandoned", i)
				}
				if done != s.done {
					t.Fatalf("step %d: done %v, want %v", i, done, s.done)
				}
				if done && (cmd != CmdReceipt || string(msg) != s.msg) {
					t.Fatalf("step %d: got %#x %q, want 0x81 %q", i, cmd, msg, s.msg)
				}
				if !done && (cmd != 0 || msg != nil) {
					t.Fatalf("step %d: not done but returned %#x %q", i, cmd, msg)
				}
				if err != nil && r.Pending() {
					t.Fatalf("step %d: still pending after an error", i)
				}
			}
			// The link keeps working: a good message arrives whole.
			want := heMsg(60)
			if _, got := heReassemble(t, r, heFragment(t, CmdReceipt, want, 23)); !bytes.Equal(got, want) {
				t.Fatal("the next good message is not whole")
			}
		})
	}
}

// TestReassemblerAbandon pins down a new initial fragment arriving while a
// message is in progress: the old message is dropped, the error reports
// it, and the new one is accepted.
func TestReassemblerAbandon(t *testing.T) {
	long := heFragment(t, CmdReceipt, heMsg(50), 23) // 3 frames
	short := heFragment(t, CmdAck, []byte{1, 2, 3}, 23)

	t.Run("new message in several fragments", func(t *testing.T) {
		r := NewReassembler(0)
		if _, _, done, err := r.Add(long[0]); done || err != nil {
			t.Fatalf("first: %v %v", done, err)
		}
		cmd, msg, done, err := r.Add(long[0]) // the sender restarted
		if !errors.Is(err, ErrFrame) || !errors.Is(err, ErrAbandoned) || done || cmd != 0 || msg != nil {
			t.Fatalf("restart: %#x %v %v %v; want not done, ErrFrame and ErrAbandoned", cmd, msg, done, err)
		}
		if !r.Pending() {
			t.Fatal("the new message was not accepted")
		}
		if _, got := heReassemble(t, r, long[1:]); !bytes.Equal(got, heMsg(50)) {
			t.Fatal("the restarted message is not whole")
		}
	})
	t.Run("new message in one fragment", func(t *testing.T) {
		r := NewReassembler(0)
		r.Add(long[0])
		r.Add(long[1])
		cmd, msg, done, err := r.Add(short[0])
		if !errors.Is(err, ErrAbandoned) || !done || cmd != CmdAck || !bytes.Equal(msg, []byte{1, 2, 3}) {
			t.Fatalf("got %#x %v %v %v; want the ack, done, with ErrAbandoned", cmd, msg, done, err)
		}
		if r.Pending() {
			t.Fatal("pending after a complete message")
		}
		// The old message's last fragment is now an orphan.
		if _, _, done, err := r.Add(long[2]); done || !errors.Is(err, ErrFrame) || errors.Is(err, ErrAbandoned) {
			t.Fatalf("orphan: %v %v", done, err)
		}
	})
	t.Run("invalid new initial", func(t *testing.T) {
		r := NewReassembler(0)
		r.Add(long[0])
		_, _, done, err := r.Add([]byte{CmdReceipt, 0xFF, 0xFF})
		if done || !errors.Is(err, ErrTooLarge) || errors.Is(err, ErrAbandoned) || r.Pending() {
			t.Fatalf("got %v %v pending %v; want ErrTooLarge and both dropped", done, err, r.Pending())
		}
	})
	t.Run("no abandon when idle", func(t *testing.T) {
		r := NewReassembler(0)
		if _, _, done, err := r.Add(short[0]); !done || err != nil {
			t.Fatalf("%v %v", done, err)
		}
		if _, _, done, err := r.Add(short[0]); !done || err != nil {
			t.Fatalf("second: %v %v", done, err)
		}
	})
}

func TestReassemblerLimits(t *testing.T) {
	for _, tt := range []struct{ max, accepts, refuses int }{
		{0, DefaultMaxMessage, DefaultMaxMessage + 1},
		{-5, DefaultMaxMessage, DefaultMaxMessage + 1},
		{36, 36, 37},
		{math.MaxInt, MaxMessageLen, -1},
	} {
		r := NewReassembler(tt.max)
		if _, got := heReassemble(t, r, heFragment(t, CmdReceipt, heMsg(tt.accepts), 517)); len(got) != tt.accepts {
			t.Errorf("max %d: %d bytes back", tt.max, len(got))
		}
		if tt.refuses < 0 {
			continue
		}
		frames := heFragment(t, CmdReceipt, heMsg(tt.refuses), 517)
		if _, _, _, err := r.Add(frames[0]); !errors.Is(err, ErrTooLarge) {
			t.Errorf("max %d, %d bytes: %v, want ErrTooLarge", tt.max, tt.refuses, err)
		}
	}
}

// TestReassemblerNoAlias: neither the chunks given nor the messages
// returned are shared with the Reassembler.
func TestReassemblerNoAlias(t *testing.T) {
	r := NewReassembler(0)
	frames := heFragment(t, CmdReceipt, heMsg(40), 23)
	buf := bytes.Clone(frames[0])
	r.Add(buf)
	buf[5] ^= 0xFF // the caller reuses its buffer
	r.Add(frames[1])
	_, msg, done, _ := r.Add(frames[2])
	if !done || !bytes.Equal(msg, heMsg(40)) {
		t.Fatal("the Reassembler kept a reference to a chunk")
	}
	_, one, _, _ := r.Add(heFragment(t, CmdAck, []byte{9}, 23)[0])
	one[0] = 7
	_, two, _, _ := r.Add(heFragment(t, CmdAck, []byte{9}, 23)[0])
	if two[0] != 9 {
		t.Fatal("messages share memory")
	}
}

// TestReceiptPacketBudget is the size goal: the largest realistic receipt,
// framing included, is 2 ATT packets at the default MTU of 23 and 1 at 64
// (and already at 42).
func TestReceiptPacketBudget(t *testing.T) {
	b := heEncode(t, heLargest(), heLargestPairing)
	if len(b) != 36 {
		t.Errorf("largest realistic receipt is %d bytes, want 36", len(b))
	}
	for _, tt := range []struct{ mtu, packets int }{{23, 2}, {41, 2}, {42, 1}, {64, 1}, {185, 1}} {
		frames := heFragment(t, CmdReceipt, b, tt.mtu)
		if len(frames) != tt.packets {
			t.Errorf("MTU %d: %d packets, want %d", tt.mtu, len(frames), tt.packets)
		}
		for i, f := range frames {
			if len(f) > tt.mtu-3 {
				t.Errorf("MTU %d: packet %d is %d bytes, over %d", tt.mtu, i, len(f), tt.mtu-3)
			}
		}
	}
	// Where the budget ends: a counter of 2³⁵ takes a sixth varint byte.
	r := heLargest()
	r.Counter = 1<<35 - 1
	if n := len(heFragment(t, CmdReceipt, heEncode(t, r, 1), 23)); n != 2 {
		t.Errorf("counter 2³⁵-1: %d packets, want 2", n)
	}
	r.Counter = 1 << 35
	if n := len(heFragment(t, CmdReceipt, heEncode(t, r, 1), 23)); n != 3 {
		t.Errorf("counter 2³⁵: %d packets, want 3", n)
	}
}

// TestFrameBitFlips flips every bit of every frame of encoded receipts at
// MTU 23 (two frames) and 64 (one): whatever the reassembler makes of the
// altered frames, no receipt decodes; and the same reassembler then takes
// the unaltered frames and the receipt decodes.
func TestFrameBitFlips(t *testing.T) {
	for _, c := range heFlipReceipts() {
		b := heEncode(t, c.r, c.pairing)
		want, err := DecodeReceipt(b, heKey())
		if err != nil {
			t.Fatal(err)
		}
		for _, mtu := range []int{23, 64} {
			frames := heFragment(t, CmdReceipt, b, mtu)
			r := NewReassembler(0)
			outcomes := map[string]int{}
			for fi := range frames {
				for bit := range len(frames[fi]) * 8 {
					flipped := make([][]byte, len(frames))
					copy(flipped, frames)
					flipped[fi] = bytes.Clone(frames[fi])
					flipped[fi][bit/8] ^= 1 << (bit % 8)
					outcomes[heFeedFlipped(t, r, flipped, fi, bit)]++
					r.Reset() // a link idle after a broken message
					_, msg := heReassemble(t, r, frames)
					if got, err := DecodeReceipt(msg, heKey()); err != nil || got != want {
						t.Fatalf("mtu %d frame %d bit %d: the next good receipt: %v", mtu, fi, bit, err)
					}
				}
			}
			total, bits := 0, 0
			for _, n := range outcomes {
				total += n
			}
			for _, f := range frames {
				bits += len(f) * 8
			}
			if total != bits {
				t.Errorf("mtu %d: %d flips tried", mtu, total)
			}
			if outcomes["frame error"] == 0 || outcomes["receipt refused"] == 0 {
				t.Errorf("mtu %d: outcomes %v; expected both frame errors and refused receipts", mtu, outcomes)
			}
			t.Logf("%d-byte receipt at MTU %d: %v", len(b), mtu, outcomes)
		}
	}
}

// heFeedFlipped feeds frames (one altered) into r and says how the receipt
// was stopped; it fails the test if a receipt decodes.
func heFeedFlipped(t *testing.T, r *Reassembler, frames [][]byte, fi, bit int) string {
	t.Helper()
	outcome := "incomplete"
	for _, f := range frames {
		cmd, msg, done, err := r.Add(f)
		if err != nil && outcome == "incomplete" {
			outcome = "frame error"
		}
		if !done {
			continue
		}
		if cmd != CmdReceipt {
			outcome = "other command"
			continue
		}
		if got, err := DecodeReceipt(msg, heKey()); err == nil || got != (Receipt{}) {
			t.Fatalf("frame %d bit %d: a receipt decoded: %+v", fi, bit, got)
		}
		outcome = "receipt refused"
	}
	return outcome
}
