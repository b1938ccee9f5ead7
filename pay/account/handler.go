package account

import (
	"net/http"

	"github.com/paykit-go/paykit/pay"
)

// Request bodies of the HTTP contract that are not engine requests.
type (
	// CreateCustomerRequest is the body of POST /v1/customers.
	CreateCustomerRequest struct {
		Name  string `json:"name"`
		Phone string `json:"phone,omitempty"`
	}
	// OpenWalletRequest is the body of POST /v1/customers/{id}/wallets.
	OpenWalletRequest struct {
		Currency string `json:"currency"`
	}
	// CreateMerchantRequest is the body of POST /v1/merchants.
	CreateMerchantRequest struct {
		Name string `json:"name"`
	}
	// PayBillRequest is the body of POST /v1/bills/{id}/pay.
	PayBillRequest struct {
		WalletID string `json:"wallet_id"`
	}
)

// Routes is the HTTP contract of the account platform.
func Routes(p *Platform) []pay.Route {
	return []pay.Route{
		{Method: "POST", Path: "/v1/customers", Access: pay.AccessMerchant, Handle: func(w http.ResponseWriter, r *http.Request) error {
			var in CreateCustomerRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return err
			}
			return pay.Reply(w, http.StatusCreated)(p.CreateCustomer(r.Context(), in.Name, in.Phone))
		}},
		{Method: "GET", Path: "/v1/customers/{id}", Access: pay.AccessMerchant, Handle: func(w http.ResponseWriter, r *http.Request) error {
			return pay.Reply(w, http.StatusOK)(p.Customer(r.Context(), r.PathValue("id")))
		}},
		{Method: "POST", Path: "/v1/customers/{id}/wallets", Access: pay.AccessMerchant, Handle: func(w http.ResponseWriter, r *http.Request) error {
			var in OpenWalletRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return err
			}
			return pay.Reply(w, http.StatusCreated)(p.OpenWallet(r.Context(), r.PathValue("id"), in.Currency))
		}},
		{Method: "GET", Path: "/v1/customers/{id}/wallets", Access: pay.AccessMerchant, Handle: func(w http.ResponseWriter, r *http.Request) error {
			return pay.ReplyList(w)(p.Wallets(r.Context(), r.PathValue("id")))
		}},
		{Method: "GET", Path: "/v1/wallets/{id}", Access: pay.AccessDevice, Handle: func(w http.ResponseWriter, r *http.Request) error {
			return pay.Reply(w, http.StatusOK)(p.Wallet(r.Context(), r.PathValue("id")))
		}},
		{Method: "GET", Path: "/v1/wallets/{id}/transactions", Access: pay.AccessDevice, Handle: func(w http.ResponseWriter, r *http.Request) error {
			return pay.ReplyList(w)(p.Transactions(r.Context(), r.PathValue("id")))
		}},
		{Method: "POST", Path: "/v1/merchants", Access: pay.AccessAdmin, Handle: func(w http.ResponseWriter, r *http.Request) error {
			var in CreateMerchantRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return err
			}
			return pay.Reply(w, http.StatusCreated)(p.CreateMerchant(r.Context(), in.Name))
		}},
		{Method: "GET", Path: "/v1/merchants/{id}/balances/{currency}", Access: pay.AccessMerchant, Handle: func(w http.ResponseWriter, r *http.Request) error {
			return pay.Reply(w, http.StatusOK)(p.MerchantBalance(r.Context(), r.PathValue("id"), r.PathValue("currency")))
		}},
		{Method: "POST", Path: "/v1/topups", Access: pay.AccessDevice, Handle: func(w http.ResponseWriter, r *http.Request) error {
			var in TopUpRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return err
			}
			return pay.Reply(w, http.StatusCreated)(p.TopUp(r.Context(), in))
		}},
		{Method: "POST", Path: "/v1/consumptions", Access: pay.AccessDevice, Handle: func(w http.ResponseWriter, r *http.Request) error {
			var in ConsumeRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return err
			}
			return pay.Reply(w, http.StatusCreated)(p.Consume(r.Context(), in))
		}},
		{Method: "GET", Path: "/v1/customers/{id}/points", Access: pay.AccessDevice, Handle: func(w http.ResponseWriter, r *http.Request) error {
			return pay.Reply(w, http.StatusOK)(p.Points(r.Context(), r.PathValue("id")))
		}},
		{Method: "POST", Path: "/v1/customers/{id}/points/redemptions", Access: pay.AccessDevice, Handle: func(w http.ResponseWriter, r *http.Request) error {
			var in RedeemRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return err
			}
			return pay.Reply(w, http.StatusCreated)(p.RedeemPoints(r.Context(), r.PathValue("id"), in))
		}},
		{Method: "POST", Path: "/v1/bills", Access: pay.AccessMerchant, Handle: func(w http.ResponseWriter, r *http.Request) error {
			var in CreateBillRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return err
			}
			return pay.Reply(w, http.StatusCreated)(p.CreateBill(r.Context(), in))
		}},
		{Method: "GET", Path: "/v1/bills/{id}", Access: pay.AccessDevice, Handle: func(w http.ResponseWriter, r *http.Request) error {
			return pay.Reply(w, http.StatusOK)(p.Bill(r.Context(), r.PathValue("id")))
		}},
		{Method: "GET", Path: "/v1/customers/{id}/bills", Access: pay.AccessDevice, Handle: func(w http.ResponseWriter, r *http.Request) error {
			return pay.ReplyList(w)(p.Bills(r.Context(), r.PathValue("id"), BillStatus(r.URL.Query().Get("status"))))
		}},
		{Method: "POST", Path: "/v1/bills/{id}/pay", Access: pay.AccessDevice, Handle: func(w http.ResponseWriter, r *http.Request) error {
			var in PayBillRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return err
			}
			return pay.Reply(w, http.StatusOK)(p.PayBill(r.Context(), r.PathValue("id"), in.WalletID))
		}},
	}
}

// Handler serves the account platform's routes without authentication; the
// reference backend (pay/paytest) mounts Routes behind its middleware.
func Handler(p *Platform) http.Handler { return pay.NewMux(Routes(p)) }
