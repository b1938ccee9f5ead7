package vrauth_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/paytest"
	"github.com/paykit-go/paykit/verify"
	"github.com/paykit-go/paykit/vrauth"
)

// A headset buys with cross-terminal approval: enrollment by SMS code, a
// phone as trusted terminal, the order approved through the link the
// phone received, the channel paid, and the headset's waiting call
// returning the result.
func Example_crossTerminal() {
	ctx := context.Background()
	srv, _ := paytest.NewServer()
	defer srv.Close()
	vr := vrauth.NewClient(srv.DeviceClient) // what the VR app imports

	en, _ := vr.Register(ctx, vrauth.RegisterRequest{Name: "Ann", Mobile: "+8613800138000"})
	sms, _ := srv.Outbox.Last("+8613800138000")
	user, _ := vr.VerifyMobile(ctx, en.User.ID, en.CodeID, regexp.MustCompile(`\d{6}`).FindString(sms.Body))
	fmt.Println("user:", user.Status)
	_, _ = vr.AddHeadset(ctx, user.ID, vrauth.HeadsetRequest{ID: "quest-7", Name: "living room"})
	_, _ = vr.AddTerminal(ctx, user.ID, vrauth.TerminalRequest{Name: "Ann's phone", Address: "+8613800138000"})

	price := pay.Money{Amount: 1800, Currency: "CNY"}
	started, err := vr.Checkout(ctx, vrauth.CheckoutRequest{UserID: user.ID, HeadsetID: "quest-7", Order: vrauth.Order{
		MerchantID: "m_arcade", Items: []vrauth.Item{{Name: "Laser sword", Quantity: 1, UnitPrice: price}}, Amount: price}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("headset shows a code like XXXX-XXXX:", len(started.UserCode) == 9 && started.UserCode[4] == '-')

	// The phone got the approval link; the user approves and pays.
	link, _ := srv.Outbox.Last("+8613800138000")
	token := link.Link[strings.LastIndex(link.Link, "/")+1:]
	a, payPage, _ := srv.VR.Approve(ctx, token, paytest.SandboxChannels[0])
	fmt.Println("approved, then to the channel's page:", a.Status, strings.Contains(payPage, "/sandbox/"))
	_ = srv.Sandboxes[paytest.SandboxChannels[0]].Pay(ctx, a.PaymentID)

	r, err := vr.Await(ctx, started.DeviceCode)
	fmt.Println("headset:", r.Status, r.Amount, r.Methods, err)
	_, err = vr.Await(ctx, started.DeviceCode)
	fmt.Println("again:", err != nil)
	// Output:
	// user: verified
	// headset shows a code like XXXX-XXXX: true
	// approved, then to the channel's page: approved true
	// headset: succeeded 18.00 CNY [trusted_terminal] <nil>
	// again: true
}

// With a signed proxy-debit agreement and a payment password, a headset
// pays with the password alone.
func Example_proxyDebit() {
	ctx := context.Background()
	srv, _ := paytest.NewServer()
	defer srv.Close()
	vr := vrauth.NewClient(srv.DeviceClient)

	en, _ := vr.Register(ctx, vrauth.RegisterRequest{Name: "Bo", Mobile: "+8613900139000", Verification: vrauth.VerifyReview})
	_, _ = vrauth.NewClient(srv.AdminClient).Review(ctx, en.User.ID, vrauth.ReviewRequest{Approve: true})
	_, _ = vr.AddHeadset(ctx, en.User.ID, vrauth.HeadsetRequest{ID: "quest-9"})

	limit := func(minor int64) pay.Money { return pay.Money{Amount: minor, Currency: "CNY"} }
	g, _ := vr.SignAgreement(ctx, en.User.ID, vrauth.AgreementRequest{Channel: paytest.SandboxChannels[0], PerPayment: limit(20000), PerDay: limit(50000)})
	_ = srv.Sandboxes[paytest.SandboxChannels[0]].SignAgreement(ctx, g.ChannelAgreementID) // the user signs in the channel
	_ = vr.SetPassword(ctx, en.User.ID, "270419")

	order := vrauth.Order{MerchantID: "m_arcade", Items: []vrauth.Item{{Name: "Season pass", Quantity: 1, UnitPrice: limit(9900)}}, Amount: limit(9900)}
	buy := func(password string) (vrauth.Started, error) {
		return vr.Checkout(ctx, vrauth.CheckoutRequest{UserID: en.User.ID, HeadsetID: "quest-9", Order: order, Mode: vrauth.ModeProxyDebit,
			Proofs: []verify.Proof{{Method: verify.MethodPassword, Secret: password}}})
	}
	_, err := buy("111111")
	var pe *pay.Error
	if errors.As(err, &pe) {
		fmt.Println("wrong password:", errors.Is(err, verify.ErrFailed), pe.Message)
	}
	started, _ := buy("270419")
	r, err := vr.Await(ctx, started.DeviceCode)
	fmt.Println("headset:", r.Status, r.Amount, r.Methods, err)
	// Output:
	// wrong password: true wrong payment password; 4 attempts left
	// headset: succeeded 99.00 CNY [password] <nil>
}
