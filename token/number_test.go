package token

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/paykit-go/paykit/pay"
)

func TestNumberLuhnValid(t *testing.T) {
	valid := []string{
		"4111111111111111", "5555555555554444", "378282246310005", "6011111111111117",
		"4012888888881881", "3530111333300000", "30569309025904", "79927398713", "00", "18",
	}
	invalid := []string{
		"4111111111111112", "5555555555554445", "378282246310006", "79927398710",
		"", "0", "4111 1111 1111 1111", "4111-1111-1111-1111", "411111111111111x", "19",
	}
	for _, s := range valid {
		if !LuhnValid(s) {
			t.Errorf("LuhnValid(%q) = false, want true", s)
		}
	}
	for _, s := range invalid {
		if LuhnValid(s) {
			t.Errorf("LuhnValid(%q) = true, want false", s)
		}
	}
}

func TestNumberLuhnDigit(t *testing.T) {
	for payload, want := range map[string]byte{
		"7992739871": '3', "411111111111111": '1', "555555555555444": '4',
		"37828224631000": '5', "0": '0', "1": '8', "": '0',
	} {
		if got := luhnDigit([]byte(payload)); got != want {
			t.Errorf("luhnDigit(%q) = %c, want %c", payload, got, want)
		}
	}
}

func TestNumberBINRangeValidate(t *testing.T) {
	tests := []struct {
		name string
		r    BINRange
		ok   bool
	}{
		{"default", DefaultBINRange, true},
		{"6-digit BINs, 19 digits", BINRange{Start: "999000", End: "999999", Length: 19}, true},
		{"11-digit BIN, 4 random digits", BINRange{Start: "99990000000", End: "99990000009", Length: 16}, true},
		{"one BIN", BINRange{Start: "99990000", End: "99990000", Length: 16}, true},
		{"leading zeros", BINRange{Start: "000998", End: "001002", Length: 16}, true},
		{"start too short", BINRange{Start: "99999", End: "99999", Length: 16}, false},
		{"start too long", BINRange{Start: "999900000000", End: "999900000000", Length: 19}, false},
		{"unequal lengths", BINRange{Start: "999900", End: "9999000", Length: 16}, false},
		{"letters", BINRange{Start: "9999a0", End: "999999", Length: 16}, false},
		{"empty", BINRange{Length: 16}, false},
		{"start after end", BINRange{Start: "99990002", End: "99990001", Length: 16}, false},
		{"15 digits", BINRange{Start: "99990000", End: "99990001", Length: 15}, false},
		{"20 digits", BINRange{Start: "99990000", End: "99990001", Length: 20}, false},
		// The fewest random digits a valid range leaves: an 11-digit BIN in
		// 16 digits leaves 4. (Validate's "at least 4 random digits" rule is
		// implied by the 11-digit and 16-digit bounds, so no range reaches it.)
		{"4 random digits", BINRange{Start: "99990000000", End: "99990000000", Length: 16}, true},
	}
	for _, tc := range tests {
		err := tc.r.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if _, gerr := newGenerator(tc.r); (gerr == nil) != tc.ok {
			t.Errorf("%s: newGenerator error = %v, want ok=%v", tc.name, gerr, tc.ok)
		}
	}
}

func TestNumberBINRangeContainsHolds(t *testing.T) {
	r := BINRange{Start: "99990000", End: "99990004", Length: 16}
	tok := h1Luhn("999900021234567") // BIN 99990002, 16 digits
	for _, tc := range []struct {
		s              string
		contains, hold bool
	}{
		{tok, true, true},
		{h1Luhn("999900001234567"), true, true},                  // first BIN
		{h1Luhn("999900041234567"), true, true},                  // last BIN
		{h1Luhn("999900051234567"), false, false},                // one past the end
		{h1Luhn("999899991234567"), false, false},                // one before the start
		{tok[:15] + string('0'+(tok[15]-'0'+1)%10), true, false}, // bad check digit
		{h1Luhn("99990002123456"), true, false},                  // 15 digits
		{h1Luhn("9999000212345678"), true, false},                // 17 digits
		{"999900021234", true, false},                            // any length is judged by Contains
		{"9999000", false, false},                                // shorter than a BIN
		{"9999000a12345678", false, false},
		{"", false, false},
	} {
		if got := r.Contains(tc.s); got != tc.contains {
			t.Errorf("Contains(%q) = %v, want %v", tc.s, got, tc.contains)
		}
		if got := r.Holds(tc.s); got != tc.hold {
			t.Errorf("Holds(%q) = %v, want %v", tc.s, got, tc.hold)
		}
	}
}

