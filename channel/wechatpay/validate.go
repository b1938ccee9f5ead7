package wechatpay

import (
	"math"
	"strings"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

// currency is the only currency a domestic direct merchant settles in.
const currency = "CNY"

// Length limits WeChat Pay sets on merchant identifiers.
const (
	maxDescription = 127 // description, bytes
	maxReason      = 80  // refund reason, bytes
	maxRemark      = 256 // contract_termination_remark, bytes
)

// validToken reports whether s is min..max ASCII letters and digits.
func validToken(s string, minLen, maxLen int) bool { return validChars(s, minLen, maxLen, "") }

// validOrderNo reports whether s is min..max of [A-Za-z0-9_-], the
// intersection of what WeChat accepts in out_trade_no and out_refund_no and
// what paykit promises (channel.ChargeRequest.ChargeID).
func validOrderNo(s string, minLen, maxLen int) bool { return validChars(s, minLen, maxLen, "_-") }

// validSerial accepts certificate serials (hex) and public key IDs
// (PUB_KEY_ID_0112…).
func validSerial(s string) bool { return validChars(s, 1, 64, "_") }

// validChars reports whether s is min..max bytes, each an ASCII letter, a
// digit or one of extra.
func validChars(s string, minLen, maxLen int, extra string) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && strings.IndexByte(extra, c) < 0 {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func validChargeID(id string) error {
	if !validOrderNo(id, 6, 32) {
		return channel.Errorf(channel.ErrMalformed, "ChargeID", "wechatpay: charge ID must be 6-32 of [A-Za-z0-9_-]")
	}
	return nil
}

func validRefundID(id string) error {
	if !validOrderNo(id, 1, 64) {
		return channel.Errorf(channel.ErrMalformed, "RefundID", "wechatpay: refund ID must be 1-64 of [A-Za-z0-9_-]")
	}
	return nil
}

func validAgreementID(id string) error {
	if !validToken(id, 1, 32) {
		return channel.Errorf(channel.ErrMalformed, "AgreementID", "wechatpay: agreement ID (out_contract_code) must be 1-32 letters or digits")
	}
	return nil
}

// fen checks that m is a positive CNY amount that WeChat's integer fields
// can carry and returns it in fen.
func fen(m pay.Money, param string) (int64, error) {
	if m.Currency != currency {
		return 0, channel.Errorf(channel.ErrUnsupported, param+".currency", "wechatpay: only CNY is supported, got %q", clip(m.Currency))
	}
	if m.Amount <= 0 || m.Amount > math.MaxInt32 {
		return 0, channel.Errorf(channel.ErrMalformed, param+".amount", "wechatpay: amount must be 1..%d fen, got %d", math.MaxInt32, m.Amount)
	}
	return m.Amount, nil
}

// clip quotes untrusted or provider text in an error (pay.Clip).
func clip(s string) string { return pay.Clip(s, 64) }
