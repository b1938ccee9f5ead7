package token

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

// h2Luhn completes payload with its Luhn check digit.
func h2Luhn(payload string) string { return payload + string(luhnDigit([]byte(payload))) }

// Suspension belongs to the party that made it: the other party can't
// lift it, the issuer's overrides the requestor's, and while it lasts every
// use is refused.
func TestSuspendResumeParties(t *testing.T) {
	v, _ := h2Vault(t)
	ctx := context.Background()
	id := h2Issue(t, v, Controls{}).Token.ID
	value := func() string { tok, _ := v.Get(ctx, h2Issuer, id); return tok.Value }()
	type step struct {
		who        Caller
		op         string // suspend, resume
		want       *pay.Error
		status     Status
		by         Party
		useRefused bool
	}
	steps := []step{
		{h2Requestor, "suspend", nil, StatusSuspended, PartyRequestor, true},
		{h2Issuer, "resume", ErrWrongParty, StatusSuspended, PartyRequestor, true},
		{h2Requestor, "resume", nil, StatusActive, "", false},
		{h2Requestor, "resume", pay.ErrConflict, StatusActive, "", false},
		{h2Issuer, "suspend", nil, StatusSuspended, PartyIssuer, true},
		{h2Requestor, "resume", ErrWrongParty, StatusSuspended, PartyIssuer, true},
		{h2Requestor, "suspend", ErrWrongParty, StatusSuspended, PartyIssuer, true},
		{h2Issuer, "resume", nil, StatusActive, "", false},
		{h2Requestor, "suspend", nil, StatusSuspended, PartyRequestor, true},
		{h2Requestor, "suspend", nil, StatusSuspended, PartyRequestor, true}, // again: no change of party
		{h2Issuer, "suspend", nil, StatusSuspended, PartyIssuer, true},       // the issuer overrides
		{h2Requestor, "resume", ErrWrongParty, StatusSuspended, PartyIssuer, true},
		{h2Issuer, "resume", nil, StatusActive, "", false},
	}
	for i, s := range steps {
		op := v.Suspend
		if s.op == "resume" {
			op = v.Resume
		}
		_, err := op(ctx, s.who, id)
		if s.want == nil && err != nil || s.want != nil && (!errors.Is(err, s.want) || h2Param(err) != "token_id") {
			t.Fatalf("step %d: %s %s: err = %v; want %v", i, s.who.ID, s.op, err, s.want)
		}
		tok, _ := v.Get(ctx, h2Requestor, id)
		if tok.Status != s.status || tok.SuspendedBy != s.by {
			t.Fatalf("step %d: %s %s: token %s by %q; want %s by %q", i, s.who.ID, s.op, tok.Status, tok.SuspendedBy, s.status, s.by)
		}
		_, err = v.Use(ctx, h2Requestor, h2Debit(value, 1))
		if s.useRefused {
			h2WantErr(t, "use while suspended", err, ErrSuspended, "token")
		} else if err != nil {
			t.Fatalf("step %d: use of an active token: %v", i, err)
		}
	}
}

// Once Suspend returns, no use succeeds, even with uses racing it.
func TestSuspendStopsConcurrentUses(t *testing.T) {
	v, _ := h2Vault(t)
	ctx := context.Background()
	is := h2Issue(t, v, Controls{})
	var suspended atomic.Bool
	var late, approved atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				after := suspended.Load()
				_, err := v.Use(ctx, h2Acceptor, h2Debit(is.Token.Value, 1))
				switch {
				case err == nil && after:
					late.Add(1)
				case err == nil:
					approved.Add(1)
				case !errors.Is(err, ErrDeclined):
					t.Error(err)
				}
			}
		})
	}
	for approved.Load() < 50 {
		time.Sleep(50 * time.Microsecond)
	}
	if _, err := v.Suspend(ctx, h2Issuer, is.Token.ID); err != nil {
		t.Fatal(err)
	}
	suspended.Store(true)
	wg.Wait()
	tok, _ := v.Get(ctx, h2Issuer, is.Token.ID)
	if late.Load() != 0 || tok.Uses != approved.Load() {
		t.Fatalf("%d uses approved after Suspend returned; token counts %d uses, %d approved before", late.Load(), tok.Uses, approved.Load())
	}
}

