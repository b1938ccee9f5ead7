package passwd

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Every error the package returns — wrong, locked, weak, not set, already
// set, malformed, bad subject — is scanned for the passwords involved and
// for the stored hash: none appears, in %v or %+v or %#v.
func TestErrorsNeverContainPasswords(t *testing.T) {
	s, clk, _, _ := testStore(t, WithMaxFailures(2))
	ctx := context.Background()
	secrets := []string{pwRight, pwWrong, pwNew, "123456", "111111", "支付密码", "90241\x007", "öffne Sesam 7", "sesame"}
	var errs []error
	note := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	note(s.Check(ctx, "u1", pwRight))
	note(s.Reset(ctx, "u1", pwNew))
	note(s.Change(ctx, "u1", pwRight, pwNew))
	for _, weak := range []string{"123456", "111111", "支付密码", "90241\x007"} {
		note(s.Set(ctx, "u1", weak))
		note(CheckNew(weak))
	}
	note(s.Set(ctx, "u1", pwRight))
	note(s.Set(ctx, "u1", pwNew))
	note(s.Change(ctx, "u1", pwWrong, pwNew))
	note(s.Change(ctx, "u1", pwRight, "123456"))
	note(s.Check(ctx, "u1", "öffne Sesam 7"))
	note(s.Check(ctx, "u1", pwRight))
	note(s.Change(ctx, "u1", pwRight, pwNew))
	note(s.Check(ctx, "", pwRight))
	clk.Advance(time.Hour)
	r, _, _ := s.records.Get(ctx, "u1")
	for _, tamper := range tampered {
		note(s.records.Put(ctx, "u2", Record{PHC: tamper}))
		note(s.Check(ctx, "u2", pwRight))
		_, err := Verify(tamper, pwRight)
		note(err)
	}
	_, err := Hash("sesame", Params{})
	note(err)
	if len(errs) < 20 {
		t.Fatalf("only %d errors collected", len(errs))
	}
	_, salt, hash, err := ParsePHC(r.PHC)
	if err != nil {
		t.Fatal(err)
	}
	phcParts := []string{b64.EncodeToString(salt), b64.EncodeToString(hash)}
	for _, e := range errs {
		for _, text := range []string{e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e)} {
			for _, secret := range append(secrets, phcParts...) {
				if strings.Contains(text, secret) {
					t.Errorf("error %q contains a secret", text)
				}
			}
		}
	}
}
