package qr

import (
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"time"
	"unicode/utf8"

	"github.com/paykit-go/paykit/pay"
)

// Record is one offline deduction, signed by the terminal that made it: the
// terminal, the card, the sequence number the deduction consumed, the amount
// taken from the card's balance (zero for a use), the uses taken (0 or 1)
// and when. Records travel to the issuer in a Batch.
//
// Binary form (RecordVersion 1), the bytes the signature covers after the
// label "paykit/qr/record/v1" and a zero byte:
//
//	version(1) | uvarint len, terminal ID | uvarint len, card ID | uvarint seq |
//	currency (3 ASCII letters) | uvarint amount | uvarint uses | uvarint unix seconds
//
// followed by the 64-byte Ed25519 signature. Varints are minimal, so every
// record has exactly one encoding.
type Record struct {
	TerminalID string    `json:"terminal_id"`
	CardID     string    `json:"card_id"`
	Seq        uint64    `json:"seq"`
	Amount     pay.Money `json:"amount"`
	Uses       int       `json:"uses"`
	Time       time.Time `json:"time"`
	// Signature is the terminal's Ed25519 signature; empty for the
	// unsigned records that describe online deductions.
	Signature []byte `json:"signature,omitempty"`
}

// RecordVersion is the version byte of the record and batch layouts.
const RecordVersion = 1

const (
	recordLabel   = "paykit/qr/record/v1\x00"
	batchLabel    = "paykit/qr/batch/v1\x00"
	maxIDBytes    = 64
	maxRecordUnix = 253402300799 // 9999-12-31T23:59:59Z
	// MaxBatchRecords is the most records one Batch may carry.
	MaxBatchRecords = 10_000
)

// malformed returns ErrRecordMalformed with a reason.
func malformed(param, why string) error {
	return pay.Errorf(ErrRecordMalformed, param, "%s", why)
}

// body returns the record's layout bytes (without the signature).
func (r Record) body() ([]byte, error) {
	if err := checkID("terminal_id", r.TerminalID); err != nil {
		return nil, err
	}
	if err := checkID("card_id", r.CardID); err != nil {
		return nil, err
	}
	cur := r.Amount.Currency
	if len(cur) != 3 || !upper(cur) {
		return nil, malformed("amount.currency", "currency must be three upper-case letters")
	}
	if r.Amount.Amount < 0 {
		return nil, malformed("amount.amount", "amount must not be negative")
	}
	if r.Uses < 0 || r.Uses > 1 {
		return nil, malformed("uses", "uses must be 0 or 1")
	}
	if r.Time.Unix() < 0 || r.Time.Unix() > maxRecordUnix || r.Time.Nanosecond() != 0 {
		return nil, malformed("time", "time must be whole seconds after 1970")
	}
	b := make([]byte, 0, 48+len(r.TerminalID)+len(r.CardID))
	b = append(b, RecordVersion)
	b = appendString(b, r.TerminalID)
	b = appendString(b, r.CardID)
	b = binary.AppendUvarint(b, r.Seq)
	b = append(b, cur...)
	b = binary.AppendUvarint(b, uint64(r.Amount.Amount))
	b = binary.AppendUvarint(b, uint64(r.Uses))
	b = binary.AppendUvarint(b, uint64(r.Time.Unix()))
	return b, nil
}

// MarshalBinary returns the signed record: its layout then its 64-byte
// signature.
func (r Record) MarshalBinary() ([]byte, error) {
	b, err := r.body()
	if err != nil {
		return nil, err
	}
	if len(r.Signature) != ed25519.SignatureSize {
		return nil, malformed("signature", "the record is not signed")
	}
	return append(b, r.Signature...), nil
}

// UnmarshalRecord decodes a signed record strictly (one encoding per
// record: minimal varints, no trailing bytes). It does not verify the
// signature: Issuer.Settle does, with the terminal's key.
func UnmarshalRecord(b []byte) (Record, error) {
	d := decoder{b: b}
	r, err := d.record()
	if err != nil {
		return Record{}, err
	}
	if len(d.b) != 0 {
		return Record{}, malformed("", "trailing bytes after the record")
	}
	return r, nil
}

