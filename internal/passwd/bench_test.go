package passwd

import (
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// BenchmarkVerify is the cost of one password attempt at DefaultParams
// (Argon2id m=19456 KiB, t=2, p=1). It is a security setting, not a speed
// target: compare it with BenchmarkBcryptCost10 from the same run.
func BenchmarkVerify(b *testing.B) {
	phc, err := Hash(pwRight, DefaultParams)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, err := Verify(phc, pwRight); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkBcryptCost10 is the baseline: bcrypt at cost 10, the default of
// many web frameworks.
func BenchmarkBcryptCost10(b *testing.B) {
	h, err := bcrypt.GenerateFromPassword([]byte(pwRight), 10)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := bcrypt.CompareHashAndPassword(h, []byte(pwRight)); err != nil {
			b.Fatal(err)
		}
	}
}
