package stripe

import (
	"errors"
	"math"
	"net/url"
	"testing"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

func mustQuery(t *testing.T, s string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestToStripeAmount(t *testing.T) {
	tests := []struct {
		money pay.Money
		want  int64
		cur   string
		bad   bool
	}{
		{pay.Money{Amount: 1234, Currency: "USD"}, 1234, "usd", false},
		{pay.Money{Amount: 500, Currency: "JPY"}, 500, "jpy", false},
		{pay.Money{Amount: 5, Currency: "ISK"}, 500, "isk", false},     // zero-decimal in ISO, two at Stripe
		{pay.Money{Amount: 1999, Currency: "HUF"}, 1999, "huf", false}, // two-decimal for charges
		{pay.Money{Amount: 1999, Currency: "TWD"}, 1999, "twd", false}, // two-decimal for charges
		{pay.Money{Amount: 3000, Currency: "UGX"}, 3000, "ugx", false}, // zero-decimal at Stripe
		{pay.Money{Amount: 5120, Currency: "KWD"}, 5120, "kwd", false}, // three-decimal, last digit 0
		{pay.Money{Amount: 5124, Currency: "KWD"}, 0, "", true},        // Stripe refuses the last digit
		{pay.Money{Amount: 12345, Currency: "CLF"}, 0, "", true},       // 4 decimals cannot become 2
		{pay.Money{Amount: 12300, Currency: "CLF"}, 123, "clf", false}, // …unless they are zeros
		{pay.Money{Amount: math.MaxInt64 / 10, Currency: "ISK"}, 0, "", true},
		{pay.Money{Amount: -1, Currency: "USD"}, 0, "", true},
		{pay.Money{Amount: 1, Currency: "usd"}, 0, "", true},
		{pay.Money{Amount: 1, Currency: "XYZ"}, 0, "", true},
	}
	for _, tt := range tests {
		got, cur, err := toStripeAmount(tt.money, "amount")
		if tt.bad {
			if !errors.Is(err, channel.ErrUnsupported) {
				t.Errorf("%v: err = %v, want ErrUnsupported", tt.money, err)
			}
			continue
		}
		if err != nil || got != tt.want || cur != tt.cur {
			t.Errorf("%v = %d %s, %v; want %d %s", tt.money, got, cur, err, tt.want, tt.cur)
			continue
		}
		back, err := fromStripeAmount(got, cur)
		if err != nil || back != tt.money {
			t.Errorf("%v round trip = %v, %v", tt.money, back, err)
		}
	}
}

func TestFromStripeAmountRefusesInexact(t *testing.T) {
	tests := []struct {
		amount int64
		cur    string
	}{
		{550, "isk"}, // fractional króna cannot be pay.Money ISK
		{-5, "usd"},
		{100, "USD"},
		{100, "us"},
		{100, "zzz"},
	}
	for _, tt := range tests {
		if m, err := fromStripeAmount(tt.amount, tt.cur); !errors.Is(err, channel.ErrMalformed) {
			t.Errorf("%d %s = %v, %v; want ErrMalformed", tt.amount, tt.cur, m, err)
		}
	}
}
