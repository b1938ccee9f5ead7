package token

import (
	"context"
	"net/http"
	"strconv"

	"github.com/paykit-go/paykit/pay"
)

// DetokenizeResult is the answer of POST /v1/tokens/{token_id}/detokenize.
type DetokenizeResult struct {
	TokenID     string      `json:"token_id"`
	AccountType AccountType `json:"account_type"`
	Account     string      `json:"account"`
}

// CallerFrom is how the Handler names its caller: the pay.Principal the
// backend's auth middleware put in the request context. The admin access
// level is the issuer; the token:detokenize scope lets a key see account
// numbers. Without a principal every route answers 401.
func CallerFrom(ctx context.Context) (Caller, error) {
	p, ok := pay.PrincipalFrom(ctx)
	if !ok || p.ID == "" {
		return Caller{}, pay.Errorf(pay.ErrUnauthorized, "", "the token vault needs an authenticated caller")
	}
	return Caller{ID: p.ID, Issuer: p.Access == pay.AccessAdmin, Detokenize: p.HasScope(ScopeDetokenize)}, nil
}

// Routes is the HTTP contract of the vault. Token owners (merchant and
// admin keys) manage tokens by their tok_ ID; acceptors (device keys too)
// present token values in request bodies, never in URLs, so token values
// stay out of access logs.
func Routes(v *Vault) []pay.Route {
	// owner serves a route on one token the caller owns.
	owner := func(method, path string, fn func(w http.ResponseWriter, r *http.Request, c Caller, id string) error) pay.Route {
		return pay.Route{Method: method, Path: path, Access: pay.AccessMerchant, Handle: func(w http.ResponseWriter, r *http.Request) error {
			c, err := CallerFrom(r.Context())
			if err != nil {
				return err
			}
			id, err := pay.PathID(r, "token_id", PrefixToken)
			if err != nil {
				return err
			}
			return fn(w, r, c, id)
		}}
	}
	// lifecycle serves a body-less state change.
	lifecycle := func(path string, fn func(context.Context, Caller, string) (Token, error)) pay.Route {
		return owner("POST", path, func(w http.ResponseWriter, r *http.Request, c Caller, id string) error {
			return pay.Reply(w, http.StatusOK)(fn(r.Context(), c, id))
		})
	}
	// create serves a route with a JSON body and the caller.
	create := func(path string, access pay.Access, fn func(w http.ResponseWriter, r *http.Request, c Caller) error) pay.Route {
		return pay.Route{Method: "POST", Path: path, Access: access, Handle: func(w http.ResponseWriter, r *http.Request) error {
			c, err := CallerFrom(r.Context())
			if err != nil {
				return err
			}
			return fn(w, r, c)
		}}
	}
	return []pay.Route{
		create("/v1/tokens", pay.AccessMerchant, func(w http.ResponseWriter, r *http.Request, c Caller) error {
			var in IssueRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return err
			}
			return pay.Reply(w, http.StatusCreated)(v.Issue(r.Context(), c, in))
		}),
		create("/v1/credentials", pay.AccessMerchant, func(w http.ResponseWriter, r *http.Request, c Caller) error {
			var in ProvisionRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return err
			}
			return pay.Reply(w, http.StatusCreated)(v.Provision(r.Context(), c, in))
		}),
		owner("GET", "/v1/tokens/{token_id}", func(w http.ResponseWriter, r *http.Request, c Caller, id string) error {
			return pay.Reply(w, http.StatusOK)(v.Get(r.Context(), c, id))
		}),
		lifecycle("/v1/tokens/{token_id}/suspend", v.Suspend),
		lifecycle("/v1/tokens/{token_id}/resume", v.Resume),
		lifecycle("/v1/tokens/{token_id}/delete", v.Delete),
		owner("POST", "/v1/tokens/{token_id}/controls", func(w http.ResponseWriter, r *http.Request, c Caller, id string) error {
			var in Controls
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return err
			}
			return pay.Reply(w, http.StatusOK)(v.UpdateControls(r.Context(), c, id, in))
		}),
		owner("GET", "/v1/tokens/{token_id}/uses", func(w http.ResponseWriter, r *http.Request, c Caller, id string) error {
			q := r.URL.Query()
			limit := 0
			if s := q.Get("limit"); s != "" {
				n, err := strconv.Atoi(s)
				if err != nil {
					return pay.Errorf(pay.ErrInvalidRequest, "limit", "limit must be a number")
				}
				limit = n
			}
			return pay.ReplyList(w)(v.Uses(r.Context(), c, id, q.Get("after"), limit))
		}),
		owner("POST", "/v1/tokens/{token_id}/detokenize", func(w http.ResponseWriter, r *http.Request, c Caller, id string) error {
			t, acct, err := v.Detokenize(r.Context(), c, id)
			if err != nil {
				return err
			}
			pay.WriteJSON(w, http.StatusOK, DetokenizeResult{TokenID: id, AccountType: t, Account: acct})
			return nil
		}),
		create("/v1/token_uses", pay.AccessDevice, func(w http.ResponseWriter, r *http.Request, c Caller) error {
			var in UseRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return err
			}
			return pay.Reply(w, http.StatusCreated)(v.Use(r.Context(), c, in))
		}),
		{Method: "POST", Path: "/v1/token_uses/{use_id}/reverse", Access: pay.AccessDevice, Handle: func(w http.ResponseWriter, r *http.Request) error {
			c, err := CallerFrom(r.Context())
			if err != nil {
				return err
			}
			id, err := pay.PathID(r, "use_id", PrefixUse)
			if err != nil {
				return err
			}
			return pay.Reply(w, http.StatusOK)(v.ReverseUse(r.Context(), c, id))
		}},
	}
}

// Handler serves Routes. Mount it behind middleware that authenticates the
// caller and sets a pay.Principal (see CallerFrom).
func Handler(v *Vault) http.Handler { return pay.NewMux(Routes(v)) }
