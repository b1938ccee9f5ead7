package flows

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/account"
	"github.com/paykit-go/paykit/pay/paytest"
	"github.com/paykit-go/paykit/qr/qrimage"
	"github.com/paykit-go/paykit/verify"
	"github.com/paykit-go/paykit/vrauth"
)

// VRCheckoutOptions says whether the VR checkout flow draws the headset's
// QR code in the terminal.
type VRCheckoutOptions struct {
	// QR, if set, receives the QR code the headset shows (its
	// VerificationURIComplete) drawn with half-block characters, two module
	// rows per line; nil draws nothing (the tour).
	QR io.Writer
	// LightOnDark draws light modules as blocks, for terminals that print
	// light text on a dark background; otherwise dark modules are blocks.
	LightOnDark bool
}

// VRCheckout runs VR headset payments through vrauth.Client, the calls a VR
// app makes, against the reference backend: a user enrolls with an SMS
// code (read from the backend's outbox in place of a phone), registers the
// headset and the phone as trusted terminal (the phone opens its
// activation link), and buys with cross-terminal approval — the phone,
// played over HTTP with a cookie jar, opens the approval link, checks the
// order, approves and pays on the sandbox channel's page, and the
// headset's waiting call returns the success. Then the user signs a
// proxy-debit agreement on the channel's signing page, sets a payment
// password and buys with the password alone; a purchase over the
// agreement's limit and two wrong passwords are refused, the wrong ones
// counted toward the lockout. It never prints a code, password, device
// code or link token.
func VRCheckout(ctx context.Context, srv *paytest.Server, opt VRCheckoutOptions) error {
	headset := vrauth.NewClient(srv.DeviceClient) // the VR app, with the device key
	operator := account.NewClient(srv.AdminClient)
	merchant := account.NewClient(srv.Client)
	cny := func(s string) pay.Money { m, _ := pay.ParseMoney(s, "CNY"); return m }
	const mobile, headsetID = "+8613700137000", "quest3-7f2a"

	shop, err := operator.CreateMerchant(ctx, "Nebula VR Arcade")
	if err != nil {
		return err
	}

	// Enrollment: an SMS code to the mobile number.
	en, err := headset.Register(ctx, vrauth.RegisterRequest{Name: "Zhang Wei", Mobile: mobile})
	if err != nil {
		return err
	}
	sms, err := vrMessage(srv, mobile, verify.MessageKindOTP)
	if err != nil {
		return err
	}
	code := regexp.MustCompile(`\b[0-9]{6}\b`).FindString(sms.Body)
	if code == "" {
		return errors.New("vrcheckout: the enrollment SMS holds no 6-digit code")
	}
	u, err := headset.VerifyMobile(ctx, en.User.ID, en.CodeID, code)
	if err != nil {
		return err
	}
	fmt.Printf("headset: enrolled %s (%s) as %s; the 6-digit SMS code read from the outbox verified the number → %s\n",
		u.Name, u.Mobile, u.ID, u.Status)
	if _, err := headset.AddHeadset(ctx, u.ID, vrauth.HeadsetRequest{ID: headsetID, Name: "Quest 3"}); err != nil {
		return err
	}

	// The phone becomes a trusted terminal: its activation link arrives
	// by SMS and the phone's browser opens it.
	term, err := headset.AddTerminal(ctx, u.ID, vrauth.TerminalRequest{Name: "Zhang Wei's phone", Address: mobile})
	if err != nil {
		return err
	}
	phone, err := newVRPhone()
	if err != nil {
		return err
	}
	act, err := vrMessage(srv, mobile, vrauth.KindActivation)
	if err != nil {
		return err
	}
	if _, err := phone.submit(ctx, act.Link, url.Values{}, "This browser is now the trusted terminal"); err != nil {
		return fmt.Errorf("vrcheckout: activating the phone: %w", err)
	}
	ts, err := headset.Terminals(ctx, u.ID)
	if err != nil {
		return err
	}
	if len(ts) != 1 || ts[0].ID != term.ID || !ts[0].Activated {
		return fmt.Errorf("vrcheckout: trusted terminals %+v; want %s activated", ts, term.ID)
	}
	fmt.Printf("headset: registered %s and %q (%s) as trusted terminal; the phone opened its activation link → activated\n",
		headsetID, term.Name, term.ID)

	// Cross-terminal approval.
	order := vrauth.Order{MerchantID: shop.ID, Description: "Orbital station tour",
		Items: []vrauth.Item{
			{Name: "Station tour ticket", Quantity: 1, UnitPrice: cny("38.00")},
			{Name: "Zero-g snack pack", Quantity: 2, UnitPrice: cny("6.50")},
		},
		Amount: cny("51.00")}
	st, err := headset.Checkout(ctx, vrauth.CheckoutRequest{UserID: u.ID, HeadsetID: headsetID, Order: order, Mode: vrauth.ModeCrossTerminal})
	if err != nil {
		return err
	}
	if err := showVRCode(st, opt); err != nil {
		return err
	}
	fmt.Printf("headset: ordered %s at %s (%s) → %s; shows code %s, %s and its QR; waits for the result (long-poll)\n",
		order.Amount, shop.Name, st.Authorization.ID, st.Authorization.Status, st.UserCode, st.VerificationURI)
	results := vrAwait(ctx, headset, st.DeviceCode)

	link, err := vrMessage(srv, mobile, vrauth.KindApproval)
	if err != nil {
		return err
	}
	approval, err := phone.open(ctx, link.Link)
	if err != nil {
		return err
	}
	if got := approval.match(`id="total">([^<]*)<`); got != order.Amount.String() {
		return fmt.Errorf("vrcheckout: the approval page shows the total %q; want %s", got, order.Amount)
	}
	fmt.Printf("phone: opened the approval link (%s/vr/approve/…): %d items, total %s, channels %s\n",
		srv.URL, len(order.Items), order.Amount, strings.Join(approval.matchAll(`name="channel" value="([^"]*)"`), ", "))
	payPage, err := phone.submit(ctx, link.Link, url.Values{"action": {"approve"}, "channel": {"sandbox-a"}}, `<button type="submit">Pay</button>`)
	if err != nil {
		return fmt.Errorf("vrcheckout: approving: %w", err)
	}
	if !strings.HasPrefix(payPage.url, srv.URL+"/sandbox/sandbox-a/pay/") {
		return fmt.Errorf("vrcheckout: approving led to %s; want the sandbox-a pay page", payPage.url)
	}
	select {
	case r := <-results:
		return fmt.Errorf("vrcheckout: the headset had a result before the user paid: %+v, %v", r.r, r.err)
	default:
	}
	fmt.Println("phone: approved with sandbox-a → redirected to the channel's pay page; the headset is still waiting")
	if _, err := phone.submit(ctx, payPage.url, url.Values{}, "Paid."); err != nil {
		return fmt.Errorf("vrcheckout: paying: %w", err)
	}
	fmt.Println("phone: pressed Pay; the channel posts its signed callback to the backend")
	r, err := vrResult(results)
	if err != nil {
		return err
	}
	a, err := vrauth.NewClient(srv.Client).Authorization(ctx, st.Authorization.ID) // the merchant's view
	if err != nil {
		return err
	}
	if r.Status != vrauth.StatusSucceeded || r.PaymentID == "" || r.PaymentID != a.PaymentID || r.Amount != order.Amount ||
		!slices.Equal(r.Methods, []verify.Method{verify.MethodTrustedTerminal}) || a.ApprovedBy != term.ID {
		return fmt.Errorf("vrcheckout: cross-terminal result %+v (approved by %q); want succeeded, %s, [trusted_terminal] by %s", r, a.ApprovedBy, order.Amount, term.ID)
	}
	fmt.Printf("headset: the waiting call returned → %s, payment %s, %s on %s, verified by %v\n", r.Status, r.PaymentID, r.Amount, r.Channel, r.Methods)

	// Proxy debit: an agreement signed at the channel, then the password.
	g, err := headset.SignAgreement(ctx, u.ID, vrauth.AgreementRequest{Channel: "sandbox-a", PerPayment: cny("50.00"), PerDay: cny("100.00")})
	if err != nil {
		return err
	}
	if _, err := phone.submit(ctx, g.SignURL, url.Values{}, "Signed."); err != nil {
		return fmt.Errorf("vrcheckout: signing the agreement: %w", err)
	}
	if g, err = vrSigned(ctx, headset, g.ID); err != nil {
		return err
	}
	fmt.Printf("headset: proxy-debit agreement %s on %s (limits %s a payment, %s a day); the user signed on the channel's page → %s\n",
		g.ID, g.Channel, g.PerPayment, g.PerDay, g.Status)
	const password = "482916"
	if err := headset.SetPassword(ctx, u.ID, password); err != nil {
		return err
	}
	fmt.Println("headset: payment password set (stored as Argon2id)")

	snack := vrauth.Order{MerchantID: shop.ID, Items: []vrauth.Item{{Name: "Hover bike ride", Quantity: 1, UnitPrice: cny("28.00")}}, Amount: cny("28.00")}
	proxy := func(o vrauth.Order, secret string) (vrauth.Started, error) {
		return headset.Checkout(ctx, vrauth.CheckoutRequest{UserID: u.ID, HeadsetID: headsetID, Order: o, Mode: vrauth.ModeProxyDebit,
			Proofs: []verify.Proof{{Method: verify.MethodPassword, Secret: secret}}})
	}
	st, err = proxy(snack, password)
	if err != nil {
		return err
	}
	r, err = vrResult(vrAwait(ctx, headset, st.DeviceCode))
	if err != nil {
		return err
	}
	if r.Status != vrauth.StatusSucceeded || r.PaymentID == "" || r.Amount != snack.Amount || !slices.Equal(r.Methods, []verify.Method{verify.MethodPassword}) {
		return fmt.Errorf("vrcheckout: proxy-debit result %+v; want succeeded, %s, [password]", r, snack.Amount)
	}
	fmt.Printf("headset: bought %s with the password alone → %s, payment %s debited from the agreement, verified by %v\n",
		snack.Amount, r.Status, r.PaymentID, r.Methods)

	var pe *pay.Error
	big := vrauth.Order{MerchantID: shop.ID, Items: []vrauth.Item{{Name: "Season pass", Quantity: 1, UnitPrice: cny("60.00")}}, Amount: cny("60.00")}
	if _, err := proxy(big, password); !errors.Is(err, vrauth.ErrLimit) || !errors.As(err, &pe) {
		return fmt.Errorf("vrcheckout: %s over the per-payment limit: want %v, got %v", big.Amount, vrauth.ErrLimit, err)
	}
	fmt.Printf("headset: %s → refused (%s: %s)\n", big.Amount, pe.Code, pe.Message)
	for _, left := range []int{4, 3} {
		_, err := proxy(snack, "135790")
		if !errors.Is(err, verify.ErrFailed) || !errors.As(err, &pe) || !strings.Contains(pe.Message, fmt.Sprintf("%d attempts left", left)) {
			return fmt.Errorf("vrcheckout: a wrong password: want %v with %d attempts left, got %v", verify.ErrFailed, left, err)
		}
		fmt.Printf("headset: a wrong password → refused (%s: %s)\n", pe.Code, pe.Message)
	}

	got, err := merchant.MerchantBalance(ctx, shop.ID, "CNY")
	if err != nil {
		return err
	}
	if g, err = headset.Agreement(ctx, g.ID); err != nil {
		return err
	}
	fmt.Printf("books: %s received %s (51.00 approved on the phone + 28.00 by proxy debit); the agreement spent %s today\n",
		shop.Name, got, pay.Money{Amount: g.SpentToday, Currency: g.PerDay.Currency})
	if got != cny("79.00") || g.SpentToday != cny("28.00").Amount {
		return fmt.Errorf("vrcheckout: merchant balance %s, agreement spent %d; want 79.00 CNY and 2800 (refusals charge nothing)", got, g.SpentToday)
	}
	return nil
}

