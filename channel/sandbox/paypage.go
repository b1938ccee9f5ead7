package sandbox

import (
	"html/template"
	"net/http"

	"github.com/paykit-go/paykit/channel"
)

// The payer's pages. A web charge's redirect_url and an agreement's signing
// URL point here, so a human can pay or sign in a browser. They are not
// signed: the unguessable provider ID in the URL is the payer's authority,
// as with a real provider's hosted page.

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Sandbox {{.Title}}</title></head>
<body>
<h1>Sandbox {{.Title}}</h1>
<p>{{.Subject}}</p>
<p>Status: <strong>{{.Status}}</strong></p>
{{if .Open}}<form method="post"><button type="submit">{{.Button}}</button></form>{{end}}
{{if .Message}}<p>{{.Message}}</p>{{end}}
{{if .ReturnURL}}<p><a href="{{.ReturnURL}}">Back to the merchant</a></p>{{end}}
</body></html>
`))

type pageData struct {
	Title, Subject, Status, Button, Message string
	Open                                    bool
	ReturnURL                               string
}

func (p *Provider) renderPage(w http.ResponseWriter, status int, d pageData) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; form-action 'self'")
	w.WriteHeader(status)
	_ = pageTemplate.Execute(w, d)
}

// handlePayPage shows a charge (GET) and pays it (POST).
func (p *Provider) handlePayPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("provider_id")
	find := func() *chargeRecord { return p.chargesByProvider[id] }
	payNow := func() error {
		_, err := p.changeChargeBy(r.Context(), find, channel.StatusPending, channel.StatusSucceeded, "")
		return err
	}
	p.servePage(w, r, pageData{Title: "payment", Button: "Pay"}, payNow, "Paid. The merchant is being notified.", func(d *pageData) bool {
		c := find()
		if c == nil {
			return false
		}
		p.expireLocked(c, p.clock.Now())
		d.Subject = c.req.Description + " " + c.req.Amount.String()
		d.Status, d.Open, d.ReturnURL = string(c.status), c.status == channel.StatusPending, c.req.ReturnURL
		return true
	})
}

// handleSignPage shows an agreement (GET) and signs it (POST).
func (p *Provider) handleSignPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("provider_id")
	find := func() *agreementRecord { return p.agreementsByProvider[id] }
	sign := func() error {
		_, err := p.signAgreement(r.Context(), find)
		return err
	}
	p.servePage(w, r, pageData{Title: "agreement", Button: "Sign"}, sign, "Signed. The merchant is being notified.", func(d *pageData) bool {
		ag := find()
		if ag == nil {
			return false
		}
		d.Subject = "Standing debit agreement with " + ag.req.DisplayName
		d.Status, d.Open, d.ReturnURL = string(ag.status), ag.status == channel.AgreementPending, ag.req.ReturnURL
		return true
	})
}

// servePage serves a payer's page about one object. A POST first runs act
// (paying or signing) and reports done or why act failed. describe fills
// in the object's state under p.mu and reports whether it exists; when it
// does not, the page says "No such <title>." with 404.
func (p *Provider) servePage(w http.ResponseWriter, r *http.Request, d pageData, act func() error, done string, describe func(*pageData) bool) {
	if r.Method == http.MethodPost {
		if err := act(); err != nil {
			d.Message = errorMessage(err)
		} else {
			d.Message = done
		}
	}
	p.mu.Lock()
	found := describe(&d)
	p.mu.Unlock()
	if !found {
		p.renderPage(w, http.StatusNotFound, pageData{Title: d.Title, Status: "unknown", Message: "No such " + d.Title + "."})
		return
	}
	p.renderPage(w, http.StatusOK, d)
}
