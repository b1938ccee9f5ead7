package pay

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestCurrencyExponent(t *testing.T) {
	for _, tc := range []struct {
		code string
		want int
	}{{"CNY", 2}, {"JPY", 0}, {"KWD", 3}, {"USD", 2}, {"EUR", 2}} {
		got, err := CurrencyExponent(tc.code)
		if err != nil || got != tc.want {
			t.Errorf("CurrencyExponent(%q) = %d, %v; want %d", tc.code, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "cny", "CN", "CNYY", "ZZZ", "12A"} {
		_, err := CurrencyExponent(bad)
		var pe *Error
		if !errors.Is(err, ErrInvalidRequest) || !errors.As(err, &pe) || pe.Param != "currency" {
			t.Errorf("CurrencyExponent(%q) err = %v; want invalid_request on currency", bad, err)
		}
	}
}

func TestParseMoney(t *testing.T) {
	for _, tc := range []struct {
		in, cur string
		want    int64
	}{
		{"12.34", "CNY", 1234}, {"12.3", "CNY", 1230}, {"12", "CNY", 1200}, {"0.05", "CNY", 5},
		{"-0.05", "CNY", -5}, {"1500", "JPY", 1500}, {"1.234", "KWD", 1234},
		{"92233720368547758.07", "CNY", math.MaxInt64},
	} {
		got, err := ParseMoney(tc.in, tc.cur)
		if err != nil || got != (Money{tc.want, tc.cur}) {
			t.Errorf("ParseMoney(%q, %s) = %v, %v; want %d", tc.in, tc.cur, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, cur string }{
		{"12.345", "CNY"}, {"1.5", "JPY"}, {"", "CNY"}, {"1.", "CNY"}, {".5", "CNY"},
		{"+1", "CNY"}, {"1e3", "CNY"}, {" 1", "CNY"}, {"1,00", "CNY"}, {"--1", "CNY"},
		{"92233720368547758.08", "CNY"}, {"99999999999999999999", "JPY"}, {"1", "XYZ"},
	} {
		if _, err := ParseMoney(tc.in, tc.cur); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("ParseMoney(%q, %s) err = %v; want invalid_request", tc.in, tc.cur, err)
		}
	}
}

func TestMoneyDecimalAndString(t *testing.T) {
	for _, tc := range []struct {
		m    Money
		want string
	}{
		{Money{1234, "CNY"}, "12.34 CNY"}, {Money{5, "CNY"}, "0.05 CNY"}, {Money{-5, "CNY"}, "-0.05 CNY"},
		{Money{1234, "JPY"}, "1234 JPY"}, {Money{1234, "KWD"}, "1.234 KWD"},
		{Money{math.MinInt64, "CNY"}, "-92233720368547758.08 CNY"},
	} {
		if got := tc.m.String(); got != tc.want {
			t.Errorf("%#v.String() = %q; want %q", tc.m, got, tc.want)
		}
		if tc.m.Amount != math.MinInt64 {
			back, err := ParseMoney(tc.m.Decimal(), tc.m.Currency)
			if err != nil || back != tc.m {
				t.Errorf("round trip of %v = %v, %v", tc.m, back, err)
			}
		}
	}
}

func TestMoneyArithmetic(t *testing.T) {
	a, b := Money{1000, "CNY"}, Money{250, "CNY"}
	if s, err := a.Add(b); err != nil || s != (Money{1250, "CNY"}) {
		t.Errorf("Add = %v, %v", s, err)
	}
	if d, err := b.Sub(a); err != nil || d != (Money{-750, "CNY"}) {
		t.Errorf("Sub = %v, %v", d, err)
	}
	bad := []func() (Money, error){
		func() (Money, error) { return a.Add(Money{1, "USD"}) },
		func() (Money, error) { return a.Sub(Money{1, "USD"}) },
		func() (Money, error) { return Money{math.MaxInt64, "CNY"}.Add(Money{1, "CNY"}) },
		func() (Money, error) { return Money{math.MinInt64, "CNY"}.Add(Money{-1, "CNY"}) },
		func() (Money, error) { return Money{0, "CNY"}.Sub(Money{math.MinInt64, "CNY"}) },
		func() (Money, error) { return Money{math.MinInt64, "CNY"}.Sub(Money{1, "CNY"}) },
	}
	for i, f := range bad {
		if m, err := f(); !errors.Is(err, ErrInvalidRequest) || m != (Money{}) {
			t.Errorf("case %d = %v, %v; want invalid_request and zero Money", i, m, err)
		}
	}
}

func TestMoneyValidatePositive(t *testing.T) {
	if err := (Money{1, "CNY"}).ValidatePositive("amount"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		m     Money
		param string
	}{{Money{0, "CNY"}, "amount.amount"}, {Money{-1, "CNY"}, "amount.amount"}, {Money{1, "ZZZ"}, "amount.currency"}, {Money{1, ""}, "amount.currency"}} {
		var pe *Error
		err := tc.m.ValidatePositive("amount")
		if !errors.As(err, &pe) || pe.Code != "invalid_request" || pe.Param != tc.param {
			t.Errorf("ValidatePositive(%#v) = %v; want param %s", tc.m, err, tc.param)
		}
	}
}

func TestMoneyJSON(t *testing.T) {
	b, err := json.Marshal(Money{1234, "CNY"})
	if err != nil || string(b) != `{"amount":1234,"currency":"CNY"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var m Money
	if err := json.Unmarshal(b, &m); err != nil || m != (Money{1234, "CNY"}) {
		t.Fatalf("Unmarshal = %v, %v", m, err)
	}
}

func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"12.34", "0", "-1.05", "1.", ".1", "1e9", "92233720368547758.07", "99999999999999999999", "", "١٢"} {
		f.Add(s, "CNY")
		f.Add(s, "JPY")
		f.Add(s, "KWD")
	}
	f.Fuzz(func(t *testing.T, s, cur string) {
		m, err := ParseMoney(s, cur)
		if err != nil {
			if !errors.Is(err, ErrInvalidRequest) || m != (Money{}) {
				t.Fatalf("ParseMoney(%q,%q) failed without a clean invalid_request: %v %v", s, cur, m, err)
			}
			return
		}
		// Anything accepted formats back to a string that parses to the same value.
		back, err := ParseMoney(m.Decimal(), cur)
		if err != nil || back != m {
			t.Fatalf("round trip %q -> %v -> %q -> %v, %v", s, m, m.Decimal(), back, err)
		}
	})
}

// Input echoed into errors never carries a long digit run (an account
// number a caller put in the wrong field).
func TestErrorsMaskEchoedDigits(t *testing.T) {
	const pan = "4111111111111111"
	_, err1 := CurrencyExponent(pan)
	_, err2 := CurrencyExponent("X" + pan[:2])
	err3 := Money{Amount: -4111111111111111, Currency: "CNY"}.ValidatePositive("amount")
	err4 := jsonError(errors.New(`json: unknown field "` + pan + `"`))
	for _, err := range []error{err1, err3, err4} {
		if err == nil || strings.Contains(err.Error(), "1111111") {
			t.Errorf("error %v echoes the digits", err)
		}
	}
	if err2 == nil || !strings.Contains(err2.Error(), "X41") {
		t.Errorf("short input should still be echoed: %v", err2)
	}
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"ab1234567cd123456", 32, "ab#…#cd123456"},
		{"4111111111111111", 32, "#…#"},
		{"short", 32, "short"},
		{"abcdef", 3, "abc…"},
		{"123456", 4, "1234…"},
		{"123456123456", 4, "#…#"},
		{"a\x00b\xffc", 32, "a?b?c"},
		{"收银台收银台", 2, "收银…"},
	} {
		if got := Clip(tc.in, tc.max); got != tc.want {
			t.Errorf("Clip(%q, %d) = %q; want %q", tc.in, tc.max, got, tc.want)
		}
	}
}
