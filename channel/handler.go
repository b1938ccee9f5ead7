package channel

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// Request bodies of the aggregator's routes that have no engine struct.
type (
	// SwitchRequest is the body of POST /v1/channels/{name}/switch and
	// POST /v1/users/{user_id}/channels/{name}.
	SwitchRequest struct {
		Enabled bool `json:"enabled"`
	}
	// TerminateRequest is the body of POST /v1/agreements/{id}/terminate.
	TerminateRequest struct {
		Reason string `json:"reason,omitempty"`
	}
)

// MaxWait caps the long-poll of GET /v1/payments/{id}?wait=<seconds>.
const MaxWait = 60 * time.Second

// Routes is the HTTP contract of the aggregator.
func Routes(a *Aggregator) []pay.Route {
	return []pay.Route{
		{Method: "GET", Path: "/v1/channels", Access: pay.AccessDevice, Handle: func(w http.ResponseWriter, r *http.Request) error {
			q := r.URL.Query()
			if s := q.Get("scenario"); s != "" {
				return pay.ReplyList(w)(a.Choices(r.Context(), q.Get("user_id"), Scenario(s), q.Get("currency")))
			}
			return pay.ReplyList(w)(a.Channels(r.Context(), q.Get("user_id")))
		}},
		{Method: "POST", Path: "/v1/channels/{name}/switch", Access: pay.AccessAdmin, Handle: func(w http.ResponseWriter, r *http.Request) error {
			var in SwitchRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return err
			}
			if err := a.SetEnabled(r.Context(), r.PathValue("name"), in.Enabled); err != nil {
				return err
			}
			return pay.ReplyList(w)(a.Channels(r.Context(), ""))
		}},
		{Method: "POST", Path: "/v1/users/{user_id}/channels/{name}", Access: pay.AccessDevice, Handle: func(w http.ResponseWriter, r *http.Request) error {
			var in SwitchRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return err
			}
			user := r.PathValue("user_id")
			if err := a.SetUserEnabled(r.Context(), user, r.PathValue("name"), in.Enabled); err != nil {
				return err
			}
			return pay.ReplyList(w)(a.Channels(r.Context(), user))
		}},
		{Method: "POST", Path: "/v1/payments", Access: pay.AccessDevice, Handle: func(w http.ResponseWriter, r *http.Request) error {
			var in PaymentRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return err
			}
			return pay.Reply(w, http.StatusCreated)(a.CreatePayment(r.Context(), in))
		}},
		{Method: "GET", Path: "/v1/payments/{id}", Access: pay.AccessDevice, Handle: func(w http.ResponseWriter, r *http.Request) error {
			id, err := pay.PathID(r, "id", PrefixPayment)
			if err != nil {
				return err
			}
			wait, err := waitParam(r)
			if err != nil {
				return err
			}
			if wait == 0 {
				return pay.Reply(w, http.StatusOK)(a.Payment(r.Context(), id))
			}
			ctx, cancel := context.WithTimeout(r.Context(), wait)
			defer cancel()
			return pay.Reply(w, http.StatusOK)(a.WaitPayment(ctx, id))
		}},
		{Method: "POST", Path: "/v1/payments/{id}/close", Access: pay.AccessDevice, Handle: func(w http.ResponseWriter, r *http.Request) error {
			id, err := pay.PathID(r, "id", PrefixPayment)
			if err != nil {
				return err
			}
			return pay.Reply(w, http.StatusOK)(a.ClosePayment(r.Context(), id))
		}},
		{Method: "POST", Path: "/v1/payments/{id}/sync", Access: pay.AccessMerchant, Handle: func(w http.ResponseWriter, r *http.Request) error {
			id, err := pay.PathID(r, "id", PrefixPayment)
			if err != nil {
				return err
			}
			return pay.Reply(w, http.StatusOK)(a.SyncPayment(r.Context(), id))
		}},
		{Method: "POST", Path: "/v1/payments/{id}/refunds", Access: pay.AccessMerchant, Handle: func(w http.ResponseWriter, r *http.Request) error {
			id, err := pay.PathID(r, "id", PrefixPayment)
			if err != nil {
				return err
			}
			var in RefundParams
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return err
			}
			return pay.Reply(w, http.StatusCreated)(a.Refund(r.Context(), id, in))
		}},
		{Method: "POST", Path: "/v1/agreements", Access: pay.AccessDevice, Handle: func(w http.ResponseWriter, r *http.Request) error {
			var in AgreementParams
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return err
			}
			return pay.Reply(w, http.StatusCreated)(a.SignAgreement(r.Context(), in))
		}},
		{Method: "GET", Path: "/v1/agreements/{id}", Access: pay.AccessDevice, Handle: func(w http.ResponseWriter, r *http.Request) error {
			id, err := pay.PathID(r, "id", PrefixAgree)
			if err != nil {
				return err
			}
			return pay.Reply(w, http.StatusOK)(a.AgreementByID(r.Context(), id))
		}},
		{Method: "POST", Path: "/v1/agreements/{id}/terminate", Access: pay.AccessDevice, Handle: func(w http.ResponseWriter, r *http.Request) error {
			id, err := pay.PathID(r, "id", PrefixAgree)
			if err != nil {
				return err
			}
			var in TerminateRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return err
			}
			return pay.Reply(w, http.StatusOK)(a.TerminateAgreement(r.Context(), id, in.Reason))
		}},
		{Method: "POST", Path: CallbackPath, Access: pay.AccessPublic, Handle: func(w http.ResponseWriter, r *http.Request) error {
			a.HandleCallback(w, r, r.PathValue("channel"))
			return nil
		}},
	}
}

// Handler serves the aggregator's routes without authentication; the
// reference backend (pay/paytest) mounts Routes behind its middleware.
func Handler(a *Aggregator) http.Handler { return pay.NewMux(Routes(a)) }

// waitParam reads ?wait=<seconds> (0–60).
func waitParam(r *http.Request) (time.Duration, error) {
	s := r.URL.Query().Get("wait")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || time.Duration(n)*time.Second > MaxWait {
		return 0, pay.Errorf(pay.ErrInvalidRequest, "wait", "wait must be whole seconds from 0 to %d", int(MaxWait/time.Second))
	}
	return time.Duration(n) * time.Second, nil
}
