package qr

import (
	"context"
	"crypto/ed25519"
	"encoding/binary"
)

// Batch is what an offline terminal uploads to settle: its pending records,
// signed together by the terminal so that the issuer knows the whole upload
// came from it. Number counts the terminal's batches.
//
// Binary form: version(1) | uvarint len, terminal ID | uvarint number |
// uvarint count | count × (uvarint len, signed record) | 64-byte
// signature, which covers the label "paykit/qr/batch/v1" and a zero byte,
// then everything before it.
type Batch struct {
	TerminalID string   `json:"terminal_id"`
	Number     uint64   `json:"number"`
	Records    []Record `json:"records"`
	Signature  []byte   `json:"signature"`
}

// body returns the batch's layout bytes (without its signature).
func (b Batch) body() ([]byte, error) {
	if err := checkID("terminal_id", b.TerminalID); err != nil {
		return nil, err
	}
	if len(b.Records) > MaxBatchRecords {
		return nil, malformed("records", "too many records in one batch")
	}
	out := []byte{RecordVersion}
	out = appendString(out, b.TerminalID)
	out = binary.AppendUvarint(out, b.Number)
	out = binary.AppendUvarint(out, uint64(len(b.Records)))
	for _, r := range b.Records {
		rb, err := r.MarshalBinary()
		if err != nil {
			return nil, err
		}
		out = binary.AppendUvarint(out, uint64(len(rb)))
		out = append(out, rb...)
	}
	return out, nil
}

// MarshalBinary returns the signed batch.
func (b Batch) MarshalBinary() ([]byte, error) {
	body, err := b.body()
	if err != nil {
		return nil, err
	}
	if len(b.Signature) != ed25519.SignatureSize {
		return nil, malformed("signature", "the batch is not signed")
	}
	return append(body, b.Signature...), nil
}

// UnmarshalBatch decodes a signed batch strictly. It verifies nothing:
// Issuer.Settle checks the batch's and each record's signature.
func UnmarshalBatch(data []byte) (Batch, error) {
	d := decoder{b: data}
	if err := d.version(); err != nil {
		return Batch{}, err
	}
	var b Batch
	var err error
	if b.TerminalID, err = d.str("terminal_id"); err != nil {
		return Batch{}, err
	}
	if b.Number, err = d.uvarint("number"); err != nil {
		return Batch{}, err
	}
	n, err := d.uvarint("records")
	if err != nil {
		return Batch{}, err
	}
	if n > MaxBatchRecords || n > uint64(len(d.b)) {
		return Batch{}, malformed("records", "record count out of range")
	}
	b.Records = make([]Record, 0, n)
	for range n {
		size, err := d.uvarint("records")
		if err != nil {
			return Batch{}, err
		}
		rb, err := d.bytes("records", size)
		if err != nil {
			return Batch{}, err
		}
		r, err := UnmarshalRecord(rb)
		if err != nil {
			return Batch{}, err
		}
		b.Records = append(b.Records, r)
	}
	sig, err := d.bytes("signature", ed25519.SignatureSize)
	if err != nil {
		return Batch{}, err
	}
	if len(d.b) != 0 {
		return Batch{}, malformed("", "trailing bytes after the batch")
	}
	b.Signature = append([]byte(nil), sig...)
	return b, nil
}

// sign signs b with s.
func (b *Batch) sign(ctx context.Context, s Signer) error {
	body, err := b.body()
	if err != nil {
		return err
	}
	sig, err := s.Sign(ctx, append([]byte(batchLabel), body...))
	if err != nil {
		return err
	}
	b.Signature = sig
	return nil
}

// Verify checks the batch's signature under pub (not its records').
func (b Batch) Verify(pub ed25519.PublicKey) bool {
	body, err := b.body()
	if err != nil || len(b.Signature) != ed25519.SignatureSize || len(pub) != ed25519.PublicKeySize {
		return false
	}
	return ed25519.Verify(pub, append([]byte(batchLabel), body...), b.Signature)
}