// Deleted is final: nothing resumes, suspends or updates it, every use is
// refused (ErrDeleted to the owner), and deleting again changes nothing.
func TestDeleteIsFinal(t *testing.T) {
	v, clk := h2Vault(t)
	ctx := context.Background()
	is := h2Issue(t, v, Controls{})
	id := is.Token.ID
	if _, err := v.Suspend(ctx, h2Issuer, id); err != nil {
		t.Fatal(err)
	}
	del, err := v.Delete(ctx, h2Requestor, id)
	if err != nil || del.Status != StatusDeleted || del.SuspendedBy != "" {
		t.Fatalf("Delete = %s by %q, %v", del.Status, del.SuspendedBy, err)
	}
	clk.Advance(time.Hour)
	for _, c := range []Caller{h2Requestor, h2Issuer} {
		for name, op := range map[string]func() (Token, error){
			"resume":  func() (Token, error) { return v.Resume(ctx, c, id) },
			"suspend": func() (Token, error) { return v.Suspend(ctx, c, id) },
			"update":  func() (Token, error) { return v.UpdateControls(ctx, c, id, Controls{MaxUses: 5}) },
		} {
			_, err := op()
			h2WantErr(t, c.ID+" "+name, err, ErrDeleted, "token_id")
		}
		_, err := v.Use(ctx, c, h2Debit(is.Token.Value, 1))
		h2WantErr(t, c.ID+" use", err, ErrDeleted, "token")
		again, err := v.Delete(ctx, c, id)
		if err != nil || !cmp.Equal(again, del) {
			t.Fatalf("second delete by %s = %+v, %v; want the token unchanged %+v", c.ID, again, err, del)
		}
	}
	_, err = v.Use(ctx, h2Acceptor, h2Debit(is.Token.Value, 1))
	h2WantErr(t, "non-owner use", err, ErrDeclined, "")
	if tok, err := v.Get(ctx, h2Requestor, id); err != nil || !cmp.Equal(tok, del) {
		t.Fatalf("Get after refused changes = %+v, %v; want %+v", tok, err, del)
	}
}

// To anyone but its owners a token doesn't exist: every management call
// says not found, exactly as for an unknown token.
func TestNonOwnerSeesNotFound(t *testing.T) {
	v, _ := h2Vault(t)
	ctx := context.Background()
	id := h2Issue(t, v, Controls{}).Token.ID
	unknown := pay.NewID(PrefixToken)
	ops := map[string]func(c Caller, id string) error{
		"get":     func(c Caller, id string) error { _, err := v.Get(ctx, c, id); return err },
		"suspend": func(c Caller, id string) error { _, err := v.Suspend(ctx, c, id); return err },
		"resume":  func(c Caller, id string) error { _, err := v.Resume(ctx, c, id); return err },
		"delete":  func(c Caller, id string) error { _, err := v.Delete(ctx, c, id); return err },
		"update": func(c Caller, id string) error {
			_, err := v.UpdateControls(ctx, c, id, Controls{MaxUses: 1})
			return err
		},
		"uses": func(c Caller, id string) error { _, err := v.Uses(ctx, c, id, "", 10); return err },
		"detokenize": func(c Caller, id string) error {
			c.Detokenize = true
			_, _, err := v.Detokenize(ctx, c, id)
			return err
		},
	}
	for name, op := range ops {
		for _, c := range []Caller{h2Acceptor, {ID: "other-app"}, {}} {
			err := op(c, id)
			if !errors.Is(err, pay.ErrNotFound) {
				t.Errorf("%s by %q: err = %v; want not found", name, c.ID, err)
				continue
			}
			if unk := op(c, unknown); unk == nil || unk.Error() != err.Error() {
				t.Errorf("%s by %q: %q for a token, %v for an unknown one; want the same", name, c.ID, err, unk)
			}
		}
		if err := op(h2Requestor, "tok_NOT-AN-ID"); !errors.Is(err, pay.ErrInvalidRequest) || h2Param(err) != "token_id" {
			t.Errorf("%s of a malformed ID: err = %v; want invalid token_id", name, err)
		}
	}
	tok, _ := v.Get(ctx, h2Issuer, id)
	if tok.Status != StatusActive || tok.Controls.MaxUses != 0 {
		t.Fatalf("non-owners changed the token: %+v", tok)
	}
}

