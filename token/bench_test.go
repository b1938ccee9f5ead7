package token

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// BenchmarkUse measures Vault.Use of a token with every domain control on
// (huge use and amount limits, a validity window around now, channel,
// merchant and terminal lists of four entries with the one used last, a
// bound device, allowed modes, a required cryptogram), each use carrying a
// fresh valid cryptogram, against a naive tokenizer in the same run: one
// map lookup plus one HMAC-SHA256 over an input the size of the cryptogram
// input.
//
// Cryptograms are computed before the timer starts (the device's MAC is not
// the vault's cost). Serial runs use one token; parallel runs draw tokens of
// h4Chunk cryptograms each from a shared pool, so each goroutine works on its
// own token at a time and counters increase per token. The vault runs on
// the system clock and the default MemStore, and records every use.
//
//   - all_controls: the acceptor may not detokenize (no account opened).
//   - all_controls_detokenize: the acceptor may; the sealed account is opened.
//   - baseline: map lookup plus one HMAC under a key set up once per
//     goroutine (Reset, Write, Sum), compared in constant time. Parallel:
//     the map behind a sync.RWMutex, as MemStore's index is.
//   - baseline_hmacnew: the same with hmac.New per lookup, as a tokenizer
//     that keeps raw keys does.
func BenchmarkUse(b *testing.B) {
	for _, detok := range []bool{false, true} {
		name := "all_controls"
		if detok {
			name = "all_controls_detokenize"
		}
		b.Run(name+"/serial", func(b *testing.B) { h4UseSerial(b, detok) })
		b.Run(name+"/parallel", func(b *testing.B) { h4UseParallel(b, detok) })
	}
	for _, fresh := range []bool{false, true} {
		name := "baseline"
		if fresh {
			name = "baseline_hmacnew"
		}
		b.Run(name+"/serial", func(b *testing.B) { h4BaselineSerial(b, fresh) })
		b.Run(name+"/parallel", func(b *testing.B) { h4BaselineParallel(b, fresh) })
	}
}

const (
	h4PAN      = "4111111111111111"
	h4Merchant = "mch_bench_4"
	h4Channel  = "pos"
	h4Terminal = "term_bench_4"
	h4Device   = "dev_bench_phone"
	h4Mode     = ModeContactless
	// h4Chunk is how many cryptograms each token of a parallel pool has.
	h4Chunk = 4096
)

var h4Amount = pay.Money{Amount: 1250, Currency: "CNY"}

// h4Controls sets every control, each list with the used entry last.
func h4Controls(now time.Time) Controls {
	return Controls{
		MaxUses:           1_000_000_000,
		PerUseLimit:       pay.Money{Amount: 1 << 40, Currency: "CNY"},
		CumulativeLimit:   pay.Money{Amount: 1 << 62, Currency: "CNY"},
		NotBefore:         now.Add(-time.Hour),
		Expires:           now.Add(24 * time.Hour),
		Channels:          []string{"web", "app", "kiosk", h4Channel},
		Merchants:         []string{"mch_bench_1", "mch_bench_2", "mch_bench_3", h4Merchant},
		Terminals:         []string{"term_bench_1", "term_bench_2", "term_bench_3", h4Terminal},
		DeviceID:          h4Device,
		Modes:             []Mode{ModeQR, ModeInApp, ModeEcommerce, h4Mode},
		RequireCryptogram: true,
	}
}

// h4Request is the use every benchmark makes, without token and cryptogram.
func h4Request() UseRequest {
	return UseRequest{
		Amount: h4Amount, MerchantID: h4Merchant, Channel: h4Channel,
		TerminalID: h4Terminal, DeviceID: h4Device, Mode: h4Mode,
	}
}

// h4Token is an issued token with n precomputed cryptograms (counters 1 to
// n), concatenated in one string so the pool adds no pointers for the
// garbage collector to scan.
type h4Token struct {
	id, value string
	cgs       string
	n         int
}

// h4MACLabel starts every cryptogram MAC's input.
const h4MACLabel = "paykit/token/cryptogram/v1"

