package pay

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckText(t *testing.T) {
	for _, tc := range []struct {
		s        string
		required bool
		ok       bool
	}{
		{"pos-1", true, true},
		{"", false, true},
		{"", true, false},
		{"   ", true, false},
		{"收银 3", true, true}, // 8 bytes
		{strings.Repeat("a", 9), true, false},
		{"bad\x00", false, false},
		{"bad\x7f", false, false},
		{"\xff", false, false},
	} {
		err := CheckText("terminal_id", tc.s, tc.required, 8)
		if (err == nil) != tc.ok {
			t.Errorf("CheckText(%q, %v) = %v; want ok %v", tc.s, tc.required, err, tc.ok)
		}
		if err != nil && (!errors.Is(err, ErrInvalidRequest) || err.(*Error).Param != "terminal_id" || (tc.s != "" && strings.Contains(err.Error(), tc.s) && strings.TrimSpace(tc.s) != "")) {
			t.Errorf("CheckText(%q) error %v: want invalid_request on terminal_id without the value", tc.s, err)
		}
	}
}
