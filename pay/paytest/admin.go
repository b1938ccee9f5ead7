package paytest

import (
	"net/http"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// AdvanceClockRequest is the body of POST /v1/admin/clock/advance.
type AdvanceClockRequest struct {
	Seconds int64 `json:"seconds"`
}

// ClockResponse tells the backend's current time.
type ClockResponse struct {
	Now time.Time `json:"now"`
}

// LedgerTotals is the answer of GET /v1/admin/ledger/totals: per unit, the
// posted and pending sums over all accounts. Debits equal credits always.
type LedgerTotals struct {
	Totals map[string]Totals `json:"totals"`
}

// Totals are the sums of one unit.
type Totals struct {
	DebitsPosted   int64 `json:"debits_posted"`
	CreditsPosted  int64 `json:"credits_posted"`
	DebitsPending  int64 `json:"debits_pending"`
	CreditsPending int64 `json:"credits_pending"`
}

func (b *Backend) adminRoutes() []pay.Route {
	return []pay.Route{
		{Method: "GET", Path: "/v1/admin/clock", Access: pay.AccessAdmin, Handle: func(w http.ResponseWriter, r *http.Request) error {
			pay.WriteJSON(w, http.StatusOK, ClockResponse{Now: b.Now()})
			return nil
		}},
		{Method: "POST", Path: "/v1/admin/clock/advance", Access: pay.AccessAdmin, Handle: func(w http.ResponseWriter, r *http.Request) error {
			var in AdvanceClockRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return err
			}
			if in.Seconds <= 0 || in.Seconds > 10*365*24*3600 {
				return pay.Errorf(pay.ErrInvalidRequest, "seconds", "seconds must be between 1 and ten years")
			}
			if err := b.Advance(time.Duration(in.Seconds) * time.Second); err != nil {
				return pay.Errorf(pay.ErrConflict, "", "%v", err)
			}
			pay.WriteJSON(w, http.StatusOK, ClockResponse{Now: b.Now()})
			return nil
		}},
		{Method: "GET", Path: "/v1/admin/ledger/totals", Access: pay.AccessAdmin, Handle: func(w http.ResponseWriter, r *http.Request) error {
			t, err := b.Ledger.Totals(r.Context())
			if err != nil {
				return err
			}
			out := LedgerTotals{Totals: map[string]Totals{}}
			for unit, v := range t {
				out.Totals[unit] = Totals{DebitsPosted: v.DebitsPosted, CreditsPosted: v.CreditsPosted, DebitsPending: v.DebitsPending, CreditsPending: v.CreditsPending}
			}
			pay.WriteJSON(w, http.StatusOK, out)
			return nil
		}},
	}
}