// UpdateControls replaces the controls and keeps the counters; new amount
// limits must be in the currency already spent in; bad controls are
// refused with the field at fault and change nothing.
func TestUpdateControls(t *testing.T) {
	v, _ := h2Vault(t)
	ctx := context.Background()
	is := h2Issue(t, v, Controls{})
	id := is.Token.ID
	if _, err := v.Use(ctx, h2Acceptor, h2Debit(is.Token.Value, 80)); err != nil {
		t.Fatal(err)
	}
	_, err := v.UpdateControls(ctx, h2Requestor, id, Controls{CumulativeLimit: pay.Money{Amount: 100, Currency: "USD"}})
	h2WantErr(t, "limit in another currency than spent", err, pay.ErrInvalidRequest, "controls")
	tok, err := v.UpdateControls(ctx, h2Requestor, id, Controls{CumulativeLimit: h2CNY(100), MaxUses: 3})
	if err != nil || tok.Uses != 1 || tok.Spent != h2CNY(80) || tok.Controls.CumulativeLimit != h2CNY(100) {
		t.Fatalf("UpdateControls = %+v, %v; want uses 1, spent 0.80 CNY, the new limit", tok, err)
	}
	_, err = v.Use(ctx, h2Requestor, h2Debit(is.Token.Value, 21))
	h2WantErr(t, "past the new limit", err, ErrAmountLimit, "amount")
	if _, err := v.Use(ctx, h2Requestor, h2Debit(is.Token.Value, 20)); err != nil {
		t.Fatalf("up to the new limit: %v", err)
	}

	// An unspent token may change currency; its counter follows.
	fresh := h2Issue(t, v, Controls{PerUseLimit: h2CNY(100)})
	tok, err = v.UpdateControls(ctx, h2Issuer, fresh.Token.ID, Controls{PerUseLimit: pay.Money{Amount: 5, Currency: "USD"}})
	if err != nil || tok.Spent != (pay.Money{Currency: "USD"}) {
		t.Fatalf("currency change of an unspent token = spent %v, %v; want 0 USD", tok.Spent, err)
	}
	_, err = v.Use(ctx, h2Requestor, h2Debit(fresh.Token.Value, 1))
	h2WantErr(t, "old currency after the change", err, ErrDomain, "amount.currency")

	// The caller's slices are copied in.
	merchants := []string{"shop-1"}
	if _, err := v.UpdateControls(ctx, h2Requestor, fresh.Token.ID, Controls{Merchants: merchants}); err != nil {
		t.Fatal(err)
	}
	merchants[0] = "shop-2"
	if tok, _ := v.Get(ctx, h2Requestor, fresh.Token.ID); tok.Controls.Merchants[0] != "shop-1" {
		t.Fatalf("the vault's controls alias the caller's slice: %v", tok.Controls.Merchants)
	}

	before := h2Snapshot(t, v, id)
	long := strings.Repeat("x", 65)
	for _, tc := range []struct {
		ctl   Controls
		param string
	}{
		{Controls{MaxUses: -1}, "controls.max_uses"},
		{Controls{MaxUses: 1_000_000_001}, "controls.max_uses"},
		{Controls{PerUseLimit: h2CNY(-5)}, "controls.per_use_limit.amount"},
		{Controls{PerUseLimit: pay.Money{Amount: 5}}, "controls.per_use_limit.currency"},
		{Controls{CumulativeLimit: pay.Money{Amount: 5, Currency: "XYZ"}}, "controls.cumulative_limit.currency"},
		{Controls{PerUseLimit: h2CNY(5), CumulativeLimit: pay.Money{Amount: 5, Currency: "USD"}}, "controls.cumulative_limit"},
		{Controls{NotBefore: h2Start, Expires: h2Start}, "controls.expires"},
		{Controls{Channels: make([]string, 101)}, "controls.channels"},
		{Controls{Channels: []string{"web shop"}}, "controls.channels"},
		{Controls{Merchants: []string{""}}, "controls.merchants"},
		{Controls{Terminals: []string{long}}, "controls.terminals"},
		{Controls{DeviceID: "phone\n1"}, "controls.device_id"},
		{Controls{Modes: []Mode{ModeQR, ModeQR, ModeQR, ModeQR, ModeQR}}, "controls.modes"},
		{Controls{Modes: []Mode{"nfc"}}, "controls.modes"},
	} {
		_, err := v.UpdateControls(ctx, h2Requestor, id, tc.ctl)
		h2WantErr(t, tc.param, err, pay.ErrInvalidRequest, tc.param)
	}
	if d := cmp.Diff(before, h2Snapshot(t, v, id)); d != "" {
		t.Fatalf("refused updates changed the token:\n%s", d)
	}
}

// h2SlowStore is a store whose Update first waits out the clock, as if the
// use had queued behind others on the token's lock.
type h2SlowStore struct {
	*MemStore
	clk  *clock.Fake
	wait time.Duration
}

func (s h2SlowStore) Update(ctx context.Context, id, useID string, fn func(Record, Use) (Record, Use, error)) (Record, error) {
	s.clk.Advance(s.wait)
	return s.MemStore.Update(ctx, id, useID, fn)
}

// A use that reaches the token's lock after the token expired is refused,
// even though it arrived before: expiry is judged when the approval would
// take effect.
func TestApprovalAfterExpiryRefused(t *testing.T) {
	clk := clock.NewFake(h2Start)
	v, err := New(h2Master, WithClock(clk), WithStore(h2SlowStore{MemStore: NewMemStore(), clk: clk, wait: 2 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	is, err := v.Issue(context.Background(), h2Requestor, IssueRequest{Account: "4111111111111111", AccountType: AccountCard,
		Controls: Controls{Expires: h2Start.Add(time.Second)}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Use(context.Background(), h2Requestor, h2Debit(is.Token.Value, 100))
	h2WantErr(t, "use approved after expiry", err, ErrExpired, "token")
	if got, _ := v.Get(context.Background(), h2Requestor, is.Token.ID); got.Uses != 0 {
		t.Fatalf("uses = %d after a refused use", got.Uses)
	}
}
