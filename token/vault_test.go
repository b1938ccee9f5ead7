package token

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

// Shared fixtures of the vault behaviour tests (prefix h2).
var (
	h2Master    = bytes.Repeat([]byte{7}, 32)
	h2Start     = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	h2Requestor = Caller{ID: "wallet-app"}
	h2Issuer    = Caller{ID: "bank", Issuer: true}
	h2Acceptor  = Caller{ID: "shop"}
)

const h2PAN = "4111111111111111"

// h2Vault is a vault on a fake clock standing at h2Start.
func h2Vault(t testing.TB, opts ...Option) (*Vault, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(h2Start)
	v, err := New(h2Master, append([]Option{WithClock(clk)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return v, clk
}

// h2Issue issues a card token for h2PAN to h2Requestor.
func h2Issue(t testing.TB, v *Vault, ctl Controls) Issued {
	t.Helper()
	is, err := v.Issue(context.Background(), h2Requestor, IssueRequest{Account: h2PAN, AccountType: AccountCard, Controls: ctl})
	if err != nil {
		t.Fatal(err)
	}
	return is
}

func h2CNY(a int64) pay.Money { return pay.Money{Amount: a, Currency: "CNY"} }

// h2Debit is a plain QR debit of amount CNY minor units at merchant shop-1.
func h2Debit(tok string, amount int64) UseRequest {
	return UseRequest{Token: tok, Amount: h2CNY(amount), MerchantID: "shop-1", Mode: ModeQR}
}

// h2Sign adds to r the cryptogram of r under the token's key.
func h2Sign(t testing.TB, is Issued, r UseRequest, counter uint32) UseRequest {
	t.Helper()
	cg, err := NewCryptogram(is.Key, CryptogramInput{Token: r.Token, Amount: r.Amount, MerchantID: r.MerchantID, Counter: counter, Nonce: []byte{1, 2, 3, 4}})
	if err != nil {
		t.Fatal(err)
	}
	r.Cryptogram = cg
	return r
}

// h2State is what a refusal must leave alone: the token and its uses.
type h2State struct {
	Token Token
	Uses  []Use
}

func h2Snapshot(t testing.TB, v *Vault, id string) h2State {
	t.Helper()
	ctx := context.Background()
	tok, err := v.Get(ctx, h2Issuer, id)
	if err != nil {
		t.Fatal(err)
	}
	uses, err := v.Uses(ctx, h2Issuer, id, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	return h2State{tok, uses}
}

// h2Param is the Param of a *pay.Error, or "<not a pay.Error>".
func h2Param(err error) string {
	var pe *pay.Error
	if !errors.As(err, &pe) {
		return "<not a pay.Error>"
	}
	return pe.Param
}

// h2WantErr fails unless err matches kind with the given Param.
func h2WantErr(t testing.TB, what string, err error, kind *pay.Error, param string) {
	t.Helper()
	if !errors.Is(err, kind) || h2Param(err) != param {
		t.Fatalf("%s: err = %v; want %s with param %q", what, err, kind.Code, param)
	}
}

// Each control on its own: the allowed use passes; the refused one tells
// the owner (requestor or issuer) which control refused it, tells a
// non-owner only ErrDeclined, and changes nothing.
func TestUseControls(t *testing.T) {
	hour := h2Start.Add(time.Hour)
	debit := func(amount int64) func(*testing.T, Issued) UseRequest {
		return func(_ *testing.T, is Issued) UseRequest { return h2Debit(is.Token.Value, amount) }
	}
	with := func(f func(*UseRequest)) func(*testing.T, Issued) UseRequest {
		return func(_ *testing.T, is Issued) UseRequest { r := h2Debit(is.Token.Value, 100); f(&r); return r }
	}
	signed := func(amount int64, counter uint32) func(*testing.T, Issued) UseRequest {
		return func(t *testing.T, is Issued) UseRequest {
			return h2Sign(t, is, h2Debit(is.Token.Value, amount), counter)
		}
	}
	cases := []struct {
		name        string
		ctl         Controls
		before      int // approved uses of 1 CNY minor unit made first
		ok, bad     func(*testing.T, Issued) UseRequest
		okAt, badAt time.Time // clock for each use (zero: h2Start)
		want        *pay.Error
		param       string
	}{
		{name: "max uses", ctl: Controls{MaxUses: 3}, before: 2, ok: debit(1), bad: debit(1), want: ErrUseLimit, param: "token"},
		{name: "per-use limit", ctl: Controls{PerUseLimit: h2CNY(100)}, ok: debit(100), bad: debit(101), want: ErrAmountLimit, param: "amount"},
		{name: "cumulative limit", ctl: Controls{CumulativeLimit: h2CNY(100)}, before: 40, ok: debit(60), bad: debit(1), want: ErrAmountLimit, param: "amount"},
		{name: "not before", ctl: Controls{NotBefore: hour}, ok: debit(1), okAt: hour, bad: debit(1), badAt: hour.Add(-time.Nanosecond), want: ErrExpired, param: "token"},
		{name: "expiry", ctl: Controls{Expires: hour}, ok: debit(1), okAt: hour.Add(-time.Nanosecond), bad: debit(1), badAt: hour, want: ErrExpired, param: "token"},
		{name: "channels", ctl: Controls{Channels: []string{"web", "app"}}, ok: with(func(r *UseRequest) { r.Channel = "app" }), bad: with(func(r *UseRequest) { r.Channel = "pos" }), want: ErrDomain, param: "channel"},
		{name: "no channel", ctl: Controls{Channels: []string{"web"}}, ok: with(func(r *UseRequest) { r.Channel = "web" }), bad: debit(1), want: ErrDomain, param: "channel"},
		{name: "merchants", ctl: Controls{Merchants: []string{"shop-1"}}, ok: debit(1), bad: with(func(r *UseRequest) { r.MerchantID = "shop-2" }), want: ErrDomain, param: "merchant_id"},
		{name: "terminals", ctl: Controls{Terminals: []string{"T1"}}, ok: with(func(r *UseRequest) { r.TerminalID = "T1" }), bad: with(func(r *UseRequest) { r.TerminalID = "T2" }), want: ErrDomain, param: "terminal_id"},
		{name: "bound device", ctl: Controls{DeviceID: "phone-1"}, ok: with(func(r *UseRequest) { r.DeviceID = "phone-1" }), bad: with(func(r *UseRequest) { r.DeviceID = "phone-2" }), want: ErrDomain, param: "device_id"},
		{name: "bound device, none given", ctl: Controls{DeviceID: "phone-1"}, ok: with(func(r *UseRequest) { r.DeviceID = "phone-1" }), bad: debit(1), want: ErrDomain, param: "device_id"},
		{name: "modes", ctl: Controls{Modes: []Mode{ModeContactless, ModeInApp}}, ok: with(func(r *UseRequest) { r.Mode = ModeInApp }), bad: with(func(r *UseRequest) { r.Mode = ModeQR }), want: ErrDomain, param: "mode"},
		{name: "require cryptogram", ctl: Controls{RequireCryptogram: true}, ok: signed(100, 1), bad: debit(100), want: ErrCryptogram, param: "cryptogram"},
		{name: "replayed cryptogram", ok: signed(100, 1), bad: signed(100, 1), want: ErrCryptogram, param: "cryptogram"},
		{name: "stale cryptogram counter", ok: signed(100, 5), bad: signed(100, 4), want: ErrCryptogram, param: "cryptogram"},
		{name: "altered amount", ok: signed(100, 1), bad: func(t *testing.T, is Issued) UseRequest {
			r := h2Sign(t, is, h2Debit(is.Token.Value, 100), 2)
			r.Amount.Amount = 99
			return r
		}, want: ErrCryptogram, param: "cryptogram"},
		{name: "altered merchant", ok: signed(100, 1), bad: func(t *testing.T, is Issued) UseRequest {
			r := h2Sign(t, is, h2Debit(is.Token.Value, 100), 2)
			r.MerchantID = "shop-2"
			return r
		}, want: ErrCryptogram, param: "cryptogram"},
		{name: "another token's key", ok: signed(100, 1), bad: func(t *testing.T, is Issued) UseRequest {
			is.Key = deriveKey(h2Master, "tok_other")
			return h2Sign(t, is, h2Debit(is.Token.Value, 100), 2)
		}, want: ErrCryptogram, param: "cryptogram"},
		{name: "limit currency", ctl: Controls{PerUseLimit: h2CNY(100)}, ok: debit(100), bad: with(func(r *UseRequest) { r.Amount.Currency = "USD" }), want: ErrDomain, param: "amount.currency"},
		{name: "cumulative limit currency", ctl: Controls{CumulativeLimit: h2CNY(100)}, ok: debit(100), bad: with(func(r *UseRequest) { r.Amount = pay.Money{Amount: 1, Currency: "JPY"} }), want: ErrDomain, param: "amount.currency"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, clk := h2Vault(t)
			ctx := context.Background()
			is := h2Issue(t, v, tc.ctl)
			for i := range tc.before {
				if _, err := v.Use(ctx, h2Acceptor, h2Debit(is.Token.Value, 1)); err != nil {
					t.Fatalf("use %d before: %v", i, err)
				}
			}
			at := func(tm time.Time) {
				if tm.IsZero() {
					tm = h2Start
				}
				clk.Set(tm)
			}
			at(tc.okAt)
			if _, err := v.Use(ctx, h2Acceptor, tc.ok(t, is)); err != nil {
				t.Fatalf("allowed use refused: %v", err)
			}
			at(tc.badAt)
			bad := tc.bad(t, is)
			before := h2Snapshot(t, v, is.Token.ID)
			for _, owner := range []Caller{h2Requestor, h2Issuer} {
				_, err := v.Use(ctx, owner, bad)
				h2WantErr(t, "owner "+owner.ID, err, tc.want, tc.param)
			}
			_, err := v.Use(ctx, h2Acceptor, bad)
			h2WantErr(t, "non-owner", err, ErrDeclined, "")
			if errors.Is(err, tc.want) {
				t.Fatalf("non-owner error %v reveals %s", err, tc.want.Code)
			}
			if d := cmp.Diff(before, h2Snapshot(t, v, is.Token.ID)); d != "" {
				t.Fatalf("refusals changed the token (-before +after):\n%s", d)
			}
		})
	}
}

// Every refusal a non-owner can meet reads the same, byte for byte, as
// ErrDeclined; the same requests tell the issuer the real reason.
func TestUseRefusalsUniform(t *testing.T) {
	v, clk := h2Vault(t)
	ctx := context.Background()
	issue := func(ctl Controls) Issued { return h2Issue(t, v, ctl) }
	plain := issue(Controls{})
	suspended := issue(Controls{})
	if _, err := v.Suspend(ctx, h2Requestor, suspended.Token.ID); err != nil {
		t.Fatal(err)
	}
	deleted := issue(Controls{})
	if _, err := v.Delete(ctx, h2Issuer, deleted.Token.ID); err != nil {
		t.Fatal(err)
	}
	expired := issue(Controls{Expires: h2Start.Add(time.Minute)})
	merchant := issue(Controls{Merchants: []string{"shop-9"}})
	limited := issue(Controls{PerUseLimit: h2CNY(50)})
	spent := issue(Controls{MaxUses: 1})
	if _, err := v.Use(ctx, h2Acceptor, h2Debit(spent.Token.Value, 1)); err != nil {
		t.Fatal(err)
	}
	crypto := issue(Controls{RequireCryptogram: true})
	device := issue(Controls{DeviceID: "phone-1", Modes: []Mode{ModeContactless}})
	clk.Advance(time.Hour)

	g, _ := newGenerator(DefaultBINRange)
	altered := h2Sign(t, crypto, h2Debit(crypto.Token.Value, 100), 1)
	altered.Amount.Amount++
	reqs := map[string]UseRequest{
		"unknown numeric":    h2Debit(g.next(), 100),
		"unknown opaque":     h2Debit(newOpaque(), 100),
		"suspended":          h2Debit(suspended.Token.Value, 100),
		"deleted":            h2Debit(deleted.Token.Value, 100),
		"expired":            h2Debit(expired.Token.Value, 100),
		"wrong merchant":     h2Debit(merchant.Token.Value, 100),
		"over limit":         h2Debit(limited.Token.Value, 100),
		"uses spent":         h2Debit(spent.Token.Value, 100),
		"missing cryptogram": h2Debit(crypto.Token.Value, 100),
		"altered cryptogram": altered,
		"malformed cryptogram": func() UseRequest {
			r := h2Debit(plain.Token.Value, 100)
			r.Cryptogram = "AAAA"
			return r
		}(),
		"wrong device": func() UseRequest {
			r := h2Debit(device.Token.Value, 100)
			r.Mode, r.DeviceID = ModeContactless, "phone-2"
			return r
		}(),
		"wrong mode": func() UseRequest { r := h2Debit(device.Token.Value, 100); r.DeviceID = "phone-1"; return r }(),
	}
	want := "paykit: token_declined: the token was declined"
	for name, r := range reqs {
		for _, c := range []Caller{h2Acceptor, {ID: "other-app"}, {ID: "platform", Detokenize: true}, {}} {
			_, err := v.Use(ctx, c, r)
			if err == nil || err.Error() != want {
				t.Errorf("%s, caller %q: err = %v; want %q", name, c.ID, err, want)
			}
		}
		_, err := v.Use(ctx, h2Issuer, r)
		if err == nil || errors.Is(err, ErrDeclined) {
			t.Errorf("%s: issuer err = %v; want the real reason", name, err)
		}
	}
}

// Credit uses (a top-up) skip the use and amount limits and the merchant
// and channel lists, obey every other control, and move no counter.
func TestCreditUses(t *testing.T) {
	v, clk := h2Vault(t)
	ctx := context.Background()
	is := h2Issue(t, v, Controls{
		MaxUses: 1, PerUseLimit: h2CNY(10), CumulativeLimit: h2CNY(10), Merchants: []string{"shop-1"}, Channels: []string{"web"},
		Terminals: []string{"topup-1"}, DeviceID: "phone-1", Modes: []Mode{ModeContactless}, RequireCryptogram: true,
		Expires: h2Start.Add(time.Hour),
	})
	credit := func(counter uint32, f func(*UseRequest)) UseRequest {
		r := UseRequest{Token: is.Token.Value, Kind: UseCredit, Amount: h2CNY(500_00), TerminalID: "topup-1", DeviceID: "phone-1", Mode: ModeContactless}
		if f != nil {
			f(&r)
		}
		return h2Sign(t, is, r, counter)
	}
	for c := uint32(1); c <= 3; c++ {
		res, err := v.Use(ctx, h2Acceptor, credit(c, nil))
		if err != nil {
			t.Fatalf("credit %d: %v", c, err)
		}
		if res.Use.Kind != UseCredit || res.Use.Counter != c {
			t.Fatalf("credit %d recorded as %+v", c, res.Use)
		}
	}
	tok, _ := v.Get(ctx, h2Issuer, is.Token.ID)
	if tok.Uses != 0 || tok.Spent != h2CNY(0) || tok.LastCounter != 3 {
		t.Fatalf("after credits: uses %d, spent %v, last counter %d; want 0, 0.00 CNY, 3", tok.Uses, tok.Spent, tok.LastCounter)
	}
	refused := []struct {
		name  string
		r     UseRequest
		want  *pay.Error
		param string
	}{
		{"device", credit(10, func(r *UseRequest) { r.DeviceID = "phone-2" }), ErrDomain, "device_id"},
		{"terminal", credit(11, func(r *UseRequest) { r.TerminalID = "topup-2" }), ErrDomain, "terminal_id"},
		{"mode", credit(12, func(r *UseRequest) { r.Mode = ModeQR }), ErrDomain, "mode"},
		{"cryptogram", func() UseRequest { r := credit(13, nil); r.Cryptogram = ""; return r }(), ErrCryptogram, "cryptogram"},
		{"replay", credit(3, nil), ErrCryptogram, "cryptogram"},
	}
	for _, tc := range refused {
		_, err := v.Use(ctx, h2Requestor, tc.r)
		h2WantErr(t, tc.name, err, tc.want, tc.param)
	}
	if _, err := v.Suspend(ctx, h2Issuer, is.Token.ID); err != nil {
		t.Fatal(err)
	}
	_, err := v.Use(ctx, h2Requestor, credit(20, nil))
	h2WantErr(t, "suspended", err, ErrSuspended, "token")
	if _, err := v.Resume(ctx, h2Issuer, is.Token.ID); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	_, err = v.Use(ctx, h2Requestor, credit(21, nil))
	h2WantErr(t, "expired", err, ErrExpired, "token")
}
