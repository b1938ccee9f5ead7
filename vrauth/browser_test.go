package vrauth_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/paytest"
	"github.com/paykit-go/paykit/verify"
	"github.com/paykit-go/paykit/vrauth"
)

// hcAwaited is what a headset's Await returned.
type hcAwaited struct {
	r   vrauth.Result
	err error
}

// hcSMSCode reads the 6-digit code of the latest SMS sent to mobile.
func hcSMSCode(t *testing.T, o *verify.Outbox, mobile string) string {
	t.Helper()
	m, ok := o.Last(mobile)
	if !ok {
		t.Fatalf("no SMS to %s", mobile)
	}
	code := regexp.MustCompile(`\b[0-9]{6}\b`).FindString(m.Body)
	if code == "" {
		t.Fatalf("no 6-digit code in the SMS (kind %s)", m.Kind)
	}
	return code
}

// hcApprovalLink returns the approval link last sent to a terminal's
// address.
func hcApprovalLink(t *testing.T, srv *paytest.Server, address string) string {
	t.Helper()
	m, ok := srv.Outbox.Last(address)
	if !ok || m.Kind != vrauth.KindApproval || !strings.HasPrefix(m.Link, srv.URL+"/vr/approve/") {
		t.Fatalf("last message to %s: %+v; want an approval link under %s/vr/approve/", address, m.Kind, srv.URL)
	}
	return m.Link
}

// hcAwait starts the headset's Await in a goroutine.
func hcAwait(ctx context.Context, vc *vrauth.Client, deviceCode string) <-chan hcAwaited {
	ch := make(chan hcAwaited, 1)
	go func() {
		r, err := vc.Await(ctx, deviceCode)
		ch <- hcAwaited{r, err}
	}()
	return ch
}

