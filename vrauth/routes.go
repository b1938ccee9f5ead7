package vrauth

import (
	"context"
	"net/http"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// Small request bodies of the JSON contract.
type (
	// CodeRequest answers an enrollment SMS code.
	CodeRequest struct {
		CodeID string `json:"code_id"`
		Code   string `json:"code"`
	}
	// SwitchRequest turns a switch on or off.
	SwitchRequest struct {
		Enabled bool `json:"enabled"`
	}
	// DeviceRequest names an authorization by its device code; Wait
	// bounds a long-poll (seconds, at most 20).
	DeviceRequest struct {
		DeviceCode  string `json:"device_code"`
		WaitSeconds int    `json:"wait_seconds,omitempty"`
	}
	// TerminateRequest ends an agreement.
	TerminateRequest struct {
		Reason string `json:"reason,omitempty"`
	}
	// OK is the body of calls that only succeed or fail.
	OK struct {
		OK bool `json:"ok"`
	}
)

// Routes is the JSON contract of the service (the approval pages are in
// PageRoutes):
//
//	POST /v1/vr/users                                   device  RegisterRequest → Enrollment
//	GET  /v1/vr/users/{user_id}                         device  → User
//	POST /v1/vr/users/{user_id}/verify                  device  CodeRequest → User
//	POST /v1/vr/users/{user_id}/resend                  device  → Enrollment
//	POST /v1/vr/users/{user_id}/review                  admin   ReviewRequest → User
//	POST /v1/vr/users/{user_id}/payments                device  SwitchRequest → User
//	POST /v1/vr/users/{user_id}/headsets                device  HeadsetRequest → User
//	POST /v1/vr/users/{user_id}/headsets/{headset_id}   device  SwitchRequest → User
//	GET  /v1/vr/users/{user_id}/eligibility?headset_id= device  → Eligibility
//	POST /v1/vr/users/{user_id}/terminals               device  TerminalRequest → Terminal
//	GET  /v1/vr/users/{user_id}/terminals               device  → List[Terminal]
//	DELETE /v1/vr/users/{user_id}/terminals/{terminal_id} device → OK
//	POST /v1/vr/users/{user_id}/password                device  PasswordRequest → OK (set once)
//	POST /v1/vr/users/{user_id}/password/change         device  PasswordRequest → OK
//	POST /v1/vr/users/{user_id}/password/reset-code     device  → ResetCode
//	POST /v1/vr/users/{user_id}/password/reset          device  PasswordRequest → OK
//	POST /v1/vr/users/{user_id}/keys/code               device  → ResetCode (SMS code for the next call)
//	POST /v1/vr/users/{user_id}/keys                    device  DeviceKeyRequest → OK
//	POST /v1/vr/users/{user_id}/agreements              device  AgreementRequest → Agreement
//	GET  /v1/vr/users/{user_id}/agreements              device  → List[Agreement]
//	GET  /v1/vr/agreements/{agreement_id}               device  → Agreement
//	POST /v1/vr/agreements/{agreement_id}/terminate     device  TerminateRequest → Agreement
//	POST /v1/vr/authorizations                          device  CheckoutRequest → Started
//	POST /v1/vr/authorizations/poll                     device  DeviceRequest → Result (RFC 8628 errors)
//	POST /v1/vr/authorizations/wait                     device  DeviceRequest → Result (long-poll)
//	POST /v1/vr/authorizations/proofs                   device  ProofRequest → Authorization
//	POST /v1/vr/authorizations/challenges               device  ChallengeRequest → verify.Challenge
//	GET  /v1/vr/authorizations/{authorization_id}       merchant → Authorization
//
// Device codes, passwords and codes travel only in request bodies.
func Routes(s *Service) []pay.Route {
	type serve func(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error)
	route := func(method, path string, access pay.Access, status int, f serve) pay.Route {
		return pay.Route{Method: method, Path: path, Access: access, Handle: func(w http.ResponseWriter, r *http.Request) error {
			return pay.Reply(w, status)(f(r.Context(), w, r))
		}}
	}
	post := func(path string, access pay.Access, status int, f serve) pay.Route {
		return route("POST", path, access, status, f)
	}
	get := func(path string, access pay.Access, f serve) pay.Route {
		return route("GET", path, access, http.StatusOK, f)
	}
	uid := func(r *http.Request) string { return r.PathValue("user_id") }
	ok := func(err error) (any, error) {
		if err != nil {
			return nil, err
		}
		return OK{OK: true}, nil
	}
	list := func(w http.ResponseWriter) func(any, error) error { return pay.ReplyList(w) }
	dev, op := pay.AccessDevice, pay.AccessAdmin
	return []pay.Route{
		post("/v1/vr/users", dev, http.StatusCreated, func(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error) {
			var in RegisterRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return nil, err
			}
			return s.Register(ctx, in)
		}),
		get("/v1/vr/users/{user_id}", dev, func(ctx context.Context, _ http.ResponseWriter, r *http.Request) (any, error) {
			return s.User(ctx, uid(r))
		}),
		post("/v1/vr/users/{user_id}/verify", dev, http.StatusOK, func(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error) {
			var in CodeRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return nil, err
			}
			return s.VerifyMobile(ctx, uid(r), in.CodeID, in.Code)
		}),
		post("/v1/vr/users/{user_id}/resend", dev, http.StatusOK, func(ctx context.Context, _ http.ResponseWriter, r *http.Request) (any, error) {
			return s.ResendCode(ctx, uid(r))
		}),
		post("/v1/vr/users/{user_id}/review", op, http.StatusOK, func(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error) {
			var in ReviewRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return nil, err
			}
			return s.Review(ctx, uid(r), in)
		}),
		post("/v1/vr/users/{user_id}/payments", dev, http.StatusOK, func(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error) {
			var in SwitchRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return nil, err
			}
			return s.SetPayments(ctx, uid(r), in.Enabled)
		}),
		post("/v1/vr/users/{user_id}/headsets", dev, http.StatusOK, func(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error) {
			var in HeadsetRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return nil, err
			}
			return s.AddHeadset(ctx, uid(r), in)
		}),
		post("/v1/vr/users/{user_id}/headsets/{headset_id}", dev, http.StatusOK, func(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error) {
			var in SwitchRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return nil, err
			}
			return s.SetHeadset(ctx, uid(r), r.PathValue("headset_id"), in.Enabled)
		}),
		get("/v1/vr/users/{user_id}/eligibility", dev, func(ctx context.Context, _ http.ResponseWriter, r *http.Request) (any, error) {
			return s.Eligibility(ctx, uid(r), r.URL.Query().Get("headset_id"))
		}),
		post("/v1/vr/users/{user_id}/terminals", dev, http.StatusCreated, func(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error) {
			var in TerminalRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return nil, err
			}
			return s.AddTerminal(ctx, uid(r), in)
		}),
		{Method: "GET", Path: "/v1/vr/users/{user_id}/terminals", Access: dev, Handle: func(w http.ResponseWriter, r *http.Request) error {
			return list(w)(s.Terminals(r.Context(), uid(r)))
		}},
		route("DELETE", "/v1/vr/users/{user_id}/terminals/{terminal_id}", dev, http.StatusOK, func(ctx context.Context, _ http.ResponseWriter, r *http.Request) (any, error) {
			return ok(s.RemoveTerminal(ctx, uid(r), r.PathValue("terminal_id")))
		}),
		post("/v1/vr/users/{user_id}/password", dev, http.StatusOK, passwordRoute(s.SetPassword)),
		post("/v1/vr/users/{user_id}/password/change", dev, http.StatusOK, passwordRoute(s.ChangePassword)),
		post("/v1/vr/users/{user_id}/password/reset", dev, http.StatusOK, passwordRoute(s.ResetPassword)),
		post("/v1/vr/users/{user_id}/password/reset-code", dev, http.StatusOK, func(ctx context.Context, _ http.ResponseWriter, r *http.Request) (any, error) {
			return s.SendResetCode(ctx, uid(r))
		}),
		post("/v1/vr/users/{user_id}/keys/code", dev, http.StatusOK, func(ctx context.Context, _ http.ResponseWriter, r *http.Request) (any, error) {
			return s.SendKeyCode(ctx, uid(r))
		}),
		post("/v1/vr/users/{user_id}/keys", dev, http.StatusOK, func(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error) {
			var in DeviceKeyRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return nil, err
			}
			return ok(s.RegisterDeviceKey(ctx, uid(r), in))
		}),
		post("/v1/vr/users/{user_id}/agreements", dev, http.StatusCreated, func(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error) {
			var in AgreementRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return nil, err
			}
			return s.SignAgreement(ctx, uid(r), in)
		}),
		{Method: "GET", Path: "/v1/vr/users/{user_id}/agreements", Access: dev, Handle: func(w http.ResponseWriter, r *http.Request) error {
			return list(w)(s.Agreements(r.Context(), uid(r)))
		}},
		get("/v1/vr/agreements/{agreement_id}", dev, func(ctx context.Context, _ http.ResponseWriter, r *http.Request) (any, error) {
			return s.Agreement(ctx, r.PathValue("agreement_id"))
		}),
		post("/v1/vr/agreements/{agreement_id}/terminate", dev, http.StatusOK, func(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error) {
			var in TerminateRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return nil, err
			}
			return s.TerminateAgreement(ctx, r.PathValue("agreement_id"), in.Reason)
		}),
		post("/v1/vr/authorizations", dev, http.StatusCreated, func(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error) {
			var in CheckoutRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return nil, err
			}
			return s.Checkout(ctx, in)
		}),
		post("/v1/vr/authorizations/poll", dev, http.StatusOK, func(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error) {
			var in DeviceRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return nil, err
			}
			return s.Poll(ctx, in.DeviceCode)
		}),
		post("/v1/vr/authorizations/wait", dev, http.StatusOK, func(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error) {
			var in DeviceRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return nil, err
			}
			if in.WaitSeconds < 0 || in.WaitSeconds > int(MaxWait/time.Second) {
				return nil, pay.Errorf(pay.ErrInvalidRequest, "wait_seconds", "wait_seconds must be 0 to %d", int(MaxWait/time.Second))
			}
			return s.Wait(ctx, in.DeviceCode, time.Duration(in.WaitSeconds)*time.Second)
		}),
		post("/v1/vr/authorizations/proofs", dev, http.StatusOK, func(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error) {
			var in ProofRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return nil, err
			}
			return s.AddProof(ctx, in.DeviceCode, in.Proof)
		}),
		post("/v1/vr/authorizations/challenges", dev, http.StatusOK, func(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error) {
			var in ChallengeRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return nil, err
			}
			return s.Challenge(ctx, in.DeviceCode, in.Method)
		}),
		get("/v1/vr/authorizations/{authorization_id}", pay.AccessMerchant, func(ctx context.Context, _ http.ResponseWriter, r *http.Request) (any, error) {
			return s.Authorization(ctx, r.PathValue("authorization_id"))
		}),
	}
}

// passwordRoute serves the password calls, which share a body and answer OK.
func passwordRoute(f func(context.Context, string, PasswordRequest) error) func(context.Context, http.ResponseWriter, *http.Request) (any, error) {
	return func(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error) {
		var in PasswordRequest
		if err := pay.DecodeJSON(w, r, &in); err != nil {
			return nil, err
		}
		if err := f(ctx, r.PathValue("user_id"), in); err != nil {
			return nil, err
		}
		return OK{OK: true}, nil
	}
}

// Handler serves Routes and PageRoutes with no authentication; the
// reference backend adds auth, idempotency and request IDs around the
// JSON routes.
func Handler(s *Service) http.Handler {
	return pay.NewMux(append(Routes(s), PageRoutes(s)...))
}