// h4CgLen is the wire length of a cryptogram with an 8-byte unpredictable
// number: base64url of 6 + 8 + 16 bytes.
const h4CgLen = 40

func (k *h4Token) cryptogram(i int) string { return k.cgs[i*h4CgLen : (i+1)*h4CgLen] }

// h4Issue issues an all-controls card token and precomputes n cryptograms
// for it.
func h4Issue(b *testing.B, v *Vault, n int) h4Token {
	b.Helper()
	iss, err := v.Issue(context.Background(), Caller{ID: "requestor"}, IssueRequest{
		Account: h4PAN, AccountType: AccountCard, Controls: h4Controls(time.Now()),
	})
	if err != nil {
		b.Fatal(err)
	}
	var sb strings.Builder
	sb.Grow(n * h4CgLen)
	m := h4NewMAC(iss.Key)
	in := CryptogramInput{Token: iss.Token.Value, Amount: h4Amount, MerchantID: h4Merchant, Nonce: make([]byte, 8)}
	for i := range n {
		in.Counter = uint32(i + 1)
		binary.BigEndian.PutUint64(in.Nonce, uint64(i)*0x9E3779B97F4A7C15)
		s := Cryptogram{Counter: in.Counter, Nonce: in.Nonce, MAC: m.sum(in)}.String()
		if len(s) != h4CgLen {
			b.Fatalf("cryptogram length %d, want %d", len(s), h4CgLen)
		}
		sb.WriteString(s)
	}
	if n > 0 {
		want, err := NewCryptogram(iss.Key, CryptogramInput{Token: iss.Token.Value, Amount: h4Amount, MerchantID: h4Merchant, Counter: 1, Nonce: make([]byte, 8)})
		if err != nil || want != sb.String()[:h4CgLen] {
			b.Fatalf("precomputed cryptogram differs from NewCryptogram's (err %v)", err)
		}
	}
	return h4Token{id: iss.Token.ID, value: iss.Token.Value, cgs: sb.String(), n: n}
}

// h4MAC computes cryptogram MACs as the wire form's documentation says
// (NewCryptogram's result, checked in h4Issue) with one keyed HMAC and one
// buffer, so precomputing a million of them takes a fraction of a second.
type h4MAC struct {
	h   hash.Hash
	buf []byte
}

func h4NewMAC(key []byte) *h4MAC { return &h4MAC{h: hmac.New(sha256.New, key)} }

func (m *h4MAC) sum(in CryptogramInput) (out [macLen]byte) {
	b := append(m.buf[:0], h4MACLabel...)
	for _, s := range []string{in.Token, in.Amount.Currency, in.MerchantID} {
		b = append(append(b, byte(len(s))), s...)
	}
	b = binary.BigEndian.AppendUint64(b, uint64(in.Amount.Amount))
	b = binary.BigEndian.AppendUint32(b, in.Counter)
	b = append(append(b, byte(len(in.Nonce))), in.Nonce...)
	m.buf = b
	m.h.Reset()
	m.h.Write(b)
	copy(out[:], m.h.Sum(nil))
	return out
}

func h4Vault(b *testing.B) *Vault {
	b.Helper()
	v, err := New([]byte("h4-benchmark-master-key-32-bytes-long!"))
	if err != nil {
		b.Fatal(err)
	}
	return v
}

func h4Acceptor(detok bool) Caller { return Caller{ID: "acceptor", Detokenize: detok} }

// h4CheckUses fails unless the tokens together recorded exactly want uses.
func h4CheckUses(b *testing.B, v *Vault, toks []h4Token, want int) {
	b.Helper()
	got := int64(0)
	for _, k := range toks {
		rec, err := v.store.Get(context.Background(), k.id)
		if err != nil {
			b.Fatal(err)
		}
		got += rec.Token.Uses
	}
	if got != int64(want) {
		b.Fatalf("tokens recorded %d uses, want %d", got, want)
	}
}

