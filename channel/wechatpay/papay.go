package wechatpay

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/paykit-go/paykit/channel"
)

// preSignRequest is the body of the H5 pre-sign API of scheduled-deduction
// papay (预约扣费, H5预签约).
type preSignRequest struct {
	AppID                  string `json:"appid"`
	PlanID                 int64  `json:"plan_id"`
	OutContractCode        string `json:"out_contract_code"`
	ContractDisplayAccount string `json:"contract_display_account"`
	ContractNotifyURL      string `json:"contract_notify_url"`
	OutUserCode            string `json:"out_user_code"`
}

// contract is a papay contract as queried and as the resource of the
// ENTRUST.SIGN / ENTRUST.TERMINATE callbacks.
type contract struct {
	MchID           string `json:"mchid"`
	ContractID      string `json:"contract_id"`
	OutContractCode string `json:"out_contract_code"`
	ContractState   string `json:"contract_state"`
}

// contractStates maps contract_state onto the shared agreement states.
var contractStates = map[string]channel.AgreementStatus{
	"NOT_SIGNED": channel.AgreementPending,
	"SIGNED":     channel.AgreementSigned,
	"TERMINATED": channel.AgreementTerminated,
}

// deductRequest is the body of POST /v3/papay/pay/transactions/apply.
type deductRequest struct {
	AppID                string `json:"appid"`
	OutTradeNo           string `json:"out_trade_no"`
	Description          string `json:"description"`
	TransactionNotifyURL string `json:"transaction_notify_url"`
	ContractID           string `json:"contract_id"`
	Amount               amount `json:"amount"`
}

func (c *Channel) needPlan() error {
	if c.planID <= 0 {
		return channel.Errorf(channel.ErrUnsupported, "plan_id", "wechatpay: agreements need WithAgreementPlan")
	}
	return nil
}

// SignAgreement starts signing a deduction contract: POST
// /v3/papay/scheduled-deduct-sign/contracts/pre-entrust-sign/h5 with the
// plan, out_contract_code (req.AgreementID), contract_display_account
// (req.DisplayName, else req.UserID), out_user_code (req.UserID) and
// contract_notify_url (req.NotifyURL, else Config.NotifyURL). The payer
// opens Action.RedirectURL, valid for 10 minutes; the result arrives as an
// ENTRUST.SIGN callback. req.ReturnURL is not used: the H5 page returns to
// its referrer.
func (c *Channel) SignAgreement(ctx context.Context, req channel.AgreementRequest) (channel.Agreement, error) {
	if err := c.needPlan(); err != nil {
		return channel.Agreement{}, err
	}
	if err := validAgreementID(req.AgreementID); err != nil {
		return channel.Agreement{}, err
	}
	if req.UserID == "" || len(req.UserID) > 64 {
		return channel.Agreement{}, channel.Errorf(channel.ErrMalformed, "UserID", "wechatpay: UserID must be 1-64 bytes")
	}
	display := req.DisplayName
	if display == "" {
		display = req.UserID
	}
	if len(display) > 32 {
		return channel.Agreement{}, channel.Errorf(channel.ErrMalformed, "DisplayName", "wechatpay: display name is at most 32 bytes")
	}
	notify, err := c.notifyURL(req.NotifyURL)
	if err != nil {
		return channel.Agreement{}, err
	}
	body := preSignRequest{
		AppID:                  c.cfg.AppID,
		PlanID:                 c.planID,
		OutContractCode:        req.AgreementID,
		ContractDisplayAccount: display,
		ContractNotifyURL:      notify,
		OutUserCode:            req.UserID,
	}
	var ans struct {
		RedirectURL string `json:"redirect_url"`
	}
	if _, err := c.call(ctx, "sign agreement", http.MethodPost, "/v3/papay/scheduled-deduct-sign/contracts/pre-entrust-sign/h5", body, &ans); err != nil {
		return channel.Agreement{}, err
	}
	if !validHTTPURL(ans.RedirectURL) {
		return channel.Agreement{}, missingField("redirect_url")
	}
	return channel.Agreement{
		AgreementID: req.AgreementID,
		Status:      channel.AgreementPending,
		Action:      channel.Action{RedirectURL: ans.RedirectURL},
	}, nil
}

