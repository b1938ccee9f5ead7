package pay

import (
	"math"
	"math/bits"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/text/currency"
)

// Money is an amount in the minor units of an ISO 4217 currency: 1234 CNY is
// ¥12.34, 1234 JPY is ¥1234, 1234 KWD is 1.234 KD. There are no floats
// anywhere near money. On the wire: {"amount":1234,"currency":"CNY"}.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

var exponents sync.Map // currency code -> int

// CurrencyExponent returns the number of minor-unit digits of an ISO 4217
// currency code (CNY 2, JPY 0, KWD 3), taken from golang.org/x/text/currency.
// The code must be three upper-case letters naming a known currency.
func CurrencyExponent(code string) (int, error) {
	if v, ok := exponents.Load(code); ok {
		return v.(int), nil
	}
	if len(code) != 3 || strings.ToUpper(code) != code {
		return 0, Errorf(ErrInvalidRequest, "currency", "currency %q is not an ISO 4217 code", clip(code))
	}
	u, err := currency.ParseISO(code)
	if err != nil {
		return 0, Errorf(ErrInvalidRequest, "currency", "unknown currency %q", clip(code))
	}
	scale, _ := currency.Standard.Rounding(u)
	exponents.Store(code, scale)
	return scale, nil
}

// NewMoney returns amount minor units of currency, checking the currency.
func NewMoney(amount int64, currency string) (Money, error) {
	if _, err := CurrencyExponent(currency); err != nil {
		return Money{}, err
	}
	return Money{Amount: amount, Currency: currency}, nil
}

// ParseMoney strictly parses a decimal string in major units ("12.34") for
// currency. It accepts an optional leading "-", digits, and at most the
// currency's exponent of fraction digits: "12.345" CNY and "1.5" JPY are
// errors, as are "", "1.", ".5", "+1", "1e3", spaces and overflow.
func ParseMoney(s, currency string) (Money, error) {
	exp, err := CurrencyExponent(currency)
	if err != nil {
		return Money{}, err
	}
	bad := func(why string) (Money, error) {
		return Money{}, Errorf(ErrInvalidRequest, "amount", "amount %q %s", clip(s), why)
	}
	neg := false
	rest := s
	if strings.HasPrefix(rest, "-") {
		neg, rest = true, rest[1:]
	}
	whole, frac, hasDot := strings.Cut(rest, ".")
	if whole == "" || !allDigits(whole) {
		return bad("is not a decimal number")
	}
	if hasDot && (frac == "" || !allDigits(frac)) {
		return bad("is not a decimal number")
	}
	if len(frac) > exp {
		return bad("has more than " + strconv.Itoa(exp) + " fraction digits for " + currency)
	}
	digits := whole + frac + strings.Repeat("0", exp-len(frac))
	u, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || u > math.MaxInt64 {
		return bad("overflows int64 minor units")
	}
	v := int64(u)
	if neg {
		v = -v
	}
	return Money{Amount: v, Currency: currency}, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// clip keeps untrusted input short inside error messages.
func clip(s string) string { return Clip(s, 32) }

// Decimal formats m in major units with exactly the currency's exponent of
// fraction digits: "12.34", "-0.05", "1234" (JPY), "1.234" (KWD). An unknown
// currency formats as the bare minor-unit integer.
func (m Money) Decimal() string {
	exp, err := CurrencyExponent(m.Currency)
	if err != nil || exp == 0 {
		return strconv.FormatInt(m.Amount, 10)
	}
	neg := m.Amount < 0
	u := uint64(m.Amount)
	if neg {
		u = -u
	}
	s := strconv.FormatUint(u, 10)
	if len(s) <= exp {
		s = strings.Repeat("0", exp-len(s)+1) + s
	}
	s = s[:len(s)-exp] + "." + s[len(s)-exp:]
	if neg {
		s = "-" + s
	}
	return s
}

// String formats m as "12.34 CNY".
func (m Money) String() string { return m.Decimal() + " " + m.Currency }

// IsZero reports whether the amount is zero.
func (m Money) IsZero() bool { return m.Amount == 0 }

// Add returns m+o. Different currencies and int64 overflow are errors.
func (m Money) Add(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, mismatch(m, o)
	}
	sum, overflow := addInt64(m.Amount, o.Amount)
	if overflow {
		return Money{}, Errorf(ErrInvalidRequest, "amount", "%s + %s overflows", m, o)
	}
	return Money{Amount: sum, Currency: m.Currency}, nil
}

// Sub returns m-o. Different currencies and int64 overflow are errors.
func (m Money) Sub(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, mismatch(m, o)
	}
	if o.Amount == math.MinInt64 {
		return Money{}, Errorf(ErrInvalidRequest, "amount", "%s - %s overflows", m, o)
	}
	diff, overflow := addInt64(m.Amount, -o.Amount)
	if overflow {
		return Money{}, Errorf(ErrInvalidRequest, "amount", "%s - %s overflows", m, o)
	}
	return Money{Amount: diff, Currency: m.Currency}, nil
}

func addInt64(a, b int64) (int64, bool) {
	s, _ := bits.Add64(uint64(a), uint64(b), 0)
	r := int64(s)
	return r, (a >= 0) == (b >= 0) && (r >= 0) != (a >= 0)
}

func mismatch(a, b Money) *Error {
	return Errorf(ErrInvalidRequest, "currency", "currency mismatch: %s and %s", a.Currency, b.Currency)
}

// ValidatePositive checks that m names a known currency and a positive
// amount. param names the request field for the error.
func (m Money) ValidatePositive(param string) error {
	if _, err := CurrencyExponent(m.Currency); err != nil {
		e := err.(*Error)
		e.Param = param + ".currency"
		return e
	}
	if m.Amount <= 0 {
		return Errorf(ErrInvalidRequest, param+".amount", "amount must be positive")
	}
	return nil
}
