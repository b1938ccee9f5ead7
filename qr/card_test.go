package qr

import (
	"errors"
	"math"
	mrand "math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/token"
)

// h7NumericToken returns a Luhn-valid token of n digits drawn from rng.
func h7NumericToken(rng *mrand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + rng.IntN(10))
	}
	for d := byte('0'); d <= '9'; d++ {
		b[n-1] = d
		if token.LuhnValid(string(b)) {
			return string(b)
		}
	}
	panic("no Luhn digit")
}

// h7OpaqueToken returns an opaque token of 16 bytes drawn from rng.
func h7OpaqueToken(rng *mrand.Rand) string {
	var b [16]byte
	for i := range b {
		b[i] = byte(rng.IntN(256))
	}
	return token.OpaquePrefix + strings.ToLower(tokenEncoding.EncodeToString(b[:]))
}

// h7Card is a valid card with a 16-character holder and a 19-digit token.
func h7Card() Card {
	nb := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return Card{
		ID:        "svc_aaaqeayeaudao",
		Holder:    "Li Xiaoming 0042",
		Token:     "6250941006528599966",
		Balance:   pay.Money{Amount: 9_999_999, Currency: "CNY"},
		Uses:      50,
		NotBefore: nb,
		Expires:   nb.Add(365 * 24 * time.Hour),
		Seq:       10_000,
	}
}

// h7RandomCard returns a random valid card, exercising every field's range.
func h7RandomCard(rng *mrand.Rand) Card {
	var id [8]byte
	for i := range id {
		id[i] = byte(rng.IntN(256))
	}
	holder := func() string {
		const alphabet = "abcXYZ 019-_.张伟李娜é"
		var sb strings.Builder
		n := 1 + rng.IntN(20)
		for range n {
			r := []rune(alphabet)[rng.IntN(len([]rune(alphabet)))]
			if sb.Len()+len(string(r)) > MaxHolderLen {
				break
			}
			sb.WriteRune(r)
		}
		if sb.Len() == 0 {
			return "x"
		}
		return sb.String()
	}
	c := Card{
		ID:      formatCardID(id),
		KeyID:   rng.Uint32() >> uint(rng.IntN(32)),
		Holder:  holder(),
		Balance: pay.Money{Amount: rng.Int64() >> uint(rng.IntN(64)), Currency: []string{"CNY", "JPY", "KWD", "USD", "EUR", "HKD"}[rng.IntN(6)]},
		Uses:    rng.IntN(MaxUses+2) - 1,
		Seq:     rng.Uint64() >> uint(rng.IntN(64)),
	}
	if rng.IntN(2) == 0 {
		c.Token = h7NumericToken(rng, 16+rng.IntN(4))
	} else {
		c.Token = h7OpaqueToken(rng)
	}
	if rng.IntN(3) == 0 {
		c.PrevHolder = holder()
	}
	nb := rng.Int64N(maxUnix)
	c.NotBefore = time.Unix(nb, 0).UTC()
	c.Expires = time.Unix(nb+1+rng.Int64N(maxUnix-nb), 0).UTC()
	return c
}

func TestNewCardID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewCardID()
		if len(id) != 17 || !strings.HasPrefix(id, "svc_") {
			t.Fatalf("NewCardID() = %q, want svc_ and 13 characters", id)
		}
		if _, ok := parseCardID(id); !ok {
			t.Fatalf("parseCardID(%q) refused a fresh ID", id)
		}
		if seen[id] {
			t.Fatalf("NewCardID repeated %q", id)
		}
		seen[id] = true
	}
	if len(seen) != 1000 {
		t.Fatalf("%d distinct IDs, want 1000", len(seen))
	}
}

func TestParseCardIDStrict(t *testing.T) {
	for _, id := range []string{
		"", "svc_", "svc_aaaqeayeaudao2", "svc_aaaqeayeauda", "SVC_aaaqeayeaudao",
		"svc_AAAQEAYEAUDAO", "svc_aaaqeayeaudap", // last character carries a non-zero trailing bit
		"svc_aaaqeayeaudq1", "tok_aaaqeayeaudaq",
	} {
		if _, ok := parseCardID(id); ok {
			t.Errorf("parseCardID(%q) accepted", id)
		}
	}
	if b, ok := parseCardID("svc_aaaqeayeaudao"); !ok || b != [8]byte{0, 1, 2, 3, 4, 5, 6, 7} {
		t.Errorf("parseCardID(svc_aaaqeayeaudao) = %v, %v; want 0..7, true", b, ok)
	}
}

