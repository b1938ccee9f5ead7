package ble

import (
	"encoding/binary"

	"github.com/paykit-go/paykit/pay"
)

// Commands: the first byte of a message's initial fragment. Their high bit
// is set and a continuation's sequence number (0x00–0x7F) has it clear, so
// the first byte of any chunk tells the two apart, as in FIDO's BLE framing.
const (
	// CmdReceipt carries an encoded receipt, handheld to host.
	CmdReceipt byte = 0x81
	// CmdAck acknowledges a receipt by its counter, host to handheld.
	CmdAck byte = 0x82
	// CmdPairRequest carries the handheld's half of a pairing.
	CmdPairRequest byte = 0x83
	// CmdPairResponse carries the host's answer to a pairing request.
	CmdPairResponse byte = 0x84
	// CmdError reports a failure to the peer.
	CmdError byte = 0xBF
)

// knownCommand reports whether cmd is one of the commands above; anything
// else in an initial fragment is garbage.
func knownCommand(cmd byte) bool {
	switch cmd {
	case CmdReceipt, CmdAck, CmdPairRequest, CmdPairResponse, CmdError:
		return true
	}
	return false
}

// The framing: a message travels as fragments of at most MTU-3 bytes (one
// ATT write or notification payload each).
//
//	initial       cmd (1 byte, high bit set) | length (2 bytes, big-endian) | data
//	continuation  seq (1 byte, 0x00–0x7F, counting from 0) | data
//
// Every fragment but the last is full. A message can be at most
// MaxMessageLen bytes and fill at most 128 continuations.
const (
	// MaxMessageLen is the longest message the 2-byte length can declare.
	MaxMessageLen = 0xFFFF
	// DefaultMaxMessage is the Reassembler's limit when it is given none.
	DefaultMaxMessage = 512

	attHeaderLen     = 3 // ATT opcode and handle: a payload is MTU-3 bytes
	initHeaderLen    = 3
	contHeaderLen    = 1
	maxContinuations = 0x80
)

// FragmentCount returns how many fragments Fragment makes of an n-byte
// message at the given MTU (packets on the air), or 0 when it can't.
func FragmentCount(n, mtu int) int {
	if mtu < DefaultMTU || n < 0 || n > MaxMessageLen {
		return 0
	}
	first := mtu - attHeaderLen - initHeaderLen
	if n <= first {
		return 1
	}
	cont := mtu - attHeaderLen - contHeaderLen
	k := (n - first + cont - 1) / cont
	if k > maxContinuations {
		return 0
	}
	return 1 + k
}

// Fragment splits msg into the fragments of one cmd message for a link of
// the given ATT MTU: each at most mtu-3 bytes, to be sent in order. An
// empty msg is one 3-byte fragment. cmd must be one of the Cmd constants
// and mtu at least DefaultMTU (pay.ErrInvalidRequest otherwise); a message
// longer than MaxMessageLen, or than 128 continuations carry at this MTU
// (2,449 bytes at 23), is ErrTooLarge. The fragments don't alias msg.
func Fragment(cmd byte, msg []byte, mtu int) ([][]byte, error) {
	if !knownCommand(cmd) {
		return nil, pay.Errorf(pay.ErrInvalidRequest, "cmd", "unknown command 0x%02x", cmd)
	}
	if mtu < DefaultMTU {
		return nil, pay.Errorf(pay.ErrInvalidRequest, "mtu", "the MTU %d is below BLE's minimum of %d", mtu, DefaultMTU)
	}
	count := FragmentCount(len(msg), mtu)
	if count == 0 {
		return nil, pay.Errorf(ErrTooLarge, "msg", "a %d-byte message does not fit the framing at MTU %d", len(msg), mtu)
	}
	payload := mtu - attHeaderLen
	out := make([][]byte, 0, count)
	n := min(len(msg), payload-initHeaderLen)
	first := make([]byte, initHeaderLen, initHeaderLen+n)
	first[0] = cmd
	binary.BigEndian.PutUint16(first[1:], uint16(len(msg)))
	out = append(out, append(first, msg[:n]...))
	rest := msg[n:]
	for seq := 0; len(rest) > 0; seq++ {
		n = min(len(rest), payload-contHeaderLen)
		c := make([]byte, 0, contHeaderLen+n)
		c = append(c, byte(seq))
		out = append(out, append(c, rest[:n]...))
		rest = rest[n:]
	}
	return out, nil
}

// Reassembler rebuilds messages from the chunks of one direction of a link,
// in the order they arrive. A chunk that breaks the framing is refused and
// resets it, so the next initial fragment starts cleanly and one bad chunk
// costs at most the message it belonged to. It doesn't know the sender's
// MTU, so it takes fragments shorter than Fragment would make. It is not
// safe for concurrent use; the zero value is not usable (NewReassembler).
type Reassembler struct {
	max     int
	busy    bool   // a message is in progress
	cmd     byte   // its command
	want    int    // its declared length
	buf     []byte // the data received so far
	nextSeq int    // the sequence number expected next
}

