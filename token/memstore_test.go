package token

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/pay"
)

// h1Rec is a record with the given keys; empty arguments stay empty.
func h1Rec(id, value, accountFP, tokenFP, conv string) Record {
	return Record{
		Token:              Token{ID: id, Value: value, Status: StatusActive},
		SealedAccount:      []byte("sealed-" + id),
		AccountFingerprint: accountFP,
		TokenFingerprint:   tokenFP,
		ConvergentKey:      conv,
	}
}

func TestMemStoreCreateUniqueness(t *testing.T) {
	ctx := context.Background()
	s := NewMemStore()
	base := h1Rec("tok_1", "v1", "acct-A", "tokfp-1", "conv-1")
	if err := s.Create(ctx, base); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		r    Record
		err  error
	}{
		{"same value", h1Rec("tok_2", "v1", "acct-B", "tokfp-2", ""), ErrTaken},
		{"same ID", h1Rec("tok_1", "v2", "acct-B", "tokfp-2", ""), ErrTaken},
		{"token fingerprint of another token", h1Rec("tok_2", "v2", "acct-B", "tokfp-1", ""), ErrTaken},
		{"token fingerprint of an account", h1Rec("tok_2", "v2", "acct-B", "acct-A", ""), ErrTaken},
		{"account fingerprint of a token", h1Rec("tok_2", "v2", "tokfp-1", "tokfp-2", ""), ErrTaken},
		{"account fingerprint of a token, opaque", h1Rec("tok_2", "v2", "tokfp-1", "", ""), ErrTaken},
		{"convergent key held", h1Rec("tok_2", "v2", "acct-A", "tokfp-2", "conv-1"), ErrTaken},
		{"same account, new token", h1Rec("tok_2", "v2", "acct-A", "tokfp-2", ""), nil},
		{"opaque tokens carry no token fingerprint", h1Rec("tok_3", "v3", "acct-A", "", ""), nil},
		{"another opaque token", h1Rec("tok_4", "v4", "acct-C", "", "conv-4"), nil},
	}
	for _, tc := range tests {
		err := s.Create(ctx, tc.r)
		if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
			t.Fatalf("%s: Create = %v, want %v", tc.name, err, tc.err)
		}
		if tc.err != nil && tc.r.Token.ID != "tok_1" {
			// A refused record leaves no trace.
			if _, err := s.Get(ctx, tc.r.Token.ID); !errors.Is(err, pay.ErrNotFound) {
				t.Fatalf("%s: the refused record is stored: %v", tc.name, err)
			}
		}
	}
	// Refused creates stored no keys: the refused values are still free.
	if err := s.Create(ctx, h1Rec("tok_5", "v5", "acct-D", "tokfp-5", "conv-5")); err != nil {
		t.Fatalf("after refusals: %v", err)
	}
	got, err := s.ByValue(ctx, "v1")
	if err != nil || got.Token.ID != "tok_1" {
		t.Fatalf("ByValue(v1) = %v, %v", got.Token.ID, err)
	}
	if got, err := s.ByConvergentKey(ctx, "conv-1"); err != nil || got.Token.ID != "tok_1" {
		t.Fatalf("ByConvergentKey(conv-1) = %v, %v", got.Token.ID, err)
	}
	if d := cmp.Diff(base, got); d != "" {
		t.Fatalf("stored record differs (-want +got):\n%s", d)
	}
	for name, f := range map[string]func() error{
		"Get":             func() error { _, err := s.Get(ctx, "tok_9"); return err },
		"ByValue":         func() error { _, err := s.ByValue(ctx, "v9"); return err },
		"ByConvergentKey": func() error { _, err := s.ByConvergentKey(ctx, "conv-9"); return err },
		"UseByID":         func() error { _, err := s.UseByID(ctx, "tku_9"); return err },
		"Uses":            func() error { _, err := s.Uses(ctx, "tok_9", "", 10); return err },
		"Update": func() error {
			_, err := s.Update(ctx, "tok_9", "", func(r Record, u Use) (Record, Use, error) { return r, u, nil })
			return err
		},
	} {
		if err := f(); !errors.Is(err, pay.ErrNotFound) {
			t.Errorf("%s of an unknown key = %v, want ErrNotFound", name, err)
		}
	}
}