func TestNumberParseToken(t *testing.T) {
	opaque := newOpaque()
	body := opaque[len(OpaquePrefix):]
	tests := []struct {
		name string
		s    string
		want Format // "" for an error
	}{
		{"16 digits", "4111111111111111", FormatNumeric},
		{"17 digits", h1Luhn("4111111111111111"), FormatNumeric},
		{"18 digits", h1Luhn("41111111111111111"), FormatNumeric},
		{"19 digits", h1Luhn("411111111111111111"), FormatNumeric},
		{"15 digits", "378282246310005", ""},
		{"20 digits", h1Luhn("4111111111111111111"), ""},
		{"bad check digit", "4111111111111112", ""},
		{"dashes", "4111-1111-1111-1111", ""},
		{"empty", "", ""},
		{"opaque", opaque, FormatOpaque},
		{"opaque 25", opaque[:len(opaque)-1], ""},
		{"opaque 27", opaque + "a", ""},
		{"opaque bare prefix", OpaquePrefix, ""},
		{"opaque upper case", OpaquePrefix + strings.ToUpper(body), ""},
		{"opaque upper prefix", "PTK_" + body, ""},
		{"opaque digit 1", OpaquePrefix + "1" + body[1:], ""},
		{"opaque digit 8", OpaquePrefix + "8" + body[1:], ""},
		{"opaque dash", OpaquePrefix + "-" + body[1:], ""},
		{"opaque CRLF", OpaquePrefix + body[:24] + "\r\n", ""},
		{"opaque trailing bits", OpaquePrefix + body[:25] + "b", ""},
		{"opaque canonical last", OpaquePrefix + body[:25] + "e", FormatOpaque},
	}
	for _, tc := range tests {
		got, err := ParseToken(tc.s)
		if tc.want == "" {
			if err == nil {
				t.Errorf("%s: ParseToken(%q) = %q, want an error", tc.name, tc.s, got)
				continue
			}
			h1NoEcho(t, tc.name, err.Error(), tc.s)
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: ParseToken(%q) = %q, %v; want %q", tc.name, tc.s, got, err, tc.want)
		}
	}
}

// h1Digits matches digit runs long enough to be part of an account or
// token number.
var h1Digits = regexp.MustCompile(`[0-9]{4,}`)

// h1NoEcho fails if an error text carries a digit run of 4 or more (part
// of a number), the opaque token prefix, or a 16-character-or-longer
// input.
func h1NoEcho(t *testing.T, name, msg, input string) {
	t.Helper()
	if h1Digits.MatchString(msg) || strings.Contains(msg, OpaquePrefix) || len(input) >= 16 && strings.Contains(msg, input) {
		t.Errorf("%s: error %q may echo the input", name, msg)
	}
}

// h1Luhn appends the Luhn check digit to payload.
func h1Luhn(payload string) string {
	return payload + string(luhnDigit([]byte(payload)))
}

