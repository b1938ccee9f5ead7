package passwd

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckNew(t *testing.T) {
	for _, c := range []struct {
		pw string
		ok bool
	}{
		{"902417", true},
		{"135790", true},
		{"112233", true},
		{"1234567", false}, // ascending run, 7 digits
		{"123456", false},
		{"654321", false},
		{"012345", false},
		{"890123", false}, // ascending, wrapping 9 → 0
		{"210987", false}, // descending, wrapping 0 → 9
		{"111111", false},
		{"000000", false},
		{"12345", false}, // too short
		{"", false},
		{"abcdef", true}, // the run rule is for digits only
		{"支付密码很安全", true},
		{"支付密码", false}, // 4 runes, 12 bytes
		{strings.Repeat("密", 64), true},
		{strings.Repeat("密", 65), false},
		{"90241\x007", false},
		{"902417\n", false},
		{"9024\u00857", false}, // C1 control (NEL)
		{"902\xff417", false},  // invalid UTF-8
		{"１２３４５６", true},       // full-width digits are not ASCII digits
	} {
		err := CheckNew(c.pw)
		if c.ok != (err == nil) {
			t.Errorf("CheckNew(%q) = %v, want ok=%v", c.pw, err, c.ok)
		}
		if err != nil {
			if !errors.Is(err, ErrWeak) {
				t.Errorf("CheckNew(%q) = %v, not ErrWeak", c.pw, err)
			}
			if len(c.pw) >= 4 && strings.Contains(err.Error(), c.pw) {
				t.Errorf("CheckNew(%q) error quotes the password: %v", c.pw, err)
			}
		}
	}
}