func TestMemStoreDeleteFreesConvergentKeyOnly(t *testing.T) {
	ctx := context.Background()
	s := NewMemStore()
	if err := s.Create(ctx, h1Rec("tok_1", "v1", "acct-A", "tokfp-1", "conv-1")); err != nil {
		t.Fatal(err)
	}
	suspend := func(r Record, u Use) (Record, Use, error) { r.Token.Status = StatusSuspended; return r, u, nil }
	if _, err := s.Update(ctx, "tok_1", "", suspend); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, h1Rec("tok_2", "v2", "acct-A", "tokfp-2", "conv-1")); !errors.Is(err, ErrTaken) {
		t.Fatalf("a suspended token's convergent key: Create = %v, want ErrTaken", err)
	}
	del := func(r Record, u Use) (Record, Use, error) { r.Token.Status = StatusDeleted; return r, u, nil }
	if _, err := s.Update(ctx, "tok_1", "", del); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ByConvergentKey(ctx, "conv-1"); !errors.Is(err, pay.ErrNotFound) {
		t.Fatalf("a deleted token still holds its convergent key: %v", err)
	}
	if err := s.Create(ctx, h1Rec("tok_2", "v2", "acct-A", "tokfp-2", "conv-1")); err != nil {
		t.Fatalf("after the delete: %v", err)
	}
	// Updating the deleted token again doesn't take the key from its new
	// holder.
	if _, err := s.Update(ctx, "tok_1", "", del); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ByConvergentKey(ctx, "conv-1"); err != nil || got.Token.ID != "tok_2" {
		t.Fatalf("ByConvergentKey after a second delete = %v, %v; want tok_2", got.Token.ID, err)
	}
	// The deleted token's value and number stay taken: it is never issued
	// again.
	for name, r := range map[string]Record{
		"value":             h1Rec("tok_3", "v1", "acct-B", "tokfp-3", ""),
		"token fingerprint": h1Rec("tok_3", "v3", "acct-B", "tokfp-1", ""),
		"as an account":     h1Rec("tok_3", "v3", "tokfp-1", "tokfp-3", ""),
	} {
		if err := s.Create(ctx, r); !errors.Is(err, ErrTaken) {
			t.Errorf("deleted token's %s: Create = %v, want ErrTaken", name, err)
		}
	}
}

