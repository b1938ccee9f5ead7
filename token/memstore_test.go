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
	base := h1Rec(h1T1, "v1", "acct-A", "tokfp-1", "conv-1")
	if err := s.Create(ctx, base); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		r    Record
		err  error
	}{
		{"same value", h1Rec(h1T2, "v1", "acct-B", "tokfp-2", ""), ErrTaken},
		{"same ID", h1Rec(h1T1, "v2", "acct-B", "tokfp-2", ""), ErrTaken},
		{"token fingerprint of another token", h1Rec(h1T2, "v2", "acct-B", "tokfp-1", ""), ErrTaken},
		{"token fingerprint of an account", h1Rec(h1T2, "v2", "acct-B", "acct-A", ""), ErrTaken},
		{"account fingerprint of a token", h1Rec(h1T2, "v2", "tokfp-1", "tokfp-2", ""), ErrTaken},
		{"account fingerprint of a token, opaque", h1Rec(h1T2, "v2", "tokfp-1", "", ""), ErrTaken},
		{"convergent key held", h1Rec(h1T2, "v2", "acct-A", "tokfp-2", "conv-1"), ErrTaken},
		{"same account, new token", h1Rec(h1T2, "v2", "acct-A", "tokfp-2", ""), nil},
		{"opaque tokens carry no token fingerprint", h1Rec("tok_3", "v3", "acct-A", "", ""), nil},
		{"another opaque token", h1Rec("tok_4", "v4", "acct-C", "", "conv-4"), nil},
	}
	for _, tc := range tests {
		err := s.Create(ctx, tc.r)
		if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
			t.Fatalf("%s: Create = %v, want %v", tc.name, err, tc.err)
		}
		if tc.err != nil && tc.r.Token.ID != h1T1 {
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
	if err != nil || got.Token.ID != h1T1 {
		t.Fatalf("ByValue(v1) = %v, %v", got.Token.ID, err)
	}
	if got, err := s.ByConvergentKey(ctx, "conv-1"); err != nil || got.Token.ID != h1T1 {
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
	if err := s.Create(ctx, h1Rec(h1T1, "v1", "acct-A", "tokfp-1", "conv-1")); err != nil {
		t.Fatal(err)
	}
	suspend := func(r Record, u Use) (Record, Use, error) { r.Token.Status = StatusSuspended; return r, u, nil }
	if _, err := s.Update(ctx, h1T1, "", suspend); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, h1Rec(h1T2, "v2", "acct-A", "tokfp-2", "conv-1")); !errors.Is(err, ErrTaken) {
		t.Fatalf("a suspended token's convergent key: Create = %v, want ErrTaken", err)
	}
	del := func(r Record, u Use) (Record, Use, error) { r.Token.Status = StatusDeleted; return r, u, nil }
	if _, err := s.Update(ctx, h1T1, "", del); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ByConvergentKey(ctx, "conv-1"); !errors.Is(err, pay.ErrNotFound) {
		t.Fatalf("a deleted token still holds its convergent key: %v", err)
	}
	if err := s.Create(ctx, h1Rec(h1T2, "v2", "acct-A", "tokfp-2", "conv-1")); err != nil {
		t.Fatalf("after the delete: %v", err)
	}
	// Updating the deleted token again doesn't take the key from its new
	// holder.
	if _, err := s.Update(ctx, h1T1, "", del); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ByConvergentKey(ctx, "conv-1"); err != nil || got.Token.ID != h1T2 {
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

// Token IDs as the vault makes them, so use IDs can name them.
const (
	h1T1 = "tok_aaaaaaaaaaaaaaaaaaaaaaaaaa"
	h1T2 = "tok_bbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func TestMemStoreUpdateAtomic(t *testing.T) {
	ctx := context.Background()
	s := NewMemStore()
	if err := s.Create(ctx, h1Rec(h1T1, "v1", "acct-A", "tokfp-1", "")); err != nil {
		t.Fatal(err)
	}
	before, _ := s.Get(ctx, h1T1)
	boom := errors.New("boom")
	_, err := s.Update(ctx, h1T1, "", func(r Record, _ Use) (Record, Use, error) {
		r.Token.Uses, r.Token.Status, r.UseCount = 5, StatusDeleted, 1
		return r, Use{ID: UseID(h1T1, 1), Amount: h1Eur(5)}, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want fn's error", err)
	}
	after, _ := s.Get(ctx, h1T1)
	if d := cmp.Diff(before, after); d != "" {
		t.Fatalf("a failed Update changed the record:\n%s", d)
	}
	if _, err := s.UseByID(ctx, UseID(h1T1, 1)); !errors.Is(err, pay.ErrNotFound) {
		t.Fatalf("a failed Update saved its use: %v", err)
	}
	if uses, _ := s.Uses(ctx, h1T1, "", 10); len(uses) != 0 {
		t.Fatalf("a failed Update listed %d uses", len(uses))
	}

	// A successful Update saves both, keeps the keys, and hands fn the use
	// it names.
	saved, err := s.Update(ctx, h1T1, "", func(r Record, u Use) (Record, Use, error) {
		if u.ID != "" {
			t.Errorf("fn got use %q for an empty use ID", u.ID)
		}
		r.Token.Uses = 1
		r.Token.ID, r.Token.Value = "tok_other", "other"
		r.UseCount++
		return r, Use{ID: UseID(h1T1, 1), Amount: h1Eur(5), Status: UseApproved}, nil
	})
	if err != nil || saved.Token.ID != h1T1 || saved.Token.Value != "v1" || saved.Token.Uses != 1 {
		t.Fatalf("Update = %+v, %v", saved.Token, err)
	}
	if _, err := s.ByValue(ctx, "other"); !errors.Is(err, pay.ErrNotFound) {
		t.Fatal("Update moved the token's value")
	}
	u, err := s.UseByID(ctx, UseID(h1T1, 1))
	if err != nil || u.TokenID != h1T1 || u.Amount != h1Eur(5) {
		t.Fatalf("UseByID = %+v, %v", u, err)
	}
	// Replacing the use by ID.
	_, err = s.Update(ctx, h1T1, UseID(h1T1, 1), func(r Record, u Use) (Record, Use, error) {
		if u.ID != UseID(h1T1, 1) || u.Status != UseApproved {
			t.Errorf("fn got use %+v, want tku_1", u)
		}
		r.Token.Uses = 0
		u.Status = UseReversed
		return r, u, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	uses, _ := s.Uses(ctx, h1T1, "", 10)
	if len(uses) != 1 || uses[0].Status != UseReversed {
		t.Fatalf("after replacing: %+v", uses)
	}
	// A use ID of another token reaches fn as a zero use.
	if err := s.Create(ctx, h1Rec(h1T2, "v2", "acct-A", "tokfp-2", "")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, h1T2, UseID(h1T1, 1), func(r Record, u Use) (Record, Use, error) {
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
	if err := s.Create(ctx, h1Rec(h1T1, "v1", "acct-A", "tokfp-1", "")); err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 25 {
		id := UseID(h1T1, int64(i+1))
		want = append(want, id)
		if _, err := s.Update(ctx, h1T1, "", func(r Record, _ Use) (Record, Use, error) {
			r.UseCount++
			return r, Use{ID: id, Amount: h1Eur(int64(i + 1))}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	after := ""
	pages := 0
	for {
		page, err := s.Uses(ctx, h1T1, after, 10)
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
	if page, err := s.Uses(ctx, h1T1, UseID(h1T1, 25), 10); err != nil || len(page) != 0 {
		t.Fatalf("after the last use: %v, %v", page, err)
	}
	if page, err := s.Uses(ctx, h1T1, "", 0); err != nil || len(page) != 0 {
		t.Fatalf("limit 0: %v, %v", page, err)
	}
	if _, err := s.Uses(ctx, h1T1, UseID(h1T1, 99), 10); !errors.Is(err, pay.ErrInvalidRequest) {
		t.Fatalf("after an unknown use = %v, want ErrInvalidRequest", err)
	}
	// The page is a copy: changing it changes nothing stored.
	page, _ := s.Uses(ctx, h1T1, "", 1)
	page[0].Amount = h1Eur(999)
	if u, _ := s.UseByID(ctx, UseID(h1T1, 1)); u.Amount != h1Eur(1) {
		t.Fatalf("a listed page aliases the store: %v", u.Amount)
	}
	for i, id := range want {
		if u, err := s.UseByID(ctx, id); err != nil || u.Amount != h1Eur(int64(i+1)) || u.TokenID != h1T1 {
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
	if err := s.Create(ctx, h1Rec(h1T1, "v1", "acct-A", "", "")); err != nil {
		t.Fatal(err)
	}
	h1Together(32, func(int) {
		for range 50 {
			if _, err := s.Update(ctx, h1T1, "", func(r Record, _ Use) (Record, Use, error) {
				r.Token.Uses++
				r.UseCount++
				return r, Use{ID: UseID(h1T1, r.UseCount)}, nil
			}); err != nil {
				t.Error(err)
			}
		}
	})
	got, _ := s.Get(ctx, h1T1)
	uses, _ := s.Uses(ctx, h1T1, "", 10_000)
	if got.Token.Uses != 32*50 || len(uses) != 32*50 {
		t.Fatalf("%d uses counted, %d listed; want %d", got.Token.Uses, len(uses), 32*50)
	}
}

// The store refuses a new use that is not the token's next, or that the
// record doesn't count, and then changes nothing.
func TestMemStoreUseSequence(t *testing.T) {
	ctx := context.Background()
	s := NewMemStore()
	if err := s.Create(ctx, h1Rec(h1T1, "v1", "acct-A", "", "")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		id    string
		count int64
	}{
		{"skips a number", UseID(h1T1, 2), 2},
		{"another token's", UseID(h1T2, 1), 1},
		{"not counted", UseID(h1T1, 1), 0},
		{"not a use ID", "tku_1", 1},
	} {
		_, err := s.Update(ctx, h1T1, "", func(r Record, _ Use) (Record, Use, error) {
			r.UseCount, r.Token.Uses = tc.count, 7
			return r, Use{ID: tc.id}, nil
		})
		got, _ := s.Get(ctx, h1T1)
		if err == nil || got.Token.Uses != 0 || got.UseCount != 0 {
			t.Errorf("%s: err %v, record %+v", tc.name, err, got)
		}
	}
}

func TestSplitUseID(t *testing.T) {
	id := UseID(h1T1, 42)
	if tid, seq, ok := SplitUseID(id); !ok || tid != h1T1 || seq != 42 {
		t.Fatalf("SplitUseID(%q) = %q, %d, %v", id, tid, seq, ok)
	}
	if !pay.ValidID(id, PrefixUse) {
		t.Fatalf("%q is not a valid paykit ID", id)
	}
	for _, bad := range []string{"", "tku_", "tku_aaaaaaaaaaaaaaaaaaaaaaaaaa", "tku_aaaaaaaaaaaaaaaaaaaaaaaaaa0", "tku_aaaaaaaaaaaaaaaaaaaaaaaaaa01",
		"tku_aaaaaaaaaaaaaaaaaaaaaaaaa11", "tku_Aaaaaaaaaaaaaaaaaaaaaaaaaa1", "tok_aaaaaaaaaaaaaaaaaaaaaaaaaa1", "tku_aaaaaaaaaaaaaaaaaaaaaaaaaa99999999999999999999"} {
		if _, _, ok := SplitUseID(bad); ok {
			t.Errorf("SplitUseID(%q) accepted", bad)
		}
	}
}
