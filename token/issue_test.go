package token

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/pay"
)

// Issue validates the account, the format, the requestor and the assurance
// level, and fills the defaults.
func TestIssueRequests(t *testing.T) {
	v, _ := h2Vault(t)
	ctx := context.Background()
	inRange := h2Luhn("999912345678901")
	if !v.BINRange().Contains(inRange) || !LuhnValid(inRange) {
		t.Fatal("fixture: inRange is not a Luhn-valid number in the token range")
	}
	refused := []struct {
		name  string
		c     Caller
		r     IssueRequest
		want  *pay.Error
		param string
	}{
		{"card too short", h2Requestor, IssueRequest{Account: h2Luhn("41111111111"[:10]), AccountType: AccountCard}, pay.ErrInvalidRequest, "account"},
		{"card too long", h2Requestor, IssueRequest{Account: h2Luhn("4111111111111111111"), AccountType: AccountCard}, pay.ErrInvalidRequest, "account"},
		{"card check digit", h2Requestor, IssueRequest{Account: "4111111111111112", AccountType: AccountCard}, pay.ErrInvalidRequest, "account"},
		{"card not digits", h2Requestor, IssueRequest{Account: "4111-1111-1111-1111", AccountType: AccountCard}, pay.ErrInvalidRequest, "account"},
		{"card in token range", h2Requestor, IssueRequest{Account: inRange, AccountType: AccountCard}, ErrTokenRange, "account"},
		{"wallet in token range", h2Requestor, IssueRequest{Account: inRange, AccountType: AccountWallet}, ErrTokenRange, "account"},
		{"empty wallet", h2Requestor, IssueRequest{AccountType: AccountWallet}, pay.ErrInvalidRequest, "account"},
		{"bank with space", h2Requestor, IssueRequest{Account: "DE89 3704", AccountType: AccountBank}, pay.ErrInvalidRequest, "account"},
		{"account type", h2Requestor, IssueRequest{Account: h2PAN, AccountType: "paypal"}, pay.ErrInvalidRequest, "account_type"},
		{"format", h2Requestor, IssueRequest{Account: h2PAN, AccountType: AccountCard, Format: "hex"}, pay.ErrInvalidRequest, "format"},
		{"other requestor", h2Requestor, IssueRequest{Account: h2PAN, AccountType: AccountCard, RequestorID: "other-app"}, pay.ErrForbidden, "requestor_id"},
		{"no requestor", Caller{}, IssueRequest{Account: h2PAN, AccountType: AccountCard}, pay.ErrInvalidRequest, "requestor_id"},
		{"assurance below", h2Requestor, IssueRequest{Account: h2PAN, AccountType: AccountCard, AssuranceLevel: -1}, pay.ErrInvalidRequest, "assurance_level"},
		{"assurance above", h2Requestor, IssueRequest{Account: h2PAN, AccountType: AccountCard, AssuranceLevel: 100}, pay.ErrInvalidRequest, "assurance_level"},
		{"domain", h2Requestor, IssueRequest{Account: h2PAN, AccountType: AccountCard, Domain: "a b"}, pay.ErrInvalidRequest, "domain"},
		{"controls", h2Requestor, IssueRequest{Account: h2PAN, AccountType: AccountCard, Controls: Controls{MaxUses: -1}}, pay.ErrInvalidRequest, "controls.max_uses"},
	}
	for _, tc := range refused {
		_, err := v.Issue(ctx, tc.c, tc.r)
		h2WantErr(t, tc.name, err, tc.want, tc.param)
	}

	accepted := []struct {
		name   string
		c      Caller
		r      IssueRequest
		format Format
		last4  string
		reqID  string
	}{
		{"card", h2Requestor, IssueRequest{Account: h2PAN, AccountType: AccountCard}, FormatNumeric, "1111", "wallet-app"},
		{"12-digit card", h2Requestor, IssueRequest{Account: h2Luhn("50000000001"), AccountType: AccountCard}, FormatNumeric, h2Luhn("50000000001")[8:], "wallet-app"},
		{"19-digit card", h2Requestor, IssueRequest{Account: h2Luhn("622200000000000000"), AccountType: AccountCard}, FormatNumeric, h2Luhn("622200000000000000")[15:], "wallet-app"},
		{"opaque card", h2Requestor, IssueRequest{Account: h2PAN, AccountType: AccountCard, Format: FormatOpaque}, FormatOpaque, "1111", "wallet-app"},
		{"wallet", h2Requestor, IssueRequest{Account: "wal_123", AccountType: AccountWallet}, FormatOpaque, "", "wallet-app"},
		{"numeric bank", h2Requestor, IssueRequest{Account: "DE89370400440532013000", AccountType: AccountBank, Format: FormatNumeric}, FormatNumeric, "", "wallet-app"},
		{"own requestor ID", h2Requestor, IssueRequest{Account: h2PAN, AccountType: AccountCard, RequestorID: "wallet-app"}, FormatNumeric, "1111", "wallet-app"},
		{"issuer for a requestor", h2Issuer, IssueRequest{Account: h2PAN, AccountType: AccountCard, RequestorID: "other-app", AssuranceLevel: 99}, FormatNumeric, "1111", "other-app"},
		{"issuer for itself", h2Issuer, IssueRequest{Account: h2PAN, AccountType: AccountCard}, FormatNumeric, "1111", "bank"},
	}
	for _, tc := range accepted {
		is, err := v.Issue(ctx, tc.c, tc.r)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		tok := is.Token
		if tok.Format != tc.format || tok.AccountLast4 != tc.last4 || tok.RequestorID != tc.reqID || tok.AssuranceLevel != tc.r.AssuranceLevel ||
			tok.AccountType != tc.r.AccountType || tok.Status != StatusActive || !tok.CreatedAt.Equal(h2Start) || len(is.Key) != KeySize || is.Existing {
			t.Errorf("%s: issued %+v (key %d bytes, existing %v)", tc.name, tok, len(is.Key), is.Existing)
		}
		if f, err := ParseToken(tok.Value); err != nil || f != tc.format {
			t.Errorf("%s: ParseToken = %s, %v; want %s", tc.name, f, err, tc.format)
		}
		if tc.format == FormatNumeric && !v.BINRange().Holds(tok.Value) {
			t.Errorf("%s: numeric token outside the vault's range", tc.name)
		}
		if tc.format == FormatOpaque && !strings.HasPrefix(tok.Value, OpaquePrefix) {
			t.Errorf("%s: opaque token without its prefix", tc.name)
		}
		// The requestor owns it, whoever issued it.
		if _, err := v.Get(ctx, Caller{ID: tc.reqID}, tok.ID); err != nil {
			t.Errorf("%s: requestor %s can't get its token: %v", tc.name, tc.reqID, err)
		}
	}
}

