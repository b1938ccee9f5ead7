package pay

import "testing"

func TestIsE164(t *testing.T) {
	for s, want := range map[string]bool{
		"+8613800138000": true, "+14155550123": true, "+1234567": true,
		"8613800138000": false, "+0123456789": false, "+123456": false, "+1234567890123456": false,
		"+86 138 0013 8000": false, "": false, "+861380013800a": false,
	} {
		if got := IsE164(s); got != want {
			t.Errorf("IsE164(%q) = %v; want %v", s, got, want)
		}
	}
}