func h4UseSerial(b *testing.B, detok bool) {
	v := h4Vault(b)
	k := h4Issue(b, v, b.N)
	ctx, c, req := context.Background(), h4Acceptor(detok), h4Request()
	req.Token = k.value
	var last UseResult
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req.Cryptogram = k.cryptogram(i)
		res, err := v.Use(ctx, c, req)
		if err != nil {
			b.Fatal(err)
		}
		last = res
	}
	b.StopTimer()
	h4CheckUses(b, v, []h4Token{k}, b.N)
	if detok != (last.Account == h4PAN) {
		b.Fatalf("detokenize=%v: account opened = %v", detok, last.Account != "")
	}
}

func h4UseParallel(b *testing.B, detok bool) {
	v := h4Vault(b)
	pool := make([]h4Token, b.N/h4Chunk+runtime.GOMAXPROCS(0)+1)
	for i := range pool {
		pool[i] = h4Issue(b, v, h4Chunk)
	}
	var next atomic.Int64
	ctx, c := context.Background(), h4Acceptor(detok)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req := h4Request()
		var k *h4Token
		i := 0
		for pb.Next() {
			if k == nil || i == k.n {
				idx := next.Add(1) - 1
				if idx >= int64(len(pool)) {
					b.Error("token pool exhausted")
					return
				}
				k, i, req.Token = &pool[idx], 0, pool[idx].value
			}
			req.Cryptogram = k.cryptogram(i)
			i++
			res, err := v.Use(ctx, c, req)
			if err != nil {
				b.Error(err)
				return
			}
			if detok != (res.Account == h4PAN) {
				b.Errorf("detokenize=%v: account opened = %v", detok, res.Account != "")
				return
			}
		}
	})
	b.StopTimer()
	h4CheckUses(b, v, pool, b.N)
}

// h4Record is what a naive tokenizer keeps per token.
type h4Record struct {
	account string
	key     []byte
}

// h4Baseline is a naive tokenizer's table of 1024 tokens and the input its
// one HMAC covers: the cryptogram input's size, with the counter changing
// on each use.
type h4Baseline struct {
	m     map[string]h4Record
	token string
	size  int
}

func h4NewBaseline() h4Baseline {
	bl := h4Baseline{m: make(map[string]h4Record, 1024)}
	for i := range 1024 {
		tv := fmt.Sprintf("999900%09d", i)
		tv += string(luhnDigit([]byte(tv)))
		bl.m[tv] = h4Record{account: h4PAN, key: deriveKey([]byte("h4-baseline-master-key-32-bytes!"), tv)}
		bl.token = tv
	}
	// The cryptogram input: label, three length-prefixed strings, amount,
	// counter, length-prefixed 8-byte nonce.
	bl.size = len(h4MACLabel) + 1 + len(bl.token) + 1 + len(h4Amount.Currency) + 1 + len(h4Merchant) + 8 + 4 + 1 + 8
	return bl
}

// h4BaselineWorker is one goroutine's state: the input buffer and, for the
// pre-keyed variant, the HMAC keyed once with its token's key.
type h4BaselineWorker struct {
	in   []byte
	h    hash.Hash
	sum  []byte
	want [macLen]byte
}

func (bl *h4Baseline) worker(fresh bool) *h4BaselineWorker {
	w := &h4BaselineWorker{in: make([]byte, bl.size), sum: make([]byte, 0, sha256.Size)}
	if !fresh {
		w.h = hmac.New(sha256.New, bl.m[bl.token].key)
	}
	return w
}

// use looks the token up and computes one HMAC over the input, counter i.
func (w *h4BaselineWorker) use(rec h4Record, ok bool, fresh bool, i int) bool {
	if !ok {
		return false
	}
	binary.BigEndian.PutUint32(w.in[len(w.in)-13:], uint32(i))
	h := w.h
	if fresh {
		h = hmac.New(sha256.New, rec.key)
	} else {
		h.Reset()
	}
	h.Write(w.in)
	w.sum = h.Sum(w.sum[:0])
	return !hmac.Equal(w.sum[:macLen], w.want[:]) // a MAC of all zeros never comes
}