// NewReassembler returns a Reassembler that accepts messages of up to max
// bytes; max <= 0 selects DefaultMaxMessage, and max above MaxMessageLen
// means MaxMessageLen.
func NewReassembler(max int) *Reassembler {
	if max <= 0 {
		max = DefaultMaxMessage
	}
	return &Reassembler{max: min(max, MaxMessageLen)}
}

// Add takes the next chunk received. When the chunk completes a message,
// done is true and cmd and msg are the message (msg is the caller's; the
// Reassembler keeps no reference to it, nor to chunk).
//
// Add refuses, with an error and done false, resetting the Reassembler
// (the message in progress is dropped):
//   - an empty chunk, or an initial fragment shorter than its 3-byte header
//     (ErrFrame);
//   - an initial fragment with an unknown command (ErrFrame);
//   - an initial fragment declaring more than max bytes (ErrTooLarge);
//   - a continuation when no message is in progress, a continuation
//     carrying no data, or one whose sequence number is not the one
//     expected (ErrFrame);
//   - data past the declared length, in any fragment (ErrFrame).
//
// The one exception: a valid initial fragment while a message is in
// progress abandons that message and starts the new one from this chunk.
// Add then returns an error matching both ErrFrame and ErrAbandoned to
// report the loss, yet the chunk is accepted; if it holds the whole new
// message, done is true and cmd and msg are valid alongside the error. So
// callers check done first: done is true only for a complete message, and
// every such message is sound. (An initial fragment that is itself invalid
// while a message is in progress is refused as above; both are dropped.)
func (r *Reassembler) Add(chunk []byte) (cmd byte, msg []byte, done bool, err error) {
	if len(chunk) == 0 {
		r.Reset()
		return 0, nil, false, pay.Errorf(ErrFrame, "chunk", "empty chunk")
	}
	if chunk[0]&0x80 != 0 {
		return r.initial(chunk)
	}
	return r.continuation(chunk)
}

// initial starts a message from an initial fragment.
func (r *Reassembler) initial(chunk []byte) (byte, []byte, bool, error) {
	abandoned := r.busy
	r.Reset()
	if len(chunk) < initHeaderLen {
		return 0, nil, false, pay.Errorf(ErrFrame, "chunk", "an initial fragment of %d bytes is shorter than its header", len(chunk))
	}
	cmd := chunk[0]
	if !knownCommand(cmd) {
		return 0, nil, false, pay.Errorf(ErrFrame, "cmd", "unknown command 0x%02x", cmd)
	}
	want := int(binary.BigEndian.Uint16(chunk[1:3]))
	if want > r.max {
		return 0, nil, false, pay.Errorf(ErrTooLarge, "length", "a %d-byte message is over the limit of %d", want, r.max)
	}
	data := chunk[initHeaderLen:]
	if len(data) > want {
		return 0, nil, false, pay.Errorf(ErrFrame, "length", "the initial fragment carries %d bytes of a %d-byte message", len(data), want)
	}
	var err error
	if abandoned {
		err = pay.Errorf(ErrFrame, "chunk", "a new message began before the previous one was complete").Wrap(ErrAbandoned)
	}
	if len(data) == want {
		return cmd, append(make([]byte, 0, want), data...), true, err
	}
	r.busy, r.cmd, r.want = true, cmd, want
	r.buf = append(make([]byte, 0, want), data...)
	return 0, nil, false, err
}

// continuation adds a continuation fragment to the message in progress.
func (r *Reassembler) continuation(chunk []byte) (byte, []byte, bool, error) {
	if !r.busy {
		return 0, nil, false, pay.Errorf(ErrFrame, "seq", "a continuation without an initial fragment")
	}
	seq, data := int(chunk[0]), chunk[contHeaderLen:]
	if seq != r.nextSeq {
		want := r.nextSeq
		r.Reset()
		return 0, nil, false, pay.Errorf(ErrFrame, "seq", "sequence number %d where %d was expected", seq, want)
	}
	if len(data) == 0 {
		r.Reset()
		return 0, nil, false, pay.Errorf(ErrFrame, "chunk", "a continuation without data")
	}
	if len(data) > r.want-len(r.buf) {
		r.Reset()
		return 0, nil, false, pay.Errorf(ErrFrame, "length", "data past the declared length")
	}
	r.buf = append(r.buf, data...)
	r.nextSeq++
	if len(r.buf) < r.want {
		return 0, nil, false, nil
	}
	cmd, msg := r.cmd, r.buf
	r.buf = nil
	r.Reset()
	return cmd, msg, true, nil
}

// Reset drops the message in progress, if any. A link that goes idle in
// the middle of a message (the sender gave up or went away) calls it
// before the next one.
func (r *Reassembler) Reset() {
	r.busy, r.cmd, r.want, r.buf, r.nextSeq = false, 0, 0, nil, 0
}

// Pending reports whether a message is in progress.
func (r *Reassembler) Pending() bool { return r.busy }