// The key handed out at issue signs cryptograms the vault accepts; an
// account check runs first and its error refuses the issue.
func TestIssueKeyAndAccountCheck(t *testing.T) {
	type call struct {
		typ     AccountType
		account string
	}
	var calls []call
	closed := errors.New("account closed")
	v, _ := h2Vault(t, WithAccountCheck(func(_ context.Context, typ AccountType, account string) error {
		calls = append(calls, call{typ, account})
		if account == "wal_closed" {
			return closed
		}
		return nil
	}))
	ctx := context.Background()
	if _, err := v.Issue(ctx, h2Requestor, IssueRequest{Account: "wal_closed", AccountType: AccountWallet}); !errors.Is(err, closed) {
		t.Fatalf("issue for a closed account: err = %v; want the check's error", err)
	}
	is, err := v.Issue(ctx, h2Requestor, IssueRequest{Account: "wal_open", AccountType: AccountWallet, Controls: Controls{RequireCryptogram: true}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []call{{AccountWallet, "wal_closed"}, {AccountWallet, "wal_open"}}; !cmp.Equal(calls, want, cmp.AllowUnexported(call{})) {
		t.Fatalf("account check calls = %+v; want %+v", calls, want)
	}
	if _, err := v.Issue(ctx, h2Requestor, IssueRequest{Account: "bad account", AccountType: AccountWallet}); !errors.Is(err, pay.ErrInvalidRequest) || len(calls) != 2 {
		t.Fatalf("invalid request: err = %v after %d checks; want invalid request before any check", err, len(calls))
	}
	r := UseRequest{Token: is.Token.Value, Amount: h2CNY(100), MerchantID: "shop-1", Mode: ModeInApp}
	if _, err := v.Use(ctx, h2Requestor, h2Sign(t, is, r, 1)); err != nil {
		t.Fatalf("use with a cryptogram under the issued key: %v", err)
	}
	other := h2Issue(t, v, Controls{})
	if string(other.Key) == string(is.Key) {
		t.Fatal("two tokens got the same key")
	}
	_, err = v.Use(ctx, h2Requestor, h2Sign(t, other, r, 2))
	h2WantErr(t, "another token's key", err, ErrCryptogram, "cryptogram")
}

// Convergent issue: same account, requestor and domain → the same token
// (without its key); anything else, or after a delete, a new one. Off by
// default.
func TestConvergentIssue(t *testing.T) {
	ctx := context.Background()
	req := func(domain string) IssueRequest {
		return IssueRequest{Account: h2PAN, AccountType: AccountCard, Domain: domain}
	}
	plain, _ := h2Vault(t)
	a, errA := plain.Issue(ctx, h2Requestor, req("shop-1"))
	b, errB := plain.Issue(ctx, h2Requestor, req("shop-1"))
	if errA != nil || errB != nil || a.Token.ID == b.Token.ID || a.Token.Value == b.Token.Value || b.Existing {
		t.Fatalf("without convergent issue: %v, %v, same token %v", errA, errB, a.Token.ID == b.Token.ID)
	}

	v, _ := h2Vault(t, WithConvergentIssue())
	first, err := v.Issue(ctx, h2Requestor, req("shop-1"))
	if err != nil || first.Existing || len(first.Key) != KeySize {
		t.Fatalf("first convergent issue = existing %v, key %d bytes, %v", first.Existing, len(first.Key), err)
	}
	again, err := v.Issue(ctx, h2Requestor, req("shop-1"))
	if err != nil || !again.Existing || again.Key != nil || !cmp.Equal(again.Token, first.Token) {
		t.Fatalf("second convergent issue = existing %v, key %d bytes, same token %v, %v", again.Existing, len(again.Key), cmp.Equal(again.Token, first.Token), err)
	}
	for name, r := range map[string]struct {
		c Caller
		r IssueRequest
	}{
		"other domain":    {h2Requestor, req("shop-2")},
		"no domain":       {h2Requestor, req("")},
		"other requestor": {Caller{ID: "other-app"}, req("shop-1")},
		"other account":   {h2Requestor, IssueRequest{Account: "5555555555554444", AccountType: AccountCard, Domain: "shop-1"}},
	} {
		is, err := v.Issue(ctx, r.c, r.r)
		if err != nil || is.Existing || is.Token.ID == first.Token.ID || is.Token.Value == first.Token.Value {
			t.Errorf("%s: existing %v, same token %v, %v; want a new token", name, is.Existing, is.Token.ID == first.Token.ID, err)
		}
	}
	if _, err := v.Delete(ctx, h2Requestor, first.Token.ID); err != nil {
		t.Fatal(err)
	}
	fresh, err := v.Issue(ctx, h2Requestor, req("shop-1"))
	if err != nil || fresh.Existing || fresh.Token.ID == first.Token.ID || len(fresh.Key) != KeySize {
		t.Fatalf("issue after delete: existing %v, same token %v, %v; want a new token", fresh.Existing, fresh.Token.ID == first.Token.ID, err)
	}

	// 32 concurrent convergent issues, all past the first lookup before any
	// creates, agree on one token; exactly one of them made it.
	const n = 32
	gated := &h2GateStore{MemStore: NewMemStore(), n: n}
	gated.gate.Add(n)
	v, _ = h2Vault(t, WithConvergentIssue(), WithStore(gated))
	var wg sync.WaitGroup
	got := make([]Issued, n)
	errs := make([]error, n)
	for i := range got {
		wg.Go(func() { got[i], errs[i] = v.Issue(ctx, h2Requestor, req("race")) })
	}
	wg.Wait()
	made := 0
	for i := range got {
		if errs[i] != nil || got[i].Token.ID != got[0].Token.ID {
			t.Fatalf("concurrent issue %d: %v, token %s; want %s", i, errs[i], got[i].Token.ID, got[0].Token.ID)
		}
		if !got[i].Existing {
			made++
		}
	}
	if made != 1 {
		t.Fatalf("%d concurrent issues made a token; want 1", made)
	}
}

// h2GateStore holds the answers of the first n convergent lookups until
// all n have looked, so n concurrent issues all miss and race to create.
type h2GateStore struct {
	*MemStore
	n     int64
	calls atomic.Int64
	gate  sync.WaitGroup
}

func (s *h2GateStore) ByConvergentKey(ctx context.Context, key string) (Record, error) {
	rec, err := s.MemStore.ByConvergentKey(ctx, key)
	if s.calls.Add(1) <= s.n {
		s.gate.Done()
		s.gate.Wait()
	}
	return rec, err
}
