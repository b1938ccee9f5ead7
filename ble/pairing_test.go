package ble

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/curve25519"

	"github.com/paykit-go/paykit/internal/base45"
	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

// TestPairingCodesMatch: the host and the handheld show the same 6-digit
// code and hold the same keys; the host stores the pairing only on
// Confirm.
func TestPairingCodesMatch(t *testing.T) {
	ctx := context.Background()
	var called []string
	host, err := NewHost("counter-1", hfNewDisplay(), &hfBuzzer{}, OnPairingCode(func(n uint16, id, code string) {
		called = append(called, fmt.Sprint(n, id, code))
	}))
	if err != nil {
		t.Fatal(err)
	}
	offer, err := host.BeginPairing(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(offer.QR(), OfferPrefix) || offer.Pairing() == 0 {
		t.Fatalf("offer QR %q, pairing %d", offer.QR(), offer.Pairing())
	}
	scanned, err := ParseOffer(offer.QR())
	if err != nil {
		t.Fatal(err)
	}
	if scanned != offer.Offer() || scanned.HostID != "counter-1" {
		t.Fatalf("scanned %+v, offered %+v", scanned, offer.Offer())
	}
	pending, req, err := Pair(scanned, "handheld-7")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := host.Accept(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	hp, err := pending.Finish(resp)
	if err != nil {
		t.Fatal(err)
	}
	code, id, err := offer.Code(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if code != hp.Code || id != "handheld-7" {
		t.Fatalf("host code %s for %q, handheld code %s", code, id, hp.Code)
	}
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		t.Fatalf("code %q is not 6 digits", code)
	}
	if want := []string{fmt.Sprint(offer.Pairing(), "handheld-7", code)}; fmt.Sprint(called) != fmt.Sprint(want) {
		t.Fatalf("OnPairingCode calls %v, want %v", called, want)
	}
	if _, err := host.store.Get(ctx, offer.Pairing()); !errors.Is(err, ErrUnknownPairing) {
		t.Fatalf("pairing stored before Confirm: %v", err)
	}
	if err := offer.Confirm(ctx); err != nil {
		t.Fatal(err)
	}
	stored, err := host.store.Get(ctx, offer.Pairing())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stored.ReceiptKey, hp.ReceiptKey) || !bytes.Equal(stored.AckKey, hp.AckKey) {
		t.Fatal("host and handheld derived different keys")
	}
	if bytes.Equal(hp.ReceiptKey, hp.AckKey) || len(hp.ReceiptKey) != KeyLen {
		t.Fatal("the receipt and ack keys are not two distinct 32-byte keys")
	}
	if hp.HostID != "counter-1" || hp.HandheldID != "handheld-7" || hp.Pairing != offer.Pairing() || hp.Counter != 0 {
		t.Fatalf("pairing %+v", hp)
	}
	if stored.HandheldID != "handheld-7" || stored.LastCounter != 0 || stored.Revoked {
		t.Fatalf("stored %+v", stored)
	}
}

// TestSubstitutedHostKeyCodesDiffer plays a man in the middle who covers
// the host's QR with his own (same host ID, his key) and relays: he pairs
// with the handheld as the host and with the host as the handheld. The two
// sides end with different keys and, but for the one-in-a-million chance,
// different codes, so the merchant cancels. Ten rounds, at most one match
// allowed (a false failure once in 2·10¹⁰ runs).
func TestSubstitutedHostKeyCodesDiffer(t *testing.T) {
	ctx := context.Background()
	matches := 0
	for range 10 {
		host, err := NewHost("counter-1", hfNewDisplay(), &hfBuzzer{})
		if err != nil {
			t.Fatal(err)
		}
		mitm, err := NewHost("counter-1", hfNewDisplay(), &hfBuzzer{})
		if err != nil {
			t.Fatal(err)
		}
		realOffer, err := host.BeginPairing(ctx)
		if err != nil {
			t.Fatal(err)
		}
		fakeOffer, err := mitm.BeginPairing(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// The handheld scans the fake QR and pairs with the man in the middle.
		scanned, err := ParseOffer(fakeOffer.QR())
		if err != nil {
			t.Fatal(err)
		}
		if scanned.HostID != host.ID() || scanned.HostKey == realOffer.Offer().HostKey {
			t.Fatal("the fake offer should name the real host with another key")
		}
		pending, req, err := Pair(scanned, "handheld-1")
		if err != nil {
			t.Fatal(err)
		}
		mResp, err := mitm.Accept(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		hp, err := pending.Finish(mResp)
		if err != nil {
			t.Fatal(err)
		}
		// He answers the real offer as "handheld-1".
		aPending, aReq, err := Pair(realOffer.Offer(), "handheld-1")
		if err != nil {
			t.Fatal(err)
		}
		hResp, err := host.Accept(ctx, aReq)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := aPending.Finish(hResp); err != nil {
			t.Fatal(err)
		}
		hostCode, _, err := realOffer.Code(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if hostCode == hp.Code {
			matches++
		}
		// The keys differ whatever the codes: the host's are not the
		// handheld's.
		realOffer.mu.Lock()
		sameKey := bytes.Equal(realOffer.keys.receipt, hp.ReceiptKey)
		realOffer.mu.Unlock()
		if sameKey {
			t.Fatal("the host and the fooled handheld share a receipt key")
		}
		// The merchant sees different codes and cancels: nothing stored,
		// and the offer can't be confirmed afterwards.
		realOffer.Cancel()
		if err := realOffer.Confirm(ctx); !errors.Is(err, ErrPairing) {
			t.Fatalf("Confirm after Cancel = %v", err)
		}
		if _, err := host.store.Get(ctx, realOffer.Pairing()); !errors.Is(err, ErrUnknownPairing) {
			t.Fatalf("a cancelled pairing was stored: %v", err)
		}
	}
	if matches > 1 {
		t.Fatalf("the codes matched in %d of 10 substitutions", matches)
	}
}

// TestSubstitutedKeyWithoutRelay: a QR whose host key (or commitment) was
// swapped, answered by the real host, or a response whose nonce was
// swapped: the handheld refuses the response, so no pairing comes of it.
func TestSubstitutedKeyWithoutRelay(t *testing.T) {
	ctx := context.Background()
	host, err := NewHost("counter-1", hfNewDisplay(), &hfBuzzer{})
	if err != nil {
		t.Fatal(err)
	}
	other, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for name, tamper := range map[string]func(*Offer){
		"host key":   func(o *Offer) { copy(o.HostKey[:], other.PublicKey().Bytes()) },
		"commitment": func(o *Offer) { o.Commitment[0] ^= 1 },
		"host ID":    func(o *Offer) { o.HostID = "counter-2" },
	} {
		offer, err := host.BeginPairing(ctx)
		if err != nil {
			t.Fatal(err)
		}
		o := offer.Offer()
		tamper(&o)
		pending, req, err := Pair(o, "hh")
		if err != nil {
			t.Fatal(err)
		}
		resp, err := host.Accept(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pending.Finish(resp); !errors.Is(err, ErrPairing) {
			t.Fatalf("%s swapped: Finish = %v, want ErrPairing", name, err)
		}
	}

	// A genuine exchange whose response is altered in transit.
	offer, err := host.BeginPairing(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pending, req, err := Pair(offer.Offer(), "hh")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := host.Accept(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	for name, alter := range map[string]func(*PairResponse){
		"nonce":   func(r *PairResponse) { r.Nonce[31] ^= 0x80 },
		"MAC":     func(r *PairResponse) { r.MAC[0] ^= 1 },
		"pairing": func(r *PairResponse) { r.Pairing++ },
	} {
		bad := resp
		alter(&bad)
		if _, err := pending.Finish(bad); !errors.Is(err, ErrPairing) {
			t.Fatalf("%s altered: Finish = %v, want ErrPairing", name, err)
		}
	}
	// After the refusals the genuine response still completes it.
	if _, err := pending.Finish(resp); err != nil {
		t.Fatal(err)
	}
	var zero *PendingPairing
	if _, err := zero.Finish(resp); !errors.Is(err, ErrPairing) {
		t.Fatalf("Finish on nil = %v", err)
	}
}

// TestPairOverLossyLink pairs over a link losing, duplicating and
// reordering a fifth of its chunks, then delivers a receipt under the new
// pairing.
func TestPairOverLossyLink(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	display := hfNewDisplay()
	codes := make(chan string, 1)
	host, err := NewHost("counter-1", display, &hfBuzzer{}, OnPairingCode(func(_ uint16, _, code string) { codes <- code }))
	if err != nil {
		t.Fatal(err)
	}
	a, b, err := NewMemLink(WithLoss(0.2), WithDuplication(0.2), WithReordering(0.2), WithSeed(3))
	if err != nil {
		t.Fatal(err)
	}
	hfServe(t, host, b)
	offer, err := host.BeginPairing(ctx)
	if err != nil {
		t.Fatal(err)
	}
	scanned, err := ParseOffer(offer.QR())
	if err != nil {
		t.Fatal(err)
	}
	opts := []HandheldOption{WithRetransmit(5*time.Millisecond, 20*time.Millisecond)}
	hp, err := PairOver(ctx, a, scanned, "handheld-1", opts...)
	if err != nil {
		t.Fatal(err)
	}
	hostCode, id, err := offer.Code(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if hostCode != hp.Code || id != "handheld-1" || <-codes != hp.Code {
		t.Fatalf("host code %s (%q), handheld code %s", hostCode, id, hp.Code)
	}
	if err := offer.Confirm(ctx); err != nil {
		t.Fatal(err)
	}
	hh, err := NewHandheld(a, hp, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := hh.Send(ctx, hfReceipt(1)); err != nil {
		t.Fatal(err)
	}
	if got := display.receipts(); len(got) != 1 || got[0].Counter != 1 {
		t.Fatalf("shown %v", got)
	}
	if s := host.Stats(); s.PairRequests == 0 || s.BadPairRequests != 0 {
		t.Fatalf("host stats %+v", s)
	}
}

// TestPairOverNoAnswer: PairOver with nobody answering ends with ctx and
// ErrPairing; a host that refuses the request (unknown offer) never
// answers either.
func TestPairOverNoAnswer(t *testing.T) {
	host, err := NewHost("counter-1", hfNewDisplay(), &hfBuzzer{})
	if err != nil {
		t.Fatal(err)
	}
	a, b, err := NewMemLink()
	if err != nil {
		t.Fatal(err)
	}
	hfServe(t, host, b)
	offer, err := host.BeginPairing(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	o := offer.Offer()
	o.Pairing++ // not an open offer
	if o.Pairing == 0 {
		o.Pairing = 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = PairOver(ctx, a, o, "hh", WithRetransmit(5*time.Millisecond, 10*time.Millisecond))
	if !errors.Is(err, ErrPairing) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("PairOver = %v", err)
	}
	hfWaitStats(t, host, func(s HostStats) bool { return s.BadPairRequests >= 2 && s.BadPairRequests == s.PairRequests })
	if s := b.Stats(); s.Sent != 0 {
		t.Fatalf("the host answered a refused request with %d chunks", s.Sent)
	}
}

// TestOfferLifecycle: an offer binds to its first request (a retransmission
// gets the same response, another request nothing), is confirmed once,
// expires, and can be cancelled.
func TestOfferLifecycle(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	host, err := NewHost("counter-1", hfNewDisplay(), &hfBuzzer{}, WithClock(clk), WithOfferTTL(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	offer, err := host.BeginPairing(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !offer.Expires().Equal(clk.Now().Add(time.Minute)) {
		t.Fatalf("expires %v", offer.Expires())
	}
	if err := offer.Confirm(ctx); !errors.Is(err, ErrPairing) {
		t.Fatalf("Confirm before any request = %v", err)
	}
	_, req, err := Pair(offer.Offer(), "hh-1")
	if err != nil {
		t.Fatal(err)
	}
	resp1, err := host.Accept(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	resp2, err := host.Accept(ctx, req)
	if err != nil || resp2 != resp1 {
		t.Fatalf("retransmitted request: %v, same response %v", err, resp2 == resp1)
	}
	_, req2, err := Pair(offer.Offer(), "hh-2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := host.Accept(ctx, req2); !errors.Is(err, ErrPairing) {
		t.Fatalf("a second handheld's request = %v, want ErrPairing", err)
	}
	if err := offer.Confirm(ctx); err != nil {
		t.Fatal(err)
	}
	if err := offer.Confirm(ctx); !errors.Is(err, ErrPairing) {
		t.Fatalf("second Confirm = %v", err)
	}
	if _, err := host.Accept(ctx, req); !errors.Is(err, ErrPairing) {
		t.Fatalf("request after Confirm = %v", err)
	}
	if code, id, err := offer.Code(ctx); err != nil || len(code) != 6 || id != "hh-1" {
		t.Fatalf("Code after Confirm = %q, %q, %v", code, id, err)
	}
	p, err := host.store.Get(ctx, offer.Pairing())
	if err != nil || !p.Created.Equal(clk.Now()) || p.HandheldID != "hh-1" {
		t.Fatalf("stored %+v, %v", p, err)
	}

	// Expiry: a request or a Confirm at the TTL is refused.
	late, err := host.BeginPairing(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if late.Pairing() == offer.Pairing() {
		t.Fatal("a stored pairing number was offered again")
	}
	_, lreq, err := Pair(late.Offer(), "hh-3")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := host.Accept(ctx, lreq); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	if err := late.Confirm(ctx); !errors.Is(err, ErrPairing) {
		t.Fatalf("Confirm after expiry = %v", err)
	}
	expired, err := host.BeginPairing(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	_, ereq, err := Pair(expired.Offer(), "hh-4")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := host.Accept(ctx, ereq); !errors.Is(err, ErrPairing) {
		t.Fatalf("request after expiry = %v", err)
	}

	// Cancel: Code waiters are released, later requests refused.
	cancelled, err := host.BeginPairing(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() {
		_, _, err := cancelled.Code(ctx)
		waited <- err
	}()
	cancelled.Cancel()
	if err := <-waited; !errors.Is(err, ErrPairing) {
		t.Fatalf("Code on a cancelled offer = %v", err)
	}
	_, creq, err := Pair(cancelled.Offer(), "hh-5")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := host.Accept(ctx, creq); !errors.Is(err, ErrPairing) {
		t.Fatalf("request after Cancel = %v", err)
	}
	cctx, ccancel := context.WithCancel(ctx)
	ccancel()
	open, err := host.BeginPairing(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := open.Code(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Code with a cancelled context = %v", err)
	}
}

// hfFullStore claims every pairing number is taken.
type hfFullStore struct{ MemPairings }

func (*hfFullStore) Get(context.Context, uint16) (HostPairing, error) { return HostPairing{}, nil }

// hfBrokenStore fails every lookup.
type hfBrokenStore struct{ MemPairings }

func (*hfBrokenStore) Get(context.Context, uint16) (HostPairing, error) {
	return HostPairing{}, pay.Errorf(pay.ErrUnavailable, "", "store down")
}

// TestBeginPairingNumbers: numbers are never 0, never repeat among open
// offers, and BeginPairing fails cleanly when none is free or the store
// fails.
func TestBeginPairingNumbers(t *testing.T) {
	ctx := context.Background()
	host, err := NewHost("counter-1", hfNewDisplay(), &hfBuzzer{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[uint16]bool{}
	for range 300 {
		o, err := host.BeginPairing(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if o.Pairing() == 0 || seen[o.Pairing()] {
			t.Fatalf("pairing number %d offered twice or zero", o.Pairing())
		}
		seen[o.Pairing()] = true
	}
	full, err := NewHost("counter-1", hfNewDisplay(), &hfBuzzer{}, WithPairingStore(&hfFullStore{}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := full.BeginPairing(ctx); !errors.Is(err, pay.ErrConflict) {
		t.Fatalf("BeginPairing with no free number = %v", err)
	}
	broken, err := NewHost("counter-1", hfNewDisplay(), &hfBuzzer{}, WithPairingStore(&hfBrokenStore{}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := broken.BeginPairing(ctx); !errors.Is(err, pay.ErrUnavailable) {
		t.Fatalf("BeginPairing with a failing store = %v", err)
	}
}

// TestNewHostAndPairValidation: bad IDs and missing parts are refused.
func TestNewHostAndPairValidation(t *testing.T) {
	d, b := hfNewDisplay(), &hfBuzzer{}
	for _, id := range []string{"", "has space", strings.Repeat("x", MaxIDLen+1), "tab\t", "é"} {
		if _, err := NewHost(id, d, b); !errors.Is(err, pay.ErrInvalidRequest) {
			t.Fatalf("NewHost(%q) = %v", id, err)
		}
		if _, _, err := Pair(Offer{HostID: "h", Pairing: 1}, id); !errors.Is(err, pay.ErrInvalidRequest) {
			t.Fatalf("Pair(handheld %q) = %v", id, err)
		}
	}
	if _, err := NewHost("h", nil, b); err == nil {
		t.Fatal("NewHost without a display")
	}
	for _, opt := range []HostOption{WithPairingStore(nil), WithClock(nil), WithOfferTTL(time.Second)} {
		if _, err := NewHost("h", d, b, opt); !errors.Is(err, pay.ErrInvalidRequest) {
			t.Fatalf("NewHost with a bad option = %v", err)
		}
	}
	if _, _, err := Pair(Offer{HostID: "h"}, "hh"); !errors.Is(err, ErrPairing) {
		t.Fatalf("Pair with pairing 0 = %v", err)
	}
	// A low-order host key (all zero) gives an all-zero shared secret.
	if _, _, err := Pair(Offer{HostID: "h", Pairing: 1}, "hh"); !errors.Is(err, ErrPairing) {
		t.Fatalf("Pair with a zero host key = %v", err)
	}
}

// TestDerivationMatchesSpec recomputes a pairing's keys, response MAC and
// code from fixed private keys and nonce, the way the pairing comment
// describes them, with golang.org/x/crypto/curve25519 and HMAC written out
// (RFC 5869), and checks both sides agree with it and with known values.
func TestDerivationMatchesSpec(t *testing.T) {
	hostPriv := bytes.Repeat([]byte{0x11}, 32)
	hhPriv := bytes.Repeat([]byte{0x22}, 32)
	var nonce [KeyLen]byte
	copy(nonce[:], bytes.Repeat([]byte{0x33}, 32))

	hostPub, _ := curve25519.X25519(hostPriv, curve25519.Basepoint)
	hhPub, _ := curve25519.X25519(hhPriv, curve25519.Basepoint)
	shared, _ := curve25519.X25519(hostPriv, hhPub)
	commit := sha256.Sum256(append([]byte("paykit/ble pairing commitment v1\x00"), nonce[:]...))

	var transcript []byte
	transcript = append(transcript, "paykit/ble pairing transcript v1\x00"...)
	transcript = binary.BigEndian.AppendUint16(transcript, 0x1234)
	transcript = append(transcript, hostPub...)
	transcript = append(transcript, commit[:]...)
	transcript = append(transcript, hhPub...)
	transcript = append(transcript, 9)
	transcript = append(transcript, "counter-1"...)
	transcript = append(transcript, 10)
	transcript = append(transcript, "handheld-1"...)
	mac := func(key []byte, parts ...[]byte) []byte {
		m := hmac.New(sha256.New, key)
		for _, p := range parts {
			m.Write(p)
		}
		return m.Sum(nil)
	}
	prk := mac(transcript, shared) // HKDF-Extract(salt = transcript, IKM = shared)
	expand1 := func(info string) []byte { return mac(prk, []byte(info), []byte{1}) }
	wantReceipt := expand1("paykit/ble receipt key v1")
	wantAck := expand1("paykit/ble ack key v1")
	respKey := expand1("paykit/ble pair response key v1")
	wantMAC := mac(respKey, []byte("paykit/ble pair response v1\x00"), []byte{0x12, 0x34}, nonce[:])[:8]
	wantCode := fmt.Sprintf("%06d", binary.BigEndian.Uint64(expand1("paykit/ble confirmation code v1\x00"+string(nonce[:])))%1e6)

	offer := Offer{HostID: "counter-1", Pairing: 0x1234, Commitment: commit}
	copy(offer.HostKey[:], hostPub)
	req := PairRequest{Pairing: 0x1234, HandheldID: "handheld-1"}
	copy(req.HandheldKey[:], hhPub)
	if c := commitment(nonce); c != commit {
		t.Fatal("commitment differs from SHA-256(label, nonce)")
	}
	for side, priv := range map[string][]byte{"host": hostPriv, "handheld": hhPriv} {
		k, err := ecdh.X25519().NewPrivateKey(priv)
		if err != nil {
			t.Fatal(err)
		}
		peer := req.HandheldKey
		if side == "handheld" {
			peer = offer.HostKey
		}
		keys, err := agree(k, peer, transcriptOf(offer, req))
		if err != nil {
			t.Fatal(err)
		}
		code, err := confirmationCode(keys.prk, nonce)
		if err != nil {
			t.Fatal(err)
		}
		gotMAC := responseMAC(keys.response, 0x1234, nonce)
		if !bytes.Equal(keys.receipt, wantReceipt) || !bytes.Equal(keys.ack, wantAck) || !bytes.Equal(gotMAC[:], wantMAC) || code != wantCode {
			t.Fatalf("%s: derivation differs from the spec", side)
		}
	}
	// Known values, so a change to the derivation (which would break
	// pairing between old and new builds) fails here.
	if got := hex.EncodeToString(wantReceipt[:8]) + " " + wantCode; got != hfDerivationKAT {
		t.Fatalf("known answer changed: %s, want %s", got, hfDerivationKAT)
	}
}

// hfDerivationKAT is the first 8 bytes of the receipt key and the code of
// TestDerivationMatchesSpec's fixed pairing.
const hfDerivationKAT = "a8107eadd9934776 718928"

// TestCodeDistribution: codes are 6 digits, spread evenly: over 20,000
// nonces each leading digit appears 2,000 ± 200 times (5 σ), and each side
// of 500,000 about half the time.
func TestCodeDistribution(t *testing.T) {
	prk := bytes.Repeat([]byte{9}, 32)
	var digits [10]int
	low := 0
	const n = 20000
	for i := range n {
		var nonce [KeyLen]byte
		binary.BigEndian.PutUint64(nonce[:], uint64(i))
		code, err := confirmationCode(prk, nonce)
		if err != nil {
			t.Fatal(err)
		}
		if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
			t.Fatalf("code %q", code)
		}
		digits[code[0]-'0']++
		if code < "500000" {
			low++
		}
	}
	for d, c := range digits {
		if c < 1800 || c > 2200 {
			t.Fatalf("leading digit %d in %d of %d codes: %v", d, c, n, digits)
		}
	}
	if low < 9650 || low > 10350 {
		t.Fatalf("%d of %d codes below 500000", low, n)
	}
}

// TestParseOffer: the QR text round-trips, and everything else is refused.
func TestParseOffer(t *testing.T) {
	o := Offer{HostID: "counter-1", Pairing: 513}
	for i := range o.HostKey {
		o.HostKey[i], o.Commitment[i] = byte(i), byte(255-i)
	}
	text := o.String()
	got, err := ParseOffer(text)
	if err != nil || got != o {
		t.Fatalf("ParseOffer(String()) = %+v, %v", got, err)
	}
	if strings.Trim(text, base45.Alphabet) != "" {
		t.Fatalf("QR text %q leaves the alphanumeric mode", text)
	}
	payload := func(pairing uint16, id string) string {
		b := binary.BigEndian.AppendUint16(nil, pairing)
		b = append(b, o.HostKey[:]...)
		b = append(b, o.Commitment[:]...)
		return OfferPrefix + base45.Encode(append(b, id...))
	}
	// A Base45 text of length 1 mod 3 ends in a single character.
	k := (1 - len(text[len(OfferPrefix):])%3 + 3) % 3
	if k == 0 {
		k = 3
	}
	dangling := text + strings.Repeat("A", k)
	for name, bad := range map[string]string{
		"empty":            "",
		"no prefix":        strings.TrimPrefix(text, OfferPrefix),
		"lower prefix":     strings.ToLower(OfferPrefix) + strings.TrimPrefix(text, OfferPrefix),
		"version 2":        "PKBLE2:" + strings.TrimPrefix(text, OfferPrefix),
		"leading space":    " " + text,
		"lower base45":     OfferPrefix + strings.ToLower(strings.TrimPrefix(text, OfferPrefix)),
		"dangling char":    dangling,
		"overflow group":   OfferPrefix + "GGW" + strings.TrimPrefix(text, OfferPrefix),
		"no host ID":       payload(513, ""),
		"truncated":        OfferPrefix + base45.Encode(make([]byte, 40)),
		"pairing 0":        payload(0, "counter-1"),
		"space in ID":      payload(513, "counter 1"),
		"control in ID":    payload(513, "counter\n1"),
		"long ID":          payload(513, strings.Repeat("c", MaxIDLen+1)),
		"non-ASCII ID":     payload(513, "caf\xc3\xa9"),
		"prefix only":      OfferPrefix,
		"trailing byte":    payload(513, "counter-1\x00"),
		"URL not an offer": "https://example.com/pay",
	} {
		if _, err := ParseOffer(bad); !errors.Is(err, ErrPairing) {
			t.Errorf("%s: ParseOffer = %v, want ErrPairing", name, err)
		} else if strings.Contains(err.Error(), strings.TrimPrefix(text, OfferPrefix)[:10]) {
			t.Errorf("%s: the error quotes the text", name)
		}
	}
	if _, err := ParseOffer(payload(513, strings.Repeat("c", MaxIDLen))); err != nil {
		t.Fatalf("a %d-byte host ID: %v", MaxIDLen, err)
	}
}

// FuzzParseOffer: ParseOffer never panics; what it accepts is exactly the
// String of what it returns, and can be answered (Pair) or refused
// cleanly.
func FuzzParseOffer(f *testing.F) {
	o := Offer{HostID: "counter-1", Pairing: 513}
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	copy(o.HostKey[:], priv.PublicKey().Bytes())
	f.Add(o.String())
	f.Add(OfferPrefix)
	f.Add(OfferPrefix + "%%%")
	f.Add("PKBLE1:" + strings.Repeat("0", 105))
	f.Add("")
	f.Fuzz(func(t *testing.T, text string) {
		got, err := ParseOffer(text)
		if err != nil {
			if !errors.Is(err, ErrPairing) || got != (Offer{}) {
				t.Fatalf("ParseOffer error %v with offer %+v", err, got)
			}
			return
		}
		if got.String() != text {
			t.Fatalf("accepted %q, which re-encodes as %q", text, got.String())
		}
		if got.Pairing == 0 || checkID("host_id", got.HostID) != nil {
			t.Fatalf("accepted an offer with pairing %d, host ID %q", got.Pairing, got.HostID)
		}
		if _, _, err := Pair(got, "hh"); err != nil && !errors.Is(err, ErrPairing) {
			t.Fatalf("Pair on a parsed offer: %v", err)
		}
	})
}

// TestPairMessagesRoundTrip checks the wire forms of requests and
// responses, and that each is parsed strictly.
func TestPairMessagesRoundTrip(t *testing.T) {
	req := PairRequest{Pairing: 0xBEEF, HandheldID: "hh-1"}
	req.HandheldKey[0] = 7
	b := req.Bytes()
	if len(b) != 1+2+32+4 || b[0] != 1 || b[1] != 0xBE || b[2] != 0xEF || b[3] != 7 || string(b[35:]) != "hh-1" {
		t.Fatalf("request bytes %x", b)
	}
	if got, err := ParsePairRequest(b); err != nil || got != req {
		t.Fatalf("ParsePairRequest = %+v, %v", got, err)
	}
	resp := PairResponse{Pairing: 0xBEEF}
	resp.Nonce[0], resp.MAC[7] = 1, 2
	rb := resp.Bytes()
	if len(rb) != 43 || rb[0] != 1 || rb[3] != 1 || rb[42] != 2 {
		t.Fatalf("response bytes %x", rb)
	}
	if got, err := ParsePairResponse(rb); err != nil || got != resp {
		t.Fatalf("ParsePairResponse = %+v, %v", got, err)
	}
	badReq := map[string][]byte{
		"empty": nil, "no ID": b[:35], "version": append([]byte{2}, b[1:]...),
		"pairing 0": append([]byte{1, 0, 0}, b[3:]...), "space": append(bytes.Clone(b), ' '),
	}
	for name, bb := range badReq {
		if _, err := ParsePairRequest(bb); !errors.Is(err, ErrPairing) {
			t.Errorf("request %s: %v", name, err)
		}
	}
	badResp := map[string][]byte{
		"short": rb[:42], "long": append(bytes.Clone(rb), 0), "version": append([]byte{0}, rb[1:]...),
		"pairing 0": append([]byte{1, 0, 0}, rb[3:]...),
	}
	for name, bb := range badResp {
		if _, err := ParsePairResponse(bb); !errors.Is(err, ErrPairing) {
			t.Errorf("response %s: %v", name, err)
		}
	}
}

// FuzzParsePairRequest: never panics; accepts exactly the wire forms of
// requests.
func FuzzParsePairRequest(f *testing.F) {
	req := PairRequest{Pairing: 9, HandheldID: "hh-1"}
	f.Add(req.Bytes())
	f.Add([]byte{1, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ParsePairRequest(b)
		if err != nil {
			return
		}
		if !bytes.Equal(got.Bytes(), b) {
			t.Fatalf("accepted %x, which re-encodes as %x", b, got.Bytes())
		}
	})
}

// FuzzParsePairResponse: never panics; accepts exactly the wire forms of
// responses.
func FuzzParsePairResponse(f *testing.F) {
	f.Add(PairResponse{Pairing: 9}.Bytes())
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ParsePairResponse(b)
		if err != nil {
			return
		}
		if !bytes.Equal(got.Bytes(), b) {
			t.Fatalf("accepted %x, which re-encodes as %x", b, got.Bytes())
		}
	})
}

// TestMemPairings checks the store's contract: conflicts, unknown numbers,
// replays, revocation, and copies.
func TestMemPairings(t *testing.T) {
	ctx := context.Background()
	s := NewMemPairings()
	p := HostPairing{Pairing: 5, HandheldID: "hh", ReceiptKey: Key(bytes.Repeat([]byte{1}, 32)), AckKey: Key(bytes.Repeat([]byte{2}, 32))}
	if err := s.Add(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(ctx, p); !errors.Is(err, pay.ErrConflict) {
		t.Fatalf("second Add = %v", err)
	}
	if err := s.Add(ctx, HostPairing{}); !errors.Is(err, pay.ErrInvalidRequest) {
		t.Fatalf("Add of pairing 0 = %v", err)
	}
	p.ReceiptKey[0] = 99 // the store kept its own copy
	got, err := s.Get(ctx, 5)
	if err != nil || got.ReceiptKey[0] != 1 {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	got.AckKey[0] = 99 // and hands out copies
	if again, _ := s.Get(ctx, 5); again.AckKey[0] != 2 {
		t.Fatal("Get returned the stored slice")
	}
	for _, step := range []struct {
		counter uint64
		want    error
	}{{3, nil}, {3, ErrReplay}, {2, ErrReplay}, {4, nil}, {0, ErrReplay}} {
		if err := s.Advance(ctx, 5, step.counter); !errors.Is(err, step.want) && !(err == nil && step.want == nil) {
			t.Fatalf("Advance(%d) = %v, want %v", step.counter, err, step.want)
		}
	}
	if got, _ := s.Get(ctx, 5); got.LastCounter != 4 {
		t.Fatalf("LastCounter %d, want 4", got.LastCounter)
	}
	for _, err := range []error{s.Advance(ctx, 6, 1), s.Revoke(ctx, 6)} {
		if !errors.Is(err, ErrUnknownPairing) {
			t.Fatalf("unknown pairing: %v", err)
		}
	}
	if _, err := s.Get(ctx, 6); !errors.Is(err, ErrUnknownPairing) {
		t.Fatalf("Get unknown = %v", err)
	}
	if err := s.Revoke(ctx, 5); err != nil {
		t.Fatal(err)
	}
	if err := s.Revoke(ctx, 5); err != nil {
		t.Fatalf("second Revoke = %v", err)
	}
	if err := s.Advance(ctx, 5, 10); !errors.Is(err, ErrRevoked) {
		t.Fatalf("Advance after Revoke = %v", err)
	}
	if got, _ := s.Get(ctx, 5); !got.Revoked || got.LastCounter != 4 {
		t.Fatalf("after Revoke %+v", got)
	}
	if err := s.Add(ctx, HostPairing{Pairing: 5}); !errors.Is(err, pay.ErrConflict) {
		t.Fatalf("a revoked number was reused: %v", err)
	}
}

// TestKeysNeverPrinted formats and logs everything that holds pairing keys
// or nonces, with every common verb, as text and JSON, and looks for the
// keys in any encoding.
func TestKeysNeverPrinted(t *testing.T) {
	ctx := context.Background()
	host, err := NewHost("counter-1", hfNewDisplay(), &hfBuzzer{})
	if err != nil {
		t.Fatal(err)
	}
	offer, err := host.BeginPairing(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pending, req, err := Pair(offer.Offer(), "hh")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := host.Accept(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	hp, err := pending.Finish(resp)
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := NewMemLink()
	if err != nil {
		t.Fatal(err)
	}
	hh, err := NewHandheld(a, hp)
	if err != nil {
		t.Fatal(err)
	}
	// Formatted while the offer holds its keys, before Confirm drops them.
	values := []any{hp, &hp, hp.ReceiptKey, pending, offer, hh, host}
	var out strings.Builder
	for _, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d"} {
			fmt.Fprintf(&out, verb+"\n", v)
		}
	}
	for _, h := range []slog.Handler{slog.NewJSONHandler(&out, nil), slog.NewTextHandler(&out, nil)} {
		l := slog.New(h)
		for i, v := range values {
			l.Info("value", "i", i, "v", v)
		}
	}
	if err := offer.Confirm(ctx); err != nil {
		t.Fatal(err)
	}
	stored, err := host.store.Get(ctx, hp.Pairing)
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
		fmt.Fprintf(&out, verb+"\n", stored)
	}
	slog.New(slog.NewJSONHandler(&out, nil)).Info("stored", "p", stored)
	text := out.String()
	if !strings.Contains(text, redacted) || !strings.Contains(text, "counter-1") {
		t.Fatalf("the output lacks the redaction or the host ID:\n%s", text)
	}
	secrets := map[string][]byte{"receipt key": hp.ReceiptKey, "ack key": hp.AckKey, "nonce": resp.Nonce[:]}
	for name, s := range secrets {
		for _, enc := range []string{
			hex.EncodeToString(s[:6]), strings.ToUpper(hex.EncodeToString(s[:6])),
			base64.StdEncoding.EncodeToString(s)[:8], fmt.Sprint([]byte(s[:4]))[1:10], string(s[:6]),
		} {
			if strings.Contains(text, enc) {
				t.Fatalf("the %s appears in the output (%q)", name, enc)
			}
		}
	}
}
