package vrauth_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/qr/qrimage"
	"github.com/paykit-go/paykit/verify"
	"github.com/paykit-go/paykit/vrauth"
)

var vtUserCodeRE = regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`)

// TestCrossTerminalApproval is the whole cross-terminal path over HTTP:
// the headset's order sends an approval link, the phone approves on the
// HTML page with its csrf token, is sent to the sandbox's pay page, pays,
// and the headset's waiting call returns the success exactly once.
func TestCrossTerminalApproval(t *testing.T) {
	e := vtNew(t)
	u := e.user("Ada")
	term, _ := e.terminal(u, "Ada's phone")

	st := e.checkout(u, 12_50)
	a := st.Authorization
	if a.Status != vrauth.StatusPending || a.Mode != vrauth.ModeCrossTerminal || len(a.Methods) != 0 || a.PaymentID != "" {
		t.Fatalf("started authorization = %+v, want pending cross_terminal with no methods and no payment", a)
	}
	if !vtUserCodeRE.MatchString(st.UserCode) {
		t.Fatalf("user code %q is not XXXX-XXXX of %s", st.UserCode, vrauth.UserCodeAlphabet)
	}
	if want := e.srv.URL + "/vr/code"; st.VerificationURI != want {
		t.Fatalf("verification URI = %q, want %q", st.VerificationURI, want)
	}
	if want := e.srv.URL + "/vr/code?user_code=" + st.UserCode; st.VerificationURIComplete != want {
		t.Fatalf("complete verification URI = %q, want %q", st.VerificationURIComplete, want)
	}
	if st.ExpiresIn != 300 || st.Interval != 5 || len(st.DeviceCode) != 43 {
		t.Fatalf("expires_in %d, interval %d, device code of %d chars; want 300, 5, 43", st.ExpiresIn, st.Interval, len(st.DeviceCode))
	}
	got, err := qrimage.DecodePNG(st.QRPNG)
	if err != nil {
		t.Fatalf("decoding the QR PNG: %v", err)
	}
	if got != st.VerificationURIComplete {
		t.Fatalf("QR decodes to %q, want %q", got, st.VerificationURIComplete)
	}

	link := e.link(term.Address, vrauth.KindApproval)
	if !strings.HasPrefix(link, e.srv.URL+"/vr/approve/") {
		t.Fatalf("approval link %q is not under %s/vr/approve/", link, e.srv.URL)
	}
	if n := e.charges(); n != 0 {
		t.Fatalf("%d charges before approval, want 0", n)
	}

	phone := vtNewBrowser(t)
	page := phone.get(link)
	vtWantPage(t, "approval page", page, http.StatusOK, "m_dragonforge", "Obsidian Greatsword", "12.50 CNY", "Ada&#39;s phone", `id="approve"`, `id="deny"`)
	csrf := page.csrf(t)
	ans := phone.post(link, map[string][]string{"csrf": {csrf}, "action": {"approve"}, "channel": {vtChannel}})
	if ans.Status != http.StatusSeeOther || !strings.HasPrefix(ans.Location, e.srv.URL+"/sandbox/"+vtChannel+"/pay/") {
		t.Fatalf("approve: status %d, Location %q; want 303 to the sandbox pay page", ans.Status, ans.Location)
	}
	if n := e.charges(); n != 1 {
		t.Fatalf("%d charges after approval, want 1", n)
	}
	if s := e.status(a.ID); s != vrauth.StatusApproved {
		t.Fatalf("status after approval = %s, want approved", s)
	}

	// The headset waits while the payer pays on the channel's page.
	type outcome struct {
		r   vrauth.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		r, err := e.await(st.DeviceCode)
		done <- outcome{r, err}
	}()
	payPage := phone.get(ans.Location)
	vtWantPage(t, "sandbox pay page", payPage, http.StatusOK, "12.50 CNY", "Pay")
	vtWantPage(t, "paying", phone.post(ans.Location, nil), http.StatusOK, "Paid.")

	o := <-done
	if o.err != nil {
		t.Fatalf("Await: %v", o.err)
	}
	full, err := e.merchant.Authorization(e.ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := vrauth.Result{AuthorizationID: a.ID, Status: vrauth.StatusSucceeded, PaymentID: full.PaymentID, Amount: vtCNY(12_50),
		Channel: vtChannel, Methods: []verify.Method{verify.MethodTrustedTerminal}}
	if diff := cmp.Diff(want, o.r); diff != "" {
		t.Fatalf("result (-want +got):\n%s", diff)
	}
	if full.ApprovedBy != term.ID || !full.Delivered || full.Status != vrauth.StatusSucceeded || full.PaymentID == "" {
		t.Fatalf("authorization after delivery = %+v; want succeeded, delivered, approved by %s", full, term.ID)
	}

	// Exactly once: a second Await, a Wait and a Poll all say delivered.
	_, err = e.await(st.DeviceCode)
	vtIs(t, "second Await", err, vrauth.ErrDelivered)
	_, err = e.dev.Poll(e.ctx, st.DeviceCode)
	vtIs(t, "Poll after delivery", err, vrauth.ErrDelivered)
	if n := e.charges(); n != 1 {
		t.Fatalf("%d charges at the end, want 1", n)
	}

	// The page now shows the final state and no form.
	page = phone.get(link)
	vtWantPage(t, "approval page after payment", page, http.StatusOK, `<strong id="status">succeeded</strong>`)
	if strings.Contains(page.Body, "<form") {
		t.Fatalf("the page of a decided authorization still has a form:\n%s", page.Body)
	}
	// Approving again through the same link (with the form's valid token)
	// is refused as already decided; nothing moves.
	vtWantPage(t, "approving again", phone.post(link, map[string][]string{"csrf": {csrf}, "action": {"approve"}, "channel": {vtChannel}}),
		http.StatusConflict, "already succeeded")
	if n := e.charges(); n != 1 {
		t.Fatalf("%d charges after a second approval, want 1", n)
	}
}

// TestApprovalLinksGoToEveryTerminal: each trusted terminal gets its own
// link; the page names the terminal it was sent to, and either link
// approves (once).
func TestApprovalLinksGoToEveryTerminal(t *testing.T) {
	e := vtNew(t)
	u := e.user("Ada")
	t1, _ := e.terminal(u, "Phone")
	t2, _ := e.terminal(u, "Laptop")
	before := len(e.srv.Outbox.Messages())
	st := e.checkout(u, 3_00)
	var kinds []string
	for _, m := range e.srv.Outbox.Messages()[before:] {
		kinds = append(kinds, m.Kind+" "+m.To)
	}
	slices.Sort(kinds)
	want := []string{vrauth.KindApproval + " " + t1.Address, vrauth.KindApproval + " " + t2.Address}
	slices.Sort(want)
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Fatalf("messages sent by Checkout (-want +got):\n%s", diff)
	}
	l1, l2 := e.link(t1.Address, vrauth.KindApproval), e.link(t2.Address, vrauth.KindApproval)
	if l1 == l2 {
		t.Fatal("two terminals got the same link")
	}
	phone, laptop := vtNewBrowser(t), vtNewBrowser(t)
	vtWantPage(t, "phone link", phone.get(l1), http.StatusOK, "This terminal: Phone")
	phoneCSRF := phone.open(l1)
	vtWantPage(t, "laptop link", laptop.get(l2), http.StatusOK, "This terminal: Laptop")
	if ans := laptop.approve(l2, vtChannel); ans.Status != http.StatusSeeOther {
		t.Fatalf("approve through the laptop's link: status %d:\n%s", ans.Status, ans.Body)
	}
	vtWantPage(t, "phone approving after the laptop did", phone.post(l1, map[string][]string{"csrf": {phoneCSRF}, "action": {"approve"}, "channel": {vtChannel}}),
		http.StatusConflict, "already approved")
	a, err := e.merchant.Authorization(e.ctx, st.Authorization.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a.ApprovedBy != t2.ID || e.charges() != 1 {
		t.Fatalf("approved by %s with %d charges; want %s and 1", a.ApprovedBy, e.charges(), t2.ID)
	}
}
