package alipay

import (
	"strings"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

// currency is the one currency this adapter charges in.
const currency = "CNY"

// maxFen is Alipay's largest single amount, 100,000,000.00 yuan, in fen.
const maxFen = 100_000_000_00

// cst is China Standard Time, the zone of every Alipay timestamp. A fixed
// zone needs no tzdata on the host.
var cst = time.FixedZone("CST", 8*3600)

// timeLayout is Alipay's timestamp format.
const timeLayout = "2006-01-02 15:04:05"

// formatTime renders t in Alipay's format and zone.
func formatTime(t time.Time) string { return t.In(cst).Format(timeLayout) }

// parseTime reads an Alipay timestamp, in China Standard Time.
func parseTime(s string) (time.Time, error) { return time.ParseInLocation(timeLayout, s, cst) }

// toYuan renders m as Alipay's yuan string ("12.34"). It accepts only a
// positive CNY amount no larger than Alipay's limit; param names the request
// field for the error.
func toYuan(m pay.Money, param string) (string, error) {
	if m.Currency != currency {
		return "", channel.Errorf(channel.ErrUnsupported, param+".currency", "alipay: only CNY is supported, got %q", clip(m.Currency))
	}
	if m.Amount <= 0 || m.Amount > maxFen {
		return "", channel.Errorf(channel.ErrMalformed, param+".amount", "alipay: amount must be between 0.01 and 100000000.00 CNY")
	}
	return m.Decimal(), nil
}

// fromYuan parses a yuan string from Alipay exactly into fen. Anything but an
// unsigned decimal with at most two fraction digits is malformed: "1e3",
// "-1", "-0.00", "1.2.3", "1.234", "".
func fromYuan(s, param string) (pay.Money, error) {
	m, err := pay.ParseMoney(s, currency)
	if err != nil || strings.HasPrefix(s, "-") {
		return pay.Money{}, channel.Errorf(channel.ErrMalformed, param, "alipay: %s %q is not a yuan amount", param, clip(s))
	}
	return m, nil
}

// clip quotes untrusted or provider text in an error (pay.Clip).
func clip(s string) string { return pay.Clip(s, 48) }