func TestMemStoreUpdateAtomic(t *testing.T) {
	ctx := context.Background()
	s := NewMemStore()
	if err := s.Create(ctx, h1Rec("tok_1", "v1", "acct-A", "tokfp-1", "")); err != nil {
		t.Fatal(err)
	}
	before, _ := s.Get(ctx, "tok_1")
	boom := errors.New("boom")
	_, err := s.Update(ctx, "tok_1", "", func(r Record, _ Use) (Record, Use, error) {
		r.Token.Uses, r.Token.Status = 5, StatusDeleted
		return r, Use{ID: "tku_1", Amount: h1Eur(5)}, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want fn's error", err)
	}
	after, _ := s.Get(ctx, "tok_1")
	if d := cmp.Diff(before, after); d != "" {
		t.Fatalf("a failed Update changed the record:\n%s", d)
	}
	if _, err := s.UseByID(ctx, "tku_1"); !errors.Is(err, pay.ErrNotFound) {
		t.Fatalf("a failed Update saved its use: %v", err)
	}
	if uses, _ := s.Uses(ctx, "tok_1", "", 10); len(uses) != 0 {
		t.Fatalf("a failed Update listed %d uses", len(uses))
	}

	// A successful Update saves both, keeps the keys, and hands fn the use
	// it names.
	saved, err := s.Update(ctx, "tok_1", "", func(r Record, u Use) (Record, Use, error) {
		if u.ID != "" {
			t.Errorf("fn got use %q for an empty use ID", u.ID)
		}
		r.Token.Uses = 1
		r.Token.ID, r.Token.Value = "tok_other", "other"
		return r, Use{ID: "tku_1", Amount: h1Eur(5), Status: UseApproved}, nil
	})
	if err != nil || saved.Token.ID != "tok_1" || saved.Token.Value != "v1" || saved.Token.Uses != 1 {
		t.Fatalf("Update = %+v, %v", saved.Token, err)
	}
	if _, err := s.ByValue(ctx, "other"); !errors.Is(err, pay.ErrNotFound) {
		t.Fatal("Update moved the token's value")
	}
	u, err := s.UseByID(ctx, "tku_1")
	if err != nil || u.TokenID != "tok_1" || u.Amount != h1Eur(5) {
		t.Fatalf("UseByID = %+v, %v", u, err)
	}
	// Replacing the use by ID.
	_, err = s.Update(ctx, "tok_1", "tku_1", func(r Record, u Use) (Record, Use, error) {
		if u.ID != "tku_1" || u.Status != UseApproved {
			t.Errorf("fn got use %+v, want tku_1", u)
		}
		r.Token.Uses = 0
		u.Status = UseReversed
		return r, u, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	uses, _ := s.Uses(ctx, "tok_1", "", 10)
	if len(uses) != 1 || uses[0].Status != UseReversed {
		t.Fatalf("after replacing: %+v", uses)
	}
	// A use ID of another token reaches fn as a zero use.
	if err := s.Create(ctx, h1Rec("tok_2", "v2", "acct-A", "tokfp-2", "")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, "tok_2", "tku_1", func(r Record, u Use) (Record, Use, error) {
		if u.ID != "" {
			t.Errorf("tok_2's fn got tok_1's use")
		}
		return r, Use{}, nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestMemStoreUsesPaging(t *testing.T) {
	ctx := context.Background()
	s := NewMemStore()
	if err := s.Create(ctx, h1Rec("tok_1", "v1", "acct-A", "tokfp-1", "")); err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 25 {
		id := fmt.Sprintf("tku_%02d", i)
		want = append(want, id)
		if _, err := s.Update(ctx, "tok_1", "", func(r Record, _ Use) (Record, Use, error) {
			return r, Use{ID: id, Amount: h1Eur(int64(i + 1))}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	after := ""
	pages := 0
	for {
		page, err := s.Uses(ctx, "tok_1", after, 10)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, u := range page {
			got = append(got, u.ID)
		}
		if len(page) < 10 {
			break
		}
		after = page[len(page)-1].ID
	}
	if d := cmp.Diff(want, got); d != "" || pages != 3 {
		t.Fatalf("paged uses in %d pages (-want +got):\n%s", pages, d)
	}
	if page, err := s.Uses(ctx, "tok_1", "tku_24", 10); err != nil || len(page) != 0 {
		t.Fatalf("after the last use: %v, %v", page, err)
	}
	if page, err := s.Uses(ctx, "tok_1", "", 0); err != nil || len(page) != 0 {
		t.Fatalf("limit 0: %v, %v", page, err)
	}
	if _, err := s.Uses(ctx, "tok_1", "tku_99", 10); !errors.Is(err, pay.ErrInvalidRequest) {
		t.Fatalf("after an unknown use = %v, want ErrInvalidRequest", err)
	}
	// The page is a copy: changing it changes nothing stored.
	page, _ := s.Uses(ctx, "tok_1", "", 1)
	page[0].Amount = h1Eur(999)
	if u, _ := s.UseByID(ctx, "tku_00"); u.Amount != h1Eur(1) {
		t.Fatalf("a listed page aliases the store: %v", u.Amount)
	}
	for i, id := range want {
		if u, err := s.UseByID(ctx, id); err != nil || u.Amount != h1Eur(int64(i+1)) || u.TokenID != "tok_1" {
			t.Fatalf("UseByID(%s) = %+v, %v", id, u, err)
		}
	}
}

// TestMemStoreConcurrent: Create's checks and insert are one step (of 64
// racing creates of one convergent key, or of one number as a token and
// as an account, exactly one wins), and Update is serialised per token.
func TestMemStoreConcurrent(t *testing.T) {
	ctx := context.Background()
	for run := range 20 {
		s := NewMemStore()
		var wins [64]bool
		h1Together(64, func(i int) {
			r := h1Rec(fmt.Sprintf("tok_%d", i), fmt.Sprintf("v%d", i), fmt.Sprintf("acct-%d", i), "", "conv")
			switch { // a quarter race for a convergent key, the rest for the number "n"
			case i%2 == 1:
				r.ConvergentKey, r.TokenFingerprint = "", "n" // as a token
			case i%4 == 2:
				r.ConvergentKey, r.AccountFingerprint = "", "n" // as an account
			}
			err := s.Create(ctx, r)
			if err != nil && !errors.Is(err, ErrTaken) {
				t.Errorf("Create: %v", err)
			}
			wins[i] = err == nil
		})
		var conv, tokens, accounts int
		for i, w := range wins {
			switch {
			case !w:
			case i%4 == 0:
				conv++
			case i%2 == 1:
				tokens++
			default:
				accounts++
			}
		}
		// Accounts may share a number; a token shares it with nothing. So
		// either one token won, or all 16 accounts did.
		if conv != 1 || !(tokens == 1 && accounts == 0 || tokens == 0 && accounts == 16) {
			t.Fatalf("run %d: %d convergent winners, %d tokens and %d accounts of one number", run, conv, tokens, accounts)
		}
	}

	s := NewMemStore()
	if err := s.Create(ctx, h1Rec("tok_1", "v1", "acct-A", "", "")); err != nil {
		t.Fatal(err)
	}
	h1Together(32, func(i int) {
		for j := range 50 {
			if _, err := s.Update(ctx, "tok_1", "", func(r Record, _ Use) (Record, Use, error) {
				r.Token.Uses++
				return r, Use{ID: fmt.Sprintf("tku_%d_%d", i, j)}, nil
			}); err != nil {
				t.Error(err)
			}
		}
	})
	got, _ := s.Get(ctx, "tok_1")
	uses, _ := s.Uses(ctx, "tok_1", "", 10_000)
	if got.Token.Uses != 32*50 || len(uses) != 32*50 {
		t.Fatalf("%d uses counted, %d listed; want %d", got.Token.Uses, len(uses), 32*50)
	}
}