func h4BaselineSerial(b *testing.B, fresh bool) {
	bl := h4NewBaseline()
	w := bl.worker(fresh)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec, ok := bl.m[bl.token]
		if !w.use(rec, ok, fresh, i) {
			b.Fatal("baseline lookup failed")
		}
	}
}

func h4BaselineParallel(b *testing.B, fresh bool) {
	bl := h4NewBaseline()
	var mu sync.RWMutex
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := bl.worker(fresh)
		for i := 0; pb.Next(); i++ {
			mu.RLock()
			rec, ok := bl.m[bl.token]
			mu.RUnlock()
			if !w.use(rec, ok, fresh, i) {
				b.Error("baseline lookup failed")
				return
			}
		}
	})
}

// BenchmarkUseSteps times, one by one, the steps Vault.Use takes for an
// all-controls use (see BenchmarkUse), so a regression or an optimisation
// shows where it lands. The steps' sum is close to, not exactly, a use.
func BenchmarkUseSteps(b *testing.B) {
	ctx := context.Background()
	setup := func(b *testing.B, n int) (*Vault, h4Token, UseRequest) {
		v := h4Vault(b)
		k := h4Issue(b, v, n)
		req := h4Request()
		req.Token = k.value
		if n > 0 {
			req.Cryptogram = k.cryptogram(0)
		}
		return v, k, req
	}
	b.Run("validate", func(b *testing.B) {
		_, _, req := setup(b, 1)
		b.ReportAllocs()
		for b.Loop() {
			r := req
			if err := r.validate(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("store_by_value", func(b *testing.B) {
		v, k, _ := setup(b, 0)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.store.ByValue(ctx, k.value); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parse_cryptogram", func(b *testing.B) {
		_, k, _ := setup(b, 1)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ParseCryptogram(k.cryptogram(0)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify_mac", func(b *testing.B) {
		v, k, req := setup(b, 1)
		cg, err := ParseCryptogram(k.cryptogram(0))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if !v.verify(k.id, cg, CryptogramInput{Token: req.Token, Amount: req.Amount, MerchantID: req.MerchantID}) {
				b.Fatal("cryptogram does not verify")
			}
		}
	})
	b.Run("new_use_id", func(b *testing.B) {
		tokenID := pay.NewID(PrefixToken)
		b.ReportAllocs()
		n := int64(0)
		for b.Loop() {
			n++
			if id := UseID(tokenID, n); len(id) < 31 {
				b.Fatal(id)
			}
		}
	})
	b.Run("clock_now", func(b *testing.B) {
		v, _, _ := setup(b, 0)
		b.ReportAllocs()
		for b.Loop() {
			_ = v.clock.Now().UTC()
		}
	})
	b.Run("controls_check", func(b *testing.B) {
		v, k, req := setup(b, 0)
		rec, err := v.store.Get(ctx, k.id)
		if err != nil {
			b.Fatal(err)
		}
		now := time.Now().UTC()
		b.ReportAllocs()
		for b.Loop() {
			t := rec.Token
			if e := t.Controls.check(&t, req, now); e != nil {
				b.Fatal(e)
			}
		}
	})
	b.Run("store_update_with_use", func(b *testing.B) {
		v, k, _ := setup(b, 0)
		use := Use{TokenID: k.id, Kind: UseDebit, Status: UseApproved, Amount: h4Amount, MerchantID: h4Merchant,
			Channel: h4Channel, TerminalID: h4Terminal, DeviceID: h4Device, Mode: h4Mode, AcceptorID: "acceptor", CreatedAt: time.Now()}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := v.store.Update(ctx, k.id, "", func(rec Record, _ Use) (Record, Use, error) {
				t := rec.Token
				t.Uses++
				rec.Token = t
				rec.UseCount++
				use.ID = UseID(k.id, rec.UseCount)
				return rec, use, nil
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("open_account", func(b *testing.B) {
		v, k, _ := setup(b, 0)
		rec, err := v.store.Get(ctx, k.id)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.keys.openAccount(k.id, rec.SealedAccount); err != nil {
				b.Fatal(err)
			}
		}
	})
}