// showVRCode checks that the headset's QR image holds its verification URL
// and, if asked, draws it in the terminal.
func showVRCode(st vrauth.Started, opt VRCheckoutOptions) error {
	back, err := qrimage.DecodePNG(st.QRPNG)
	if err != nil {
		return fmt.Errorf("vrcheckout: decode the headset's QR image: %w", err)
	}
	if back != st.VerificationURIComplete {
		return errors.New("vrcheckout: the headset's QR image holds another URL than its verification URL")
	}
	if opt.QR == nil {
		return nil
	}
	fmt.Printf("headset: shows this QR code of %s\n", st.VerificationURIComplete)
	if err := drawQR(opt.QR, st.VerificationURIComplete, opt.LightOnDark); err != nil {
		return err
	}
	if u, err := url.Parse(st.VerificationURIComplete); err == nil && net.ParseIP(u.Hostname()).IsLoopback() {
		fmt.Println("  It points at this machine's loopback address, so a phone can't open it here. A person scans it when\n" +
			"  the backend is served on the network (e.g. go run ./examples/backend -addr <LAN address>:8080, the VR\n" +
			"  app pointed there), with a phone that opened its trusted-terminal activation link. Here the flow plays\n" +
			"  the phone, following the approval link sent to it.")
	} else {
		fmt.Println("  Scan it with a phone that opened its trusted-terminal activation link; here the flow plays the phone.")
	}
	return nil
}

