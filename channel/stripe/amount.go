package stripe

import (
	"math"
	"strings"

	"github.com/paykit-go/paykit/pay"
)

// Stripe's amounts are integers in its own idea of each currency's minor
// unit, which is not always ISO 4217's (nor CLDR's, which pay.Money uses):
//
//   - zero-decimal in Stripe's API: BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF
//     UGX VND VUV XAF XOF XPF — the amount is whole units;
//   - three-decimal: BHD JOD KWD OMR TND — thousandths, and Stripe requires
//     the last digit to be 0 (5.124 KWD cannot be charged; 5.120 can);
//   - every other currency is two-decimal in Stripe's API, including the
//     special cases ISK (zero-decimal in ISO and CLDR, but Stripe keeps it
//     two-decimal and requires multiples of 100 — 5 ISK is 500), and IDR,
//     COP and others CLDR rounds to whole units (converted by ×100).
//     HUF and TWD are two-decimal both in pay.Money and for Stripe charges;
//     Stripe treats them as zero-decimal only for payouts, which this
//     package does not make.
//
// Conversion is exact or refused: scaling up multiplies (overflow
// refused), scaling down must divide evenly, so no amount is ever rounded.
var (
	stripeZeroDecimal = map[string]bool{
		"BIF": true, "CLP": true, "DJF": true, "GNF": true, "JPY": true, "KMF": true, "KRW": true, "MGA": true,
		"PYG": true, "RWF": true, "UGX": true, "VND": true, "VUV": true, "XAF": true, "XOF": true, "XPF": true,
	}
	stripeThreeDecimal = map[string]bool{"BHD": true, "JOD": true, "KWD": true, "OMR": true, "TND": true}
)

// stripeExponent is the number of minor-unit digits Stripe's API uses for
// an upper-case ISO 4217 code.
func stripeExponent(cur string) int {
	switch {
	case stripeZeroDecimal[cur]:
		return 0
	case stripeThreeDecimal[cur]:
		return 3
	}
	return 2
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

// toStripeAmount returns m as Stripe's amount integer and lower-case
// currency code, or an ErrUnsupported error naming param when Stripe cannot
// be asked for exactly m.
func toStripeAmount(m pay.Money, param string) (int64, string, error) {
	if err := m.ValidatePositive(param); err != nil {
		return 0, "", invalidf(param, "%s", err.(*pay.Error).Message)
	}
	exp, _ := pay.CurrencyExponent(m.Currency)
	se := stripeExponent(m.Currency)
	var v int64
	if se >= exp {
		f := pow10(se - exp)
		if m.Amount > math.MaxInt64/f {
			return 0, "", invalidf(param, "%s overflows Stripe's amount", m)
		}
		v = m.Amount * f
	} else {
		f := pow10(exp - se)
		if m.Amount%f != 0 {
			return 0, "", invalidf(param, "%s has more decimals than Stripe allows for %s (%d)", m, m.Currency, se)
		}
		v = m.Amount / f
	}
	if se == 3 && v%10 != 0 {
		return 0, "", invalidf(param, "Stripe requires %s amounts to end in 0 thousandths; %s does not", m.Currency, m)
	}
	return v, strings.ToLower(m.Currency), nil
}

// fromStripeAmount converts an amount and currency from a Stripe object to
// pay.Money, refusing (ErrMalformed) a negative amount, an unknown or
// non-lower-case currency, or an amount pay.Money cannot hold exactly.
func fromStripeAmount(amount int64, currency string) (pay.Money, error) {
	cur := strings.ToUpper(currency)
	if len(currency) != 3 || strings.ToLower(currency) != currency {
		return pay.Money{}, malformedf("Stripe currency %q is not a lower-case ISO 4217 code", clip(currency))
	}
	exp, err := pay.CurrencyExponent(cur)
	if err != nil {
		return pay.Money{}, malformedf("Stripe currency %q is unknown", clip(currency))
	}
	if amount < 0 {
		return pay.Money{}, malformedf("Stripe amount %d is negative", amount)
	}
	se := stripeExponent(cur)
	if se >= exp {
		f := pow10(se - exp)
		if amount%f != 0 {
			return pay.Money{}, malformedf("Stripe amount %d %s is not a whole number of %s minor units", amount, cur, cur)
		}
		return pay.Money{Amount: amount / f, Currency: cur}, nil
	}
	f := pow10(exp - se)
	if amount > math.MaxInt64/f {
		return pay.Money{}, malformedf("Stripe amount %d %s overflows", amount, cur)
	}
	return pay.Money{Amount: amount * f, Currency: cur}, nil
}

// clip quotes untrusted or provider text in an error (pay.Clip).
func clip(s string) string { return pay.Clip(s, 32) }