func TestValidate(t *testing.T) {
	if err := h7Card().Validate(); err != nil {
		t.Fatalf("valid card refused: %v", err)
	}
	tests := []struct {
		name  string
		edit  func(*Card)
		param string
	}{
		{"bad id", func(c *Card) { c.ID = "svc_x" }, "id"},
		{"empty id", func(c *Card) { c.ID = "" }, "id"},
		{"empty holder", func(c *Card) { c.Holder = "" }, "holder"},
		{"33-byte holder", func(c *Card) { c.Holder = strings.Repeat("a", 33) }, "holder"},
		{"holder not UTF-8", func(c *Card) { c.Holder = "ab\xffcd" }, "holder"},
		{"holder with newline", func(c *Card) { c.Holder = "ab\ncd" }, "holder"},
		{"33-byte prev holder", func(c *Card) { c.PrevHolder = strings.Repeat("é", 16) + "a" }, "prev_holder"},
		{"prev holder not UTF-8", func(c *Card) { c.PrevHolder = "\xc3" }, "prev_holder"},
		{"empty token", func(c *Card) { c.Token = "" }, "token"},
		{"15-digit PAN-like token", func(c *Card) { c.Token = "378282246310005" }, "token"},
		{"non-Luhn token", func(c *Card) { c.Token = "6250941006528599967" }, "token"},
		{"20-digit token", func(c *Card) { c.Token = "62509410065285999660" }, "token"},
		{"upper-case opaque token", func(c *Card) { c.Token = "ptk_AAAAAAAAAAAAAAAAAAAAAAAAAA" }, "token"},
		{"negative balance", func(c *Card) { c.Balance.Amount = -1 }, "balance.amount"},
		{"unknown currency", func(c *Card) { c.Balance.Currency = "XYZ" }, "balance.currency"},
		{"lower-case currency", func(c *Card) { c.Balance.Currency = "cny" }, "balance.currency"},
		{"empty currency", func(c *Card) { c.Balance.Currency = "" }, "balance.currency"},
		{"uses -2", func(c *Card) { c.Uses = -2 }, "uses"},
		{"uses over max", func(c *Card) { c.Uses = MaxUses + 1 }, "uses"},
		{"expires = not-before", func(c *Card) { c.Expires = c.NotBefore }, "expires"},
		{"expires within the same second", func(c *Card) { c.Expires = c.NotBefore.Add(999 * time.Millisecond) }, "expires"},
		{"expires before not-before", func(c *Card) { c.Expires = c.NotBefore.Add(-time.Hour) }, "expires"},
		{"zero not-before", func(c *Card) { c.NotBefore = time.Time{} }, "not_before"},
		{"not-before before 1970", func(c *Card) { c.NotBefore = time.Unix(-1, 0) }, "not_before"},
		{"expires after 9999", func(c *Card) { c.Expires = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "expires"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := h7Card()
			tt.edit(&c)
			err := c.Validate()
			var pe *pay.Error
			if !errors.As(err, &pe) || !errors.Is(err, pay.ErrInvalidRequest) {
				t.Fatalf("Validate() = %v, want a pay.ErrInvalidRequest", err)
			}
			if pe.Param != tt.param {
				t.Errorf("Param = %q, want %q", pe.Param, tt.param)
			}
			if strings.Contains(err.Error(), c.Token) && c.Token != "" {
				t.Errorf("error %q echoes the token", err)
			}
			if _, merr := MarshalCard(c); merr == nil {
				t.Errorf("MarshalCard accepted a card Validate refuses")
			}
		})
	}
	// Edges that are valid.
	for name, edit := range map[string]func(*Card){
		"unlimited uses":      func(c *Card) { c.Uses = UnlimitedUses },
		"zero uses":           func(c *Card) { c.Uses = 0 },
		"max uses":            func(c *Card) { c.Uses = MaxUses },
		"zero balance":        func(c *Card) { c.Balance.Amount = 0 },
		"max balance":         func(c *Card) { c.Balance.Amount = math.MaxInt64 },
		"32-byte holder":      func(c *Card) { c.Holder = strings.Repeat("张", 10) + "ab" },
		"one-second window":   func(c *Card) { c.Expires = c.NotBefore.Add(time.Second) },
		"16-digit token":      func(c *Card) { c.Token = "4111111111111111" },
		"opaque token":        func(c *Card) { c.Token = "ptk_aaaaaaaaaaaaaaaaaaaaaaaaaa" },
		"epoch not-before":    func(c *Card) { c.NotBefore = time.Unix(0, 0) },
		"last second of 9999": func(c *Card) { c.Expires = time.Unix(maxUnix, 0) },
		"prev holder":         func(c *Card) { c.PrevHolder = "Wang Fang" },
	} {
		c := h7Card()
		edit(&c)
		if err := c.Validate(); err != nil {
			t.Errorf("%s: Validate() = %v, want nil", name, err)
		}
	}
}
