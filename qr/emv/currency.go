package emv

import "github.com/paykit-go/paykit/pay"

// numericToAlpha maps the ISO 4217 numeric codes that payloads carry (ID
// 53) to the alphabetic codes pay.Money uses: the currencies of the markets
// with EMVCo merchant QR schemes and the common reserve currencies.
var numericToAlpha = map[string]string{
	"036": "AUD", "124": "CAD", "156": "CNY", "344": "HKD", "356": "INR", "360": "IDR",
	"392": "JPY", "410": "KRW", "414": "KWD", "446": "MOP", "458": "MYR", "484": "MXN",
	"554": "NZD", "608": "PHP", "702": "SGD", "704": "VND", "756": "CHF", "764": "THB",
	"784": "AED", "826": "GBP", "840": "USD", "901": "TWD", "978": "EUR", "986": "BRL",
}

// alphaToNumeric is numericToAlpha inverted.
var alphaToNumeric = func() map[string]string {
	m := make(map[string]string, len(numericToAlpha))
	for n, a := range numericToAlpha {
		m[a] = n
	}
	return m
}()

// CurrencyAlpha returns the ISO 4217 alphabetic code ("CNY") for a
// numeric one ("156"), or ErrCurrency for a code this package doesn't list.
func CurrencyAlpha(numeric string) (string, error) {
	if a, ok := numericToAlpha[numeric]; ok {
		return a, nil
	}
	if len(numeric) != 3 || !digits(numeric) {
		return "", fail(ErrCurrency, "53", "the currency code is not three digits")
	}
	return "", fail(ErrCurrency, "53", "currency %s is not one this package knows", numeric)
}

// CurrencyNumeric returns the ISO 4217 numeric code ("156") for an
// alphabetic one ("CNY"), or ErrCurrency for a code this package doesn't list.
func CurrencyNumeric(alpha string) (string, error) {
	if n, ok := alphaToNumeric[alpha]; ok {
		return n, nil
	}
	return "", fail(ErrCurrency, "53", "currency %q is not one this package knows", clip(alpha))
}

// SetAmount sets the currency (ID 53) and amount (ID 54) from m, which
// must be positive in a currency CurrencyNumeric knows. Amount is written
// with the currency's exponent of decimals ("23.72", JPY "500").
func (p *Payload) SetAmount(m pay.Money) error {
	num, err := CurrencyNumeric(m.Currency)
	if err != nil {
		return err
	}
	if m.Amount <= 0 {
		return fail(ErrValue, "54", "the amount must be positive")
	}
	s := m.Decimal()
	if len(s) > 13 {
		return fail(ErrValue, "54", "the amount has more than 13 characters")
	}
	p.Currency, p.Amount = num, s
	return nil
}

// clip quotes untrusted or provider text in an error (pay.Clip).
func clip(s string) string { return pay.Clip(s, 8) }
