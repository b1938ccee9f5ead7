package qr

import (
	"context"
	"net/http"

	"github.com/paykit-go/paykit/pay"
)

// RegisterTerminalRequest registers an offline terminal (POST
// /v1/qr/terminals): its merchant and the Ed25519 public key (32 bytes,
// base64 in JSON) it signs cards and records with.
type RegisterTerminalRequest struct {
	ID         string `json:"id"`
	MerchantID string `json:"merchant_id"`
	KeyID      uint32 `json:"key_id"`
	PublicKey  []byte `json:"public_key"`
}

// TerminalProvisioning is what an offline terminal needs before it can
// deduct (GET /v1/qr/keys): the keys cards may be signed with (the
// issuer's and every registered terminal's) and the offline limits the
// issuer enforces at settlement.
type TerminalProvisioning struct {
	Keys   []TrustedKey  `json:"keys"`
	Limits OfflineLimits `json:"limits"`
}

// Routes is the HTTP contract of the issuer:
//
//	GET  /v1/qr/keys               device    → TerminalProvisioning
//	POST /v1/qr/cards              merchant  IssueRequest → Issued
//	GET  /v1/qr/cards/{card_id}    merchant  → CardState (the issuer's record)
//	POST /v1/qr/terminals          merchant  RegisterTerminalRequest → TerminalInfo
//	POST /v1/qr/redemptions        device    RedeemRequest → Receipt
//	POST /v1/qr/transfers          device    TransferRequest → TransferResult
//	POST /v1/qr/settlements        device    Batch → SettlementReport
//
// Card texts travel in request bodies, never in URLs.
func Routes(i *Issuer) []pay.Route {
	post := func(path string, access pay.Access, status int, serve func(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error)) pay.Route {
		return pay.Route{Method: "POST", Path: path, Access: access, Handle: func(w http.ResponseWriter, r *http.Request) error {
			return pay.Reply(w, status)(serve(r.Context(), w, r))
		}}
	}
	return []pay.Route{
		{Method: "GET", Path: "/v1/qr/keys", Access: pay.AccessDevice, Handle: func(w http.ResponseWriter, r *http.Request) error {
			pay.WriteJSON(w, http.StatusOK, TerminalProvisioning{Keys: i.Keys().Keys(), Limits: i.Limits()})
			return nil
		}},
		post("/v1/qr/cards", pay.AccessMerchant, http.StatusCreated, func(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error) {
			var in IssueRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return nil, err
			}
			return i.Issue(ctx, in)
		}),
		{Method: "GET", Path: "/v1/qr/cards/{card_id}", Access: pay.AccessMerchant, Handle: func(w http.ResponseWriter, r *http.Request) error {
			return pay.Reply(w, http.StatusOK)(i.CardState(r.Context(), r.PathValue("card_id")))
		}},
		post("/v1/qr/terminals", pay.AccessMerchant, http.StatusCreated, func(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error) {
			var in RegisterTerminalRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return nil, err
			}
			return i.RegisterTerminal(ctx, in.ID, in.MerchantID, in.KeyID, in.PublicKey)
		}),
		post("/v1/qr/redemptions", pay.AccessDevice, http.StatusOK, func(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error) {
			var in RedeemRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return nil, err
			}
			return i.Redeem(ctx, in)
		}),
		post("/v1/qr/transfers", pay.AccessDevice, http.StatusOK, func(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error) {
			var in TransferRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return nil, err
			}
			return i.Transfer(ctx, in)
		}),
		post("/v1/qr/settlements", pay.AccessDevice, http.StatusOK, func(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error) {
			var in Batch
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return nil, err
			}
			return i.Settle(ctx, in)
		}),
	}
}

// Handler serves Routes with no authentication; the reference backend
// mounts Routes behind its auth and idempotency middleware.
func Handler(i *Issuer) http.Handler { return pay.NewMux(Routes(i)) }