// sign signs r with s.
func (r *Record) sign(ctx context.Context, s Signer) error {
	b, err := r.body()
	if err != nil {
		return err
	}
	sig, err := s.Sign(ctx, append([]byte(recordLabel), b...))
	if err != nil {
		return err
	}
	r.Signature = sig
	return nil
}

// Verify checks the record's signature under pub.
func (r Record) Verify(pub ed25519.PublicKey) bool {
	b, err := r.body()
	if err != nil || len(r.Signature) != ed25519.SignatureSize || len(pub) != ed25519.PublicKeySize {
		return false
	}
	return ed25519.Verify(pub, append([]byte(recordLabel), b...), r.Signature)
}

// same reports whether r and o describe the same deduction, signature aside.
func (r Record) same(o Record) bool {
	return r.TerminalID == o.TerminalID && r.CardID == o.CardID && r.Seq == o.Seq &&
		r.Amount == o.Amount && r.Uses == o.Uses && r.Time.Equal(o.Time)
}

func checkID(param, s string) error {
	if s == "" || len(s) > maxIDBytes || !utf8.ValidString(s) {
		return malformed(param, param+" must be 1 to 64 bytes of UTF-8")
	}
	return nil
}

func upper(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decoder reads the record and batch layouts strictly.
type decoder struct{ b []byte }

func (d *decoder) uvarint(param string) (uint64, error) {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		return 0, malformed(param, "truncated or overlong varint")
	}
	if n != len(binary.AppendUvarint(nil, v)) {
		return 0, malformed(param, "non-minimal varint")
	}
	d.b = d.b[n:]
	return v, nil
}

func (d *decoder) bytes(param string, n uint64) ([]byte, error) {
	if n > uint64(len(d.b)) {
		return nil, malformed(param, "truncated")
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out, nil
}

func (d *decoder) str(param string) (string, error) {
	n, err := d.uvarint(param)
	if err != nil {
		return "", err
	}
	if n == 0 || n > maxIDBytes {
		return "", malformed(param, param+" must be 1 to 64 bytes")
	}
	b, err := d.bytes(param, n)
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		return "", malformed(param, param+" is not UTF-8")
	}
	return string(b), nil
}

func (d *decoder) version() error {
	if len(d.b) == 0 {
		return malformed("", "empty")
	}
	if d.b[0] != RecordVersion {
		return malformed("", "unknown layout version")
	}
	d.b = d.b[1:]
	return nil
}

// record reads one signed record.
func (d *decoder) record() (Record, error) {
	var r Record
	if err := d.version(); err != nil {
		return Record{}, err
	}
	var err error
	if r.TerminalID, err = d.str("terminal_id"); err != nil {
		return Record{}, err
	}
	if r.CardID, err = d.str("card_id"); err != nil {
		return Record{}, err
	}
	if r.Seq, err = d.uvarint("seq"); err != nil {
		return Record{}, err
	}
	cur, err := d.bytes("amount.currency", 3)
	if err != nil {
		return Record{}, err
	}
	if !upper(string(cur)) {
		return Record{}, malformed("amount.currency", "currency must be three upper-case letters")
	}
	amt, err := d.uvarint("amount.amount")
	if err != nil {
		return Record{}, err
	}
	if amt > 1<<63-1 {
		return Record{}, malformed("amount.amount", "amount overflows")
	}
	r.Amount = pay.Money{Amount: int64(amt), Currency: string(cur)}
	uses, err := d.uvarint("uses")
	if err != nil {
		return Record{}, err
	}
	if uses > 1 {
		return Record{}, malformed("uses", "uses must be 0 or 1")
	}
	r.Uses = int(uses)
	ts, err := d.uvarint("time")
	if err != nil {
		return Record{}, err
	}
	if ts > maxRecordUnix {
		return Record{}, malformed("time", "time out of range")
	}
	r.Time = time.Unix(int64(ts), 0).UTC()
	sig, err := d.bytes("signature", ed25519.SignatureSize)
	if err != nil {
		return Record{}, err
	}
	r.Signature = append([]byte(nil), sig...)
	return r, nil
}