func TestNumberGeneratorRanges(t *testing.T) {
	for _, r := range []BINRange{
		{Start: "000998", End: "001002", Length: 19},           // zero-padded BINs crossing a digit boundary
		{Start: "99990000000", End: "99990000002", Length: 16}, // 4 random digits
		{Start: "999999", End: "999999", Length: 17},
		{Start: "99990000", End: "99990003", Length: 18},
	} {
		g, err := newGenerator(r)
		if err != nil {
			t.Fatal(err)
		}
		start, _ := strconv.Atoi(r.Start)
		end, _ := strconv.Atoi(r.End)
		seen := map[string]int{}
		for i := range 20_000 {
			s := g.next()
			if !r.Holds(s) || !LuhnValid(s) || len(s) != r.Length {
				t.Fatalf("range %+v: draw %d is not a token of the range", r, i)
			}
			seen[s[:len(r.Start)]]++
		}
		if len(seen) != end-start+1 {
			t.Errorf("range %+v: %d BINs drawn, want all %d", r, len(seen), end-start+1)
		}
		for b := start; b <= end; b++ {
			bin := fmt.Sprintf("%0*d", len(r.Start), b)
			if want := 20_000 / (end - start + 1); seen[bin] < want*9/10 || seen[bin] > want*11/10 {
				t.Errorf("range %+v: BIN %s drawn %d times, want about %d", r, bin, seen[bin], want)
			}
		}
	}
}

// TestNumberMillionTokens draws 1,000,000 numeric tokens the way Issue
// does (a draw that is taken, by a vaulted account number or by an earlier
// token, is drawn again) from a range small enough that draws do collide
// with 100,000 account numbers seeded inside it: 5 BINs times 10^7 random
// parts. Every token is Luhn-valid and in range, no two are equal, none
// equals a vaulted number, and the collision counts match a uniform draw
// over the whole space.
func TestNumberMillionTokens(t *testing.T) {
	const (
		n       = 1_000_000
		vaulted = 100_000
		bins    = 5
		space   = bins * 10_000_000
		random  = 7 // 16 - 8 (BIN) - 1 (check digit)
	)
	r := BINRange{Start: "99990000", End: "99990004", Length: 16}
	// Sets of numbers of the range are bitsets indexed by the number
	// without its check digit (which Holds has checked follows from the
	// rest), less the range's first: maps of a million entries are slow
	// under -race.
	const first = 99990000_0000000
	index := func(s string) uint64 { return h1Uint(t, s)/10 - first }
	pans := h1Bits(space)
	pg, err := newGenerator(r)
	if err != nil {
		t.Fatal(err)
	}
	for pans.count < vaulted {
		pans.add(index(pg.next()))
	}

	g, err := newGenerator(r)
	if err != nil {
		t.Fatal(err)
	}
	taken := h1Bits(space)
	tokens := make([]uint64, 0, n)
	var binCount [bins]int
	var digitCount [random][10]int
	vaultHits, dupHits := 0, 0
	for draws := 0; len(tokens) < n; draws++ {
		s := g.next()
		if !r.Holds(s) {
			t.Fatalf("draw %d is not a Luhn-valid token of the range", draws)
		}
		i := index(s)
		switch {
		case pans.has(i):
			vaultHits++
		case taken.has(i):
			dupHits++
		default:
			taken.add(i)
			tokens = append(tokens, i)
			binCount[s[7]-'0']++
			for k := range random {
				digitCount[k][s[8+k]-'0']++
			}
		}
	}

	// Check the outcome independently of the sets that produced it.
	seen := h1Bits(space)
	for i, v := range tokens {
		if seen.has(v) {
			t.Fatalf("token %d repeats an earlier one", i)
		}
		seen.add(v)
		if pans.has(v) {
			t.Fatalf("token %d equals a vaulted account number", i)
		}
	}
	// The draws really collide (so the taken check is what keeps tokens
	// off vaulted numbers), at the rate of a uniform draw: about
	// n*vaulted/space = 2,000 vault hits and n*n/(2*space) = 10,000
	// repeats. A generator using a tenth of the space would repeat ten
	// times as often.
	if vaultHits < 1_500 || vaultHits > 2_600 {
		t.Errorf("%d draws hit a vaulted number, want about %d", vaultHits, n*vaulted/space)
	}
	if dupHits < 8_500 || dupHits > 11_500 {
		t.Errorf("%d draws repeated a token, want about %d", dupHits, n/2*n/space)
	}
	for b, c := range binCount {
		if c < n/bins*98/100 || c > n/bins*102/100 {
			t.Errorf("BIN 9999000%d drawn %d times, want about %d", b, c, n/bins)
		}
	}
	for pos, counts := range digitCount {
		for d, c := range counts {
			if c < n/10*975/1000 || c > n/10*1025/1000 {
				t.Errorf("digit %d at random position %d drawn %d times, want about %d", d, pos, c, n/10)
			}
		}
	}
}

