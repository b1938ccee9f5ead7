package randid

import "testing"

func TestNewIsPrefixedUniqueAndValid(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id := New("pay")
		if !Valid(id, "pay") {
			t.Fatalf("New produced invalid id %q", id)
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
	}
	for _, bad := range []string{"", "pay", "pay_", "acct_abc", "pay_ABC", "pay_a-b"} {
		if Valid(bad, "pay") {
			t.Errorf("Valid(%q) = true", bad)
		}
	}
}
