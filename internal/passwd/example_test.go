package passwd_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/internal/passwd"
)

// A payment password with the default lockout: five wrong attempts lock it
// for 15 minutes, during which even the right password is refused.
func ExampleStore() {
	clk := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	s, err := passwd.NewStore(passwd.WithClock(clk))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	fmt.Println(s.Set(ctx, "user-42", "123456"))
	fmt.Println(s.Set(ctx, "user-42", "902417"))
	fmt.Println(s.Check(ctx, "user-42", "902417"))
	for range 5 {
		err = s.Check(ctx, "user-42", "000001")
	}
	fmt.Println(err)
	err = s.Check(ctx, "user-42", "902417")
	var locked *passwd.LockedError
	fmt.Println(errors.As(err, &locked), locked.Until.Format(time.Kitchen))
	clk.Advance(15 * time.Minute)
	fmt.Println(s.Check(ctx, "user-42", "902417"))
	// Output:
	// passwd: the new password is not allowed: the digits run in sequence
	// <nil>
	// <nil>
	// passwd: wrong password; 0 attempts left
	// true 12:15PM
	// <nil>
}

// Verify checks a PHC string made by the reference argon2 tool.
func ExampleVerify() {
	phc := "$argon2id$v=19$m=19456,t=2,p=1$cGF5a2l0LXZyLXNhbHQxNg$ohjvEL86vRTTAw8AdUKQn92QwZ/NwslHbX7GqQvr+OM"
	fmt.Println(passwd.Verify(phc, "902417"))
	fmt.Println(passwd.Verify(phc, "902418"))
	fmt.Println(passwd.Verify("$argon2id$v=19$m=4096,t=3,p=1$c29tZXNhbHQxMjM0NTY3OA$ohjvEL86vRTTAw8AdUKQn92QwZ/NwslHbX7GqQvr+OM", "902417"))
	// Output:
	// true <nil>
	// false <nil>
	// false passwd: malformed password hash: passwd: parameters out of range: memory 4096 KiB not in [19456, 1048576]
}

func ExampleCheckNew() {
	for _, pw := range []string{"902417", "111111", "654321", "12345", "支付密码很安全"} {
		fmt.Println(passwd.CheckNew(pw))
	}
	// Output:
	// <nil>
	// passwd: the new password is not allowed: all digits are the same
	// passwd: the new password is not allowed: the digits run in sequence
	// passwd: the new password is not allowed: a payment password has 6 to 64 characters
	// <nil>
}