// vrMessage returns the latest message of a kind the backend sent to an
// address (its outbox stands in for SMS).
func vrMessage(srv *paytest.Server, to, kind string) (verify.Message, error) {
	msgs := srv.Outbox.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].To == to && msgs[i].Kind == kind {
			return msgs[i], nil
		}
	}
	return verify.Message{}, fmt.Errorf("vrcheckout: no %s message to %s", kind, to)
}

// vrAwaited is what the headset's Await returned.
type vrAwaited struct {
	r   vrauth.Result
	err error
}

// vrAwait runs the headset's Await in the background, as a VR app would
// while the user is busy on the phone.
func vrAwait(ctx context.Context, c *vrauth.Client, deviceCode string) <-chan vrAwaited {
	ch := make(chan vrAwaited, 1)
	go func() {
		r, err := c.Await(ctx, deviceCode)
		ch <- vrAwaited{r, err}
	}()
	return ch
}

// vrResult waits up to 10 s for an Await's result.
func vrResult(ch <-chan vrAwaited) (vrauth.Result, error) {
	select {
	case got := <-ch:
		return got.r, got.err
	case <-time.After(10 * time.Second):
		return vrauth.Result{}, errors.New("vrcheckout: the headset had no result 10 s after the payment")
	}
}

// vrSigned waits up to 5 s for the channel's callback to mark an agreement
// signed.
func vrSigned(ctx context.Context, c *vrauth.Client, id string) (vrauth.Agreement, error) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		g, err := c.Agreement(ctx, id)
		if err != nil || g.Status == string(channel.AgreementSigned) {
			return g, err
		}
		if time.Now().After(deadline) {
			return g, fmt.Errorf("vrcheckout: agreement %s still %s 5 s after signing", id, g.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// vrPhone is the trusted terminal's browser played over HTTP: a cookie jar
// keeps the pages' anti-forgery cookie and the terminal cookie, and
// redirects are followed as a browser does.
type vrPhone struct{ hc *http.Client }

func newVRPhone() (*vrPhone, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	return &vrPhone{hc: &http.Client{Jar: jar, Timeout: 10 * time.Second}}, nil
}

// vrPage is a page the phone has open: where it ended up and its HTML.
type vrPage struct {
	url, body string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// match returns the first submatch of pattern in the page, or "".
func (p vrPage) match(pattern string) string {
	if m := regexp.MustCompile(pattern).FindStringSubmatch(p.body); m != nil {
		return m[1]
	}
	return ""
}

// matchAll returns every first submatch of pattern in the page.
func (p vrPage) matchAll(pattern string) []string {
	var out []string
	for _, m := range regexp.MustCompile(pattern).FindAllStringSubmatch(p.body, -1) {
		out = append(out, m[1])
	}
	return out
}

// open GETs a page (following redirects) and wants 200.
func (ph *vrPhone) open(ctx context.Context, u string) (vrPage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return vrPage{}, err
	}
	return ph.do(req)
}

// submit opens the page at u and posts its form with fields (plus the
// page's anti-forgery token, when it has one), following the redirect; the
// page it lands on must contain want.
func (ph *vrPhone) submit(ctx context.Context, u string, fields url.Values, want string) (vrPage, error) {
	pg, err := ph.open(ctx, u)
	if err != nil {
		return vrPage{}, err
	}
	if m := csrfField.FindStringSubmatch(pg.body); m != nil {
		fields.Set("csrf", m[1])
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, pg.url, strings.NewReader(fields.Encode()))
	if err != nil {
		return vrPage{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if pg, err = ph.do(req); err != nil {
		return vrPage{}, err
	}
	if !strings.Contains(pg.body, want) {
		return vrPage{}, fmt.Errorf("the page after posting does not say %q", want)
	}
	return pg, nil
}

func (ph *vrPhone) do(req *http.Request) (vrPage, error) {
	resp, err := ph.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = vrShortURL(ue.URL)
		}
		return vrPage{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return vrPage{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return vrPage{}, fmt.Errorf("%s %s: HTTP %d", req.Method, vrShortURL(resp.Request.URL.String()), resp.StatusCode)
	}
	return vrPage{url: resp.Request.URL.String(), body: string(body)}, nil
}

// vrShortURL drops the secret token from an activation or approval link,
// so errors can quote where the phone was.
func vrShortURL(u string) string {
	for _, p := range []string{"/vr/approve/", "/vr/activate/"} {
		if before, _, ok := strings.Cut(u, p); ok {
			return before + p + "…"
		}
	}
	return u
}