// The approval page in a real browser: headless Chromium, driven through
// chromedriver, opens the approval link the trusted terminal was sent,
// shows the order's total, approves, lands on the sandbox channel's pay
// page and pays there; the headset's waiting Await returns the success
// with the payment and the trusted_terminal method. The link opened again
// shows the purchase succeeded and offers no Approve button. A second
// purchase denied in the browser reaches its headset as access_denied.
// Everything runs over HTTP against the reference backend on the wall
// clock.
func TestBrowserApproval(t *testing.T) {
	chromium, driver := hcBrowserBinaries(t)
	start := time.Now()
	srv, err := paytest.NewServer(paytest.WithWallClock())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close) // after the browser's cleanup: Chromium's open connections are gone by then
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()

	// The VR app enrolls the user, registers the headset and a phone.
	vc := vrauth.NewClient(srv.DeviceClient)
	const mobile, phone, headset = "+8613800138000", "li.lei@example.com", "quest3-0001"
	en, err := vc.Register(ctx, vrauth.RegisterRequest{Name: "Li Lei", Mobile: mobile})
	if err != nil {
		t.Fatal(err)
	}
	uid := en.User.ID
	if _, err := vc.VerifyMobile(ctx, uid, en.CodeID, hcSMSCode(t, srv.Outbox, mobile)); err != nil {
		t.Fatal(err)
	}
	if _, err := vc.AddHeadset(ctx, uid, vrauth.HeadsetRequest{ID: headset, Name: "Quest 3"}); err != nil {
		t.Fatal(err)
	}
	if _, err := vc.AddTerminal(ctx, uid, vrauth.TerminalRequest{Name: "Li Lei's phone", Address: phone}); err != nil {
		t.Fatal(err)
	}
	shop, err := srv.Platform.CreateMerchant(ctx, "VR Arcade")
	if err != nil {
		t.Fatal(err)
	}
	cny := func(minor int64) pay.Money { return pay.Money{Amount: minor, Currency: "CNY"} }
	order := vrauth.Order{MerchantID: shop.ID, Description: "Beat Saber DLC",
		Items: []vrauth.Item{
			{Name: "Queen music pack", Quantity: 1, UnitPrice: cny(12_80)},
			{Name: "Saber skin", Quantity: 2, UnitPrice: cny(3_00)},
		},
		Amount: cny(18_80)}

	st, err := vc.Checkout(ctx, vrauth.CheckoutRequest{UserID: uid, HeadsetID: headset, Order: order, Mode: vrauth.ModeCrossTerminal})
	if err != nil {
		t.Fatal(err)
	}
	if st.Authorization.Status != vrauth.StatusPending || st.DeviceCode == "" {
		t.Fatalf("checkout: %s with device code %t; want pending with one", st.Authorization.Status, st.DeviceCode != "")
	}
	link := hcApprovalLink(t, srv, phone)
	results := hcAwait(ctx, vc, st.DeviceCode)

	b := hcStartBrowser(t, chromium, driver)
	b.Open(link)
	if got := b.Text("#total"); got != "18.80 CNY" {
		t.Errorf("the approval page's total is %q; want 18.80 CNY", got)
	}
	if got := b.Text("#status"); got != "pending" {
		t.Errorf("the approval page's status is %q; want pending", got)
	}
	src := b.Source()
	for _, want := range []string{"Queen music pack", "Saber skin", "Beat Saber DLC", "Li Lei's phone", `value="sandbox-a"`, `value="sandbox-b"`} {
		if !strings.Contains(src, want) {
			t.Errorf("the approval page does not show %q", want)
		}
	}

	b.Click("#approve") // sandbox-a, the first channel, is checked
	payURL := b.WaitURL(srv.URL+"/sandbox/sandbox-a/pay/", 10*time.Second)
	a, err := srv.VR.Authorization(ctx, st.Authorization.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != vrauth.StatusApproved || a.PaymentID == "" || a.Channel != "sandbox-a" {
		t.Fatalf("after Approve: %s on %q, payment %q; want approved on sandbox-a with a payment", a.Status, a.Channel, a.PaymentID)
	}
	// The URL changes before the page has loaded: wait for its content.
	shows := func() bool {
		src := b.Source()
		return strings.Contains(src, "18.80 CNY") && strings.Contains(src, "pending")
	}
	for deadline := time.Now().Add(3 * time.Second); !shows() && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if !shows() {
		t.Errorf("the sandbox pay page at %s does not show 18.80 CNY pending", payURL)
	}
	select {
	case got := <-results:
		t.Fatalf("the headset got a result before the user paid: %+v, %v", got.r, got.err)
	default:
	}

	paid := time.Now()
	b.Click("button[type=submit]") // the sandbox page's Pay button
	var got hcAwaited
	select {
	case got = <-results:
	case <-time.After(5 * time.Second):
		t.Fatal("the headset's Await did not return within 5 s of paying")
	}
	t.Logf("Pay clicked → headset's Await returned in %v", time.Since(paid).Round(time.Millisecond))
	if got.err != nil {
		t.Fatalf("Await: %v", got.err)
	}
	r := got.r
	if r.Status != vrauth.StatusSucceeded || r.PaymentID != a.PaymentID || r.AuthorizationID != a.ID ||
		r.Amount != order.Amount || r.Channel != "sandbox-a" || !slices.Equal(r.Methods, []verify.Method{verify.MethodTrustedTerminal}) {
		t.Fatalf("Await: %+v; want succeeded, payment %s, 18.80 CNY on sandbox-a, methods [trusted_terminal]", r, a.PaymentID)
	}
	if src := b.Source(); !strings.Contains(src, "Paid.") {
		t.Error("the sandbox pay page does not say Paid after the click")
	}
	p, err := srv.Channels.Payment(ctx, a.PaymentID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != channel.StatusSucceeded || p.Amount != order.Amount || p.MerchantID != shop.ID {
		t.Errorf("payment %s: %s, %s to %s; want succeeded, 18.80 CNY to %s", p.ID, p.Status, p.Amount, p.MerchantID, shop.ID)
	}
	if _, err := vc.Poll(ctx, st.DeviceCode); !errors.Is(err, vrauth.ErrDelivered) {
		t.Errorf("polling after the result was delivered: %v; want %v", err, vrauth.ErrDelivered)
	}

	// The link again: the outcome, and nothing to approve.
	b.Open(link)
	if got := b.Text("#status"); got != "succeeded" {
		t.Errorf("the approval page opened again shows %q; want succeeded", got)
	}
	if n := len(b.FindAll("#approve")); n != 0 {
		t.Errorf("the approval page opened again has %d Approve buttons; want 0", n)
	}
	if n := len(b.FindAll("form")); n != 0 {
		t.Errorf("the approval page opened again has %d forms; want 0", n)
	}

	// A second purchase, denied in the browser.
	order2 := vrauth.Order{MerchantID: shop.ID, Items: []vrauth.Item{{Name: "Arena pass", Quantity: 1, UnitPrice: cny(45_00)}}, Amount: cny(45_00)}
	st2, err := vc.Checkout(ctx, vrauth.CheckoutRequest{UserID: uid, HeadsetID: headset, Order: order2})
	if err != nil {
		t.Fatal(err)
	}
	link2 := hcApprovalLink(t, srv, phone)
	if link2 == link {
		t.Fatal("the second purchase was sent the first one's link")
	}
	results2 := hcAwait(ctx, vc, st2.DeviceCode)
	b.Open(link2)
	if got := b.Text("#total"); got != "45.00 CNY" {
		t.Errorf("the second approval page's total is %q; want 45.00 CNY", got)
	}
	b.Click("#deny")
	if got := b.WaitText("#status", "denied", 3*time.Second); got != "denied" {
		t.Errorf("after Deny the page shows %q; want denied", got)
	}
	select {
	case got = <-results2:
	case <-time.After(5 * time.Second):
		t.Fatal("the second headset's Await did not return within 5 s of the denial")
	}
	if !errors.Is(got.err, vrauth.ErrAccessDenied) {
		t.Errorf("Await after Deny: %v; want %v", got.err, vrauth.ErrAccessDenied)
	}
	if a2, err := srv.VR.Authorization(ctx, st2.Authorization.ID); err != nil || a2.PaymentID != "" || a2.Status != vrauth.StatusDenied {
		t.Errorf("the denied authorization: %+v, %v; want denied and never charged", a2, err)
	}
	t.Logf("browser test took %v", time.Since(start).Round(time.Millisecond))
}
