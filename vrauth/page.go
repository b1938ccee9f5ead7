package vrauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"net"
	"net/http"
	"strings"

	"github.com/paykit-go/paykit/pay"
)

// The approval pages: plain HTML forms (no JavaScript) that a trusted
// terminal's browser opens. They are public routes: an approval link's
// token, or an activated terminal's cookie plus a user code, is the
// caller's authority, and every form post carries an anti-forgery token
// bound to a per-browser cookie.

//go:embed pages
var pageFS embed.FS

var pageTemplates = template.Must(template.ParseFS(pageFS, "pages/*.html"))

var styleCSS, _ = pageFS.ReadFile("pages/style.css")

const (
	csrfCookie     = "vr_csrf"
	terminalCookie = "vr_terminal"
	cookiePath     = "/vr/"
	maxFormBytes   = 4 << 10
)

// pageData is what the templates render.
type pageData struct {
	Title, Error, Notice string
	Approval             *Approval
	Status               string
	Open, Choose         bool
	Channels             []string
	Action, CSRF         string
	UserCode             string
}

// PageRoutes serves the trusted terminal's pages:
//
//	GET  /vr/assets/style.css
//	GET  /vr/activate/{token}   confirm activating this browser as a trusted terminal
//	POST /vr/activate/{token}   activate (sets the terminal cookie)
//	GET  /vr/code               the form a user code is typed into
//	POST /vr/code               check the code; redirect to a fresh approval link
//	GET  /vr/approve/{token}    the order, the channels, Approve and Deny
//	POST /vr/approve/{token}    approve (redirect to the channel's payment page) or deny
//	GET  /vr/done               where the channel's page returns the user
func PageRoutes(s *Service) []pay.Route {
	page := func(method, path string, h func(w http.ResponseWriter, r *http.Request)) pay.Route {
		return pay.Route{Method: method, Path: path, Access: pay.AccessPublic, Handle: func(w http.ResponseWriter, r *http.Request) error {
			h(w, r)
			return nil
		}}
	}
	return []pay.Route{
		page("GET", "/vr/assets/style.css", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/css; charset=utf-8")
			w.Header().Set("Cache-Control", "public, max-age=3600")
			_, _ = w.Write(styleCSS)
		}),
		page("GET", activationPath+"{token}", s.activatePage),
		page("POST", activationPath+"{token}", s.activatePage),
		page("GET", verificationURI, s.codePage),
		page("POST", verificationURI, s.codePage),
		page("GET", approvalPath+"{token}", s.approvePage),
		page("POST", approvalPath+"{token}", s.approvePage),
		page("GET", "/vr/done", func(w http.ResponseWriter, r *http.Request) {
			s.render(w, http.StatusOK, "message", pageData{Title: "Done", Notice: "You can go back to your headset; it shows the result."})
		}),
	}
}

// render writes a page with headers that keep it out of frames, caches
// and Referer headers (approval URLs carry their token).
func (s *Service) render(w http.ResponseWriter, status int, name string, d pageData) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	if err := pageTemplates.ExecuteTemplate(w, name, d); err != nil {
		s.log.Error("vrauth: rendering page", "page", name, "err", err)
	}
}

// fail renders an error page with the error's message and status.
func (s *Service) failPage(w http.ResponseWriter, title string, err error) {
	var pe *pay.Error
	if !errors.As(err, &pe) {
		pe = pay.Errorf(pay.ErrInternal, "", "something went wrong; try again")
	}
	s.render(w, pe.Status(), "message", pageData{Title: title, Error: pe.Message})
}

// csrf returns the browser's anti-forgery cookie value, setting a new one
// when the browser has none.
func (s *Service) csrf(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && validSecret(c.Value) {
		return c.Value
	}
	v := newSecret()
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: cookiePath, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	return v
}

// csrfToken binds a form to the browser's cookie and the page's path.
func (s *Service) csrfToken(cookie, path string) string {
	m := hmac.New(sha256.New, s.csrfKey)
	m.Write([]byte("vrauth-csrf\x00" + cookie + "\x00" + path))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkForm parses a form post (small, urlencoded) and checks its
// anti-forgery token against the browser's cookie, in constant time.
func (s *Service) checkForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return pay.Errorf(pay.ErrInvalidRequest, "", "malformed form")
	}
	c, err := r.Cookie(csrfCookie)
	if err != nil || !validSecret(c.Value) {
		return pay.Errorf(ErrCSRF, "csrf", "this form has expired; reload the page and try again")
	}
	want := s.csrfToken(c.Value, r.URL.Path)
	if !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(want)) {
		return pay.Errorf(ErrCSRF, "csrf", "this form has expired; reload the page and try again")
	}
	return nil
}

