package alipay

import (
	"testing"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

func TestYuanConversion(t *testing.T) {
	tests := []struct {
		yuan string
		fen  int64
	}{
		{"0.01", 1},
		{"1.00", 100},
		{"12.34", 1234},
		{"100000.00", 100000_00},
		{"100000000.00", maxFen},
	}
	for _, tt := range tests {
		got, err := toYuan(cny(tt.fen), "amount")
		if err != nil || got != tt.yuan {
			t.Errorf("toYuan(%d) = %q, %v; want %q", tt.fen, got, err, tt.yuan)
		}
		m, err := fromYuan(tt.yuan, "total_amount")
		if err != nil || m != cny(tt.fen) {
			t.Errorf("fromYuan(%q) = %v, %v; want %d fen", tt.yuan, m, err, tt.fen)
		}
	}
	for _, bad := range []string{"1.2.3", "-1", "-0.00", "1e3", "", "1.", ".5", "+1", "1.001", " 1.00", "1,00", "０.01", "99999999999999999999"} {
		if m, err := fromYuan(bad, "total_amount"); err == nil {
			t.Errorf("fromYuan(%q) = %v, want an error", bad, m)
		} else {
			wantErr(t, err, channel.ErrMalformed)
		}
	}
	if _, err := toYuan(cny(maxFen+1), "amount"); err == nil {
		t.Error("toYuan accepted an amount over Alipay's limit")
	}
	if _, err := toYuan(cny(0), "amount"); err == nil {
		t.Error("toYuan accepted zero")
	}
	_, err := toYuan(pay.Money{Amount: 100, Currency: "JPY"}, "amount")
	wantErr(t, err, channel.ErrUnsupported)
}

func TestAlipayTime(t *testing.T) {
	utc := time.Date(2026, 12, 31, 16, 30, 5, 0, time.UTC)
	if got := formatTime(utc); got != "2027-01-01 00:30:05" {
		t.Fatalf("formatTime = %q", got)
	}
	back, err := parseTime("2027-01-01 00:30:05")
	if err != nil || !back.Equal(utc) {
		t.Fatalf("parseTime = %v, %v", back, err)
	}
}