// h1BitSet is a set of small integers.
type h1BitSet struct {
	words []uint64
	count int
}

func h1Bits(n int) *h1BitSet { return &h1BitSet{words: make([]uint64, (n+63)/64)} }

func (b *h1BitSet) has(i uint64) bool { return b.words[i/64]&(1<<(i%64)) != 0 }

func (b *h1BitSet) add(i uint64) {
	if !b.has(i) {
		b.words[i/64] |= 1 << (i % 64)
		b.count++
	}
}

func h1Uint(t *testing.T, s string) uint64 {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("a drawn token does not parse: %v", err)
	}
	return v
}

// h1FullRange is a range of one 11-digit BIN and 16 digits: 10,000
// numbers, all listed by h1RangeNumbers.
var h1FullRange = BINRange{Start: "99990000000", End: "99990000000", Length: 16}

func h1RangeNumbers() []string {
	out := make([]string, 10_000)
	for i := range out {
		out[i] = h1Luhn(fmt.Sprintf("%s%04d", h1FullRange.Start, i))
	}
	return out
}

// h1Vaulted stores records whose accounts are the given numbers, as a
// store shared with an earlier range (or an older vault) could hold.
func h1Vaulted(t *testing.T, v *Vault, numbers []string) {
	t.Helper()
	for _, n := range numbers {
		rec := Record{
			Token:              Token{ID: pay.NewID(PrefixToken), Value: newOpaque(), Format: FormatOpaque, Status: StatusActive},
			AccountFingerprint: v.keys.fingerprint(n),
		}
		if err := v.store.Create(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
}

// TestNumberIssueSkipsVaultedNumbers issues 1,000 numeric tokens through
// Vault.Issue from a 10,000-number range where 2,000 numbers are vaulted
// account numbers: about a fifth of the draws hit one, and Issue (through
// the store's fingerprint rule) never hands one out.
func TestNumberIssueSkipsVaultedNumbers(t *testing.T) {
	v := h1Vault(t, WithBINRange(h1FullRange))
	all := h1RangeNumbers()
	vaulted := map[string]bool{}
	for _, i := range h1Rand(t).Perm(len(all))[:2_000] {
		vaulted[all[i]] = true
	}
	h1Vaulted(t, v, h1Keys(vaulted))
	ctx := context.Background()
	seen := map[string]bool{}
	for i := range 1_000 {
		iss, err := v.Issue(ctx, h1Owner, IssueRequest{Account: fmt.Sprintf("w-%d", i), AccountType: AccountWallet, Format: FormatNumeric})
		if err != nil {
			t.Fatalf("issue %d: %v", i, err)
		}
		val := iss.Token.Value
		switch {
		case !h1FullRange.Holds(val):
			t.Fatalf("issue %d: token not in range", i)
		case vaulted[val]:
			t.Fatalf("issue %d: token equals a vaulted account number", i)
		case seen[val]:
			t.Fatalf("issue %d: token issued twice", i)
		}
		seen[val] = true
	}
}

// TestNumberIssueFullRange: when every number of the range is a vaulted
// account, Issue gives up with ErrUnavailable rather than reuse one.
func TestNumberIssueFullRange(t *testing.T) {
	v := h1Vault(t, WithBINRange(h1FullRange))
	h1Vaulted(t, v, h1RangeNumbers())
	_, err := v.Issue(context.Background(), h1Owner, IssueRequest{Account: "w-1", AccountType: AccountWallet, Format: FormatNumeric})
	if !errors.Is(err, pay.ErrUnavailable) {
		t.Fatalf("Issue in a full range = %v, want ErrUnavailable", err)
	}
	// An opaque token for the same account still issues.
	if _, err := v.Issue(context.Background(), h1Owner, IssueRequest{Account: "w-1", AccountType: AccountWallet}); err != nil {
		t.Fatalf("opaque issue: %v", err)
	}
}

func h1Keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