// QueryAgreement asks for a contract by out_contract_code: GET
// /v3/papay/sign/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}.
// ProviderID is WeChat's contract_id once signed.
func (c *Channel) QueryAgreement(ctx context.Context, agreementID string) (channel.Agreement, error) {
	if err := c.needPlan(); err != nil {
		return channel.Agreement{}, err
	}
	if err := validAgreementID(agreementID); err != nil {
		return channel.Agreement{}, err
	}
	resp, err := c.call(ctx, "query agreement", http.MethodGet, c.contractPath(agreementID), nil, nil)
	if err != nil {
		return channel.Agreement{}, err
	}
	a, err := decodeContract(resp.Body)
	if err != nil {
		return channel.Agreement{}, err
	}
	if a.AgreementID != agreementID {
		return channel.Agreement{}, channel.Errorf(channel.ErrMalformed, "out_contract_code", "wechatpay: answer is for another contract")
	}
	return a, nil
}

// TerminateAgreement ends a contract: POST
// /v3/papay/sign/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}/terminate
// {"contract_termination_remark"}. An empty reason is sent as "merchant
// terminated" (the field is required).
func (c *Channel) TerminateAgreement(ctx context.Context, agreementID, reason string) error {
	if err := c.needPlan(); err != nil {
		return err
	}
	if err := validAgreementID(agreementID); err != nil {
		return err
	}
	if reason == "" {
		reason = "merchant terminated"
	}
	if len(reason) > maxRemark {
		return channel.Errorf(channel.ErrMalformed, "reason", "wechatpay: reason is at most %d bytes", maxRemark)
	}
	body := map[string]string{"contract_termination_remark": reason}
	_, err := c.call(ctx, "terminate agreement", http.MethodPost, c.contractPath(agreementID)+"/terminate", body, nil)
	return err
}

func (c *Channel) contractPath(agreementID string) string {
	return "/v3/papay/sign/contracts/plan-id/" + strconv.FormatInt(c.planID, 10) + "/out-contract-code/" + url.PathEscape(agreementID)
}

// deduct makes a ScenarioAgreement charge: req.AgreementID is WeChat's
// contract_id (channel.Agreement.ProviderID, learnt from the ENTRUST.SIGN
// callback or QueryAgreement), and WeChat is asked to debit it: POST
// /v3/papay/pay/transactions/apply. WeChat refuses an unsigned or
// terminated contract (ErrDeclined). It only accepts the request; the
// debit's result arrives as a TRANSACTION.SUCCESS callback or through
// QueryCharge, so the charge is pending.
func (c *Channel) deduct(ctx context.Context, req channel.ChargeRequest, total int64) (channel.Charge, error) {
	if err := c.needPlan(); err != nil {
		return channel.Charge{}, err
	}
	desc, notify, err := c.orderText(req)
	if err != nil {
		return channel.Charge{}, err
	}
	if !validOrderNo(req.AgreementID, 1, 64) {
		return channel.Charge{}, channel.Errorf(channel.ErrMalformed, "AgreementID", "wechatpay: AgreementID must be the contract_id, 1-64 characters")
	}
	body := deductRequest{
		AppID:                c.cfg.AppID,
		OutTradeNo:           req.ChargeID,
		Description:          desc,
		TransactionNotifyURL: notify,
		ContractID:           req.AgreementID,
		Amount:               amount{Total: total, Currency: currency},
	}
	if _, err := c.call(ctx, "debit agreement", http.MethodPost, "/v3/papay/pay/transactions/apply", body, nil); err != nil {
		return channel.Charge{}, err
	}
	return channel.Charge{ChargeID: req.ChargeID, Status: channel.StatusPending, Amount: req.Amount}, nil
}

// decodeContract turns a queried contract into an Agreement.
func decodeContract(body []byte) (channel.Agreement, error) {
	var k contract
	if err := decodeJSON(body, &k); err != nil {
		return channel.Agreement{}, channel.Errorf(channel.ErrMalformed, "", "wechatpay: contract is not JSON")
	}
	if !validToken(k.OutContractCode, 1, 32) {
		return channel.Agreement{}, missingField("out_contract_code")
	}
	status, ok := contractStates[k.ContractState]
	if !ok {
		return channel.Agreement{}, channel.Errorf(channel.ErrMalformed, "contract_state", "wechatpay: unknown contract_state %q", clip(k.ContractState))
	}
	return channel.Agreement{AgreementID: k.OutContractCode, ProviderID: k.ContractID, Status: status}, nil
}