func (s *Service) activatePage(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	d := pageData{Title: "Trusted terminal", Action: r.URL.Path}
	if r.Method == http.MethodPost {
		if err := s.checkForm(w, r); err != nil {
			s.failPage(w, d.Title, err)
			return
		}
		t, secret, err := s.ActivateTerminal(r.Context(), token)
		if err != nil {
			s.failPage(w, d.Title, err)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: terminalCookie, Value: secret, Path: cookiePath, MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
		d.Notice = "This browser is now the trusted terminal “" + t.Name + "”."
		s.render(w, http.StatusOK, "activate", d)
		return
	}
	if !validSecret(token) {
		s.failPage(w, d.Title, pay.Errorf(pay.ErrNotFound, "", "this activation link is unknown, used or expired"))
		return
	}
	d.Open, d.CSRF = true, s.csrfToken(s.csrf(w, r), r.URL.Path)
	s.render(w, http.StatusOK, "activate", d)
}

func (s *Service) codePage(w http.ResponseWriter, r *http.Request) {
	d := pageData{Title: "Approve a headset purchase"}
	if r.Method == http.MethodPost {
		if err := s.checkForm(w, r); err != nil {
			s.failPage(w, d.Title, err)
			return
		}
		secret := ""
		if c, err := r.Cookie(terminalCookie); err == nil {
			secret = c.Value
		}
		token, err := s.EnterCode(r.Context(), clientOf(r), secret, r.PostForm.Get("user_code"))
		if err == nil {
			http.Redirect(w, r, approvalPath+token, http.StatusSeeOther)
			return
		}
		var pe *pay.Error
		if !errors.As(err, &pe) { // a store or context error: say nothing of it
			pe = pay.Errorf(pay.ErrInternal, "", "something went wrong; try again")
		}
		d.Error = pe.Message
		d.CSRF = s.csrfToken(s.csrf(w, r), r.URL.Path)
		s.render(w, pe.Status(), "code", d)
		return
	}
	d.UserCode = FormatUserCode(NormalizeUserCode(r.URL.Query().Get("user_code")))
	d.CSRF = s.csrfToken(s.csrf(w, r), r.URL.Path)
	s.render(w, http.StatusOK, "code", d)
}

// clientOf keys the per-client rate limit: the remote IP address.
func clientOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Service) approvePage(w http.ResponseWriter, r *http.Request) {
	const title = "Approve a headset purchase"
	token := r.PathValue("token")
	var notice string
	if r.Method == http.MethodPost {
		if err := s.checkForm(w, r); err != nil {
			s.failPage(w, title, err)
			return
		}
		var err error
		switch r.PostForm.Get("action") {
		case "approve":
			var redirect string
			var a Authorization
			a, redirect, err = s.Approve(r.Context(), token, strings.TrimSpace(r.PostForm.Get("channel")))
			if err == nil && redirect != "" {
				http.Redirect(w, r, redirect, http.StatusSeeOther)
				return
			}
			notice = "Approved. Your headset shows the result."
			if err == nil && a.Status == StatusPending { // the policy wants more than this approval
				notice = "Your approval is recorded. The purchase still needs a confirmation in your headset."
			}
		case "deny":
			_, err = s.Deny(r.Context(), token)
			notice = "Denied. Nothing was charged."
		default:
			err = pay.Errorf(pay.ErrInvalidRequest, "action", "choose Approve or Deny")
		}
		if err != nil {
			s.failPage(w, title, err)
			return
		}
	}
	ap, err := s.ApprovalByLink(r.Context(), token)
	if err != nil {
		s.failPage(w, title, err)
		return
	}
	d := pageData{Title: title, Approval: &ap, Status: string(ap.Authorization.Status), Notice: notice, Channels: ap.Channels, Action: r.URL.Path}
	switch {
	case ap.Expired:
		d.Status, d.Error = string(StatusExpired), "This request has expired. Start the purchase again in the headset."
	case ap.Authorization.Status == StatusPending && len(ap.Channels) > 0:
		d.Open, d.Choose = true, len(ap.Channels) > 1
		d.CSRF = s.csrfToken(s.csrf(w, r), r.URL.Path)
	case ap.Authorization.Status == StatusPending:
		d.Error = "No payment channel is enabled for you."
	}
	s.render(w, http.StatusOK, "approve", d)
}
