package alipay

import (
	"cmp"
	"context"
	"unicode/utf8"

	"github.com/paykit-go/paykit/channel"
)

// API methods for charges.
const (
	methodPrecreate = "alipay.trade.precreate"
	methodPay       = "alipay.trade.pay"
	methodAppPay    = "alipay.trade.app.pay"
	methodPagePay   = "alipay.trade.page.pay"
	methodQuery     = "alipay.trade.query"
	methodClose     = "alipay.trade.close"
)

// Product codes (product_code) of the payment products used.
const (
	productFaceToFace  = "FACE_TO_FACE_PAYMENT"   // precreate and barcode pay
	productWithholding = "GENERAL_WITHHOLDING"    // agreement (withholding) pay
	productApp         = "QUICK_MSECURITY_PAY"    // app pay
	productPage        = "FAST_INSTANT_TRADE_PAY" // PC page pay
)

// Other fixed values and limits of the trade API.
const (
	subTradeHasSuccess = "ACQ.TRADE_HAS_SUCCESS" // the trade was already paid
	sceneBarCode       = "bar_code"              // trade.pay with a scanned code
	maxSubjectRunes    = 256                     // subject length limit
	maxTradeNoLen      = 64                      // out_trade_no, out_request_no
	maxAgreementNoLen  = 64                      // agreement_no
	maxAuthCodeLen     = 64                      // auth_code
)

// tradeBiz is the biz_content of the trade-creating calls.
type tradeBiz struct {
	OutTradeNo      string           `json:"out_trade_no"`
	TotalAmount     string           `json:"total_amount"`
	Subject         string           `json:"subject"`
	ProductCode     string           `json:"product_code,omitempty"`
	Scene           string           `json:"scene,omitempty"`
	AuthCode        string           `json:"auth_code,omitempty"`
	AgreementParams *agreementParams `json:"agreement_params,omitempty"`
	TimeExpire      string           `json:"time_expire,omitempty"`
}

// agreementParams names the withholding agreement a trade.pay debits.
type agreementParams struct {
	AgreementNo string `json:"agreement_no"`
}

// tradeResult holds the fields of trade results this adapter reads.
type tradeResult struct {
	TradeNo     string `json:"trade_no"`
	OutTradeNo  string `json:"out_trade_no"`
	TradeStatus string `json:"trade_status"`
	TotalAmount string `json:"total_amount"`
	QRCode      string `json:"qr_code"`
	GmtPayment  string `json:"gmt_payment"`
	SendPayDate string `json:"send_pay_date"`
}

// CreateCharge creates a charge for req.Scenario:
//   - ScenarioQR: alipay.trade.precreate; Action.QRCode is the qr_code;
//   - ScenarioScanned: alipay.trade.pay with scene=bar_code and the scanned
//     auth_code; 10000 means succeeded, 10003 pending (the payer is
//     confirming in the app);
//   - ScenarioAgreement: alipay.trade.pay with product_code
//     GENERAL_WITHHOLDING, debiting req.AgreementID, which must be the
//     agreement_no Alipay assigned (Agreement.ProviderID,
//     Event.ProviderAgreementID);
//   - ScenarioInApp: no call; Action.AppParams["order_string"] is the
//     signed alipay.trade.app.pay order string for the Alipay app SDK;
//   - ScenarioWeb: no call; Action.RedirectURL is the gateway URL of a
//     signed alipay.trade.page.pay.
//
// Repeating a charge Alipay already took (ACQ.TRADE_HAS_SUCCESS) returns
// the paid trade as queried.
func (c *Channel) CreateCharge(ctx context.Context, req channel.ChargeRequest) (channel.Charge, error) {
	biz, err := c.chargeBiz(req)
	if err != nil {
		return channel.Charge{}, err
	}
	notify := cmp.Or(req.NotifyURL, c.notifyURL)
	pending := channel.Charge{ChargeID: req.ChargeID, Status: channel.StatusPending, Amount: req.Amount}
	switch req.Scenario {
	case channel.ScenarioInApp:
		biz.ProductCode = productApp
		_, order, err := c.pageURL(call{method: methodAppPay, biz: biz, notifyURL: notify})
		if err != nil {
			return channel.Charge{}, err
		}
		pending.Action.AppParams = map[string]string{"order_string": order}
		return pending, nil
	case channel.ScenarioWeb:
		biz.ProductCode = productPage
		u, _, err := c.pageURL(call{method: methodPagePay, biz: biz, notifyURL: notify, returnURL: req.ReturnURL})
		if err != nil {
			return channel.Charge{}, err
		}
		pending.Action.RedirectURL = u
		return pending, nil
	case channel.ScenarioQR:
		biz.ProductCode = productFaceToFace
		k := call{method: methodPrecreate, biz: biz, notifyURL: notify, mutating: true}
		var res tradeResult
		if done, ch, err := c.createCall(ctx, k, req, &res); done {
			return ch, err
		}
		if res.QRCode == "" {
			return channel.Charge{}, channel.Errorf(channel.ErrMalformed, "", "alipay: precreate returned no qr_code")
		}
		pending.Action.QRCode = res.QRCode
		return pending, nil
	case channel.ScenarioScanned, channel.ScenarioAgreement:
		if req.Scenario == channel.ScenarioScanned {
			biz.ProductCode, biz.Scene, biz.AuthCode = productFaceToFace, sceneBarCode, req.AuthCode
		} else {
			biz.ProductCode, biz.AgreementParams = productWithholding, &agreementParams{AgreementNo: req.AgreementID}
		}
		k := call{method: methodPay, biz: biz, notifyURL: notify, mutating: true}
		var res tradeResult
		done, ch, err := c.createCall(ctx, k, req, &res)
		if done {
			return ch, err
		}
		return c.paidCharge(req, res, ch.Status)
	}
	return channel.Charge{}, channel.Errorf(channel.ErrUnsupported, "scenario", "alipay: scenario %q is not supported", clip(string(req.Scenario)))
}

// createCall sends a trade-creating call. done is true when the outcome is
// already decided (an error, or a repeat of a paid trade answered by a
// query); otherwise res holds the result and status is pending for 10003
// and succeeded for 10000.
func (c *Channel) createCall(ctx context.Context, k call, req channel.ChargeRequest, res *tradeResult) (done bool, ch channel.Charge, err error) {
	r, err := c.do(ctx, k)
	if err != nil {
		return true, channel.Charge{}, err
	}
	switch {
	case r.code == codeWaiting && k.method == methodPay:
		ch.Status = channel.StatusPending
	case r.code == codeBusiness && r.subCode == subTradeHasSuccess:
		got, err := c.QueryCharge(ctx, req.ChargeID)
		return true, got, err
	default:
		if err := r.failure(k); err != nil {
			return true, channel.Charge{}, err
		}
		ch.Status = channel.StatusSucceeded
	}
	if err := r.decode(k.method, res); err != nil {
		return true, channel.Charge{}, err
	}
	if res.OutTradeNo != "" && res.OutTradeNo != req.ChargeID {
		return true, channel.Charge{}, mismatchedAnswer(k.method)
	}
	return false, ch, nil
}

// paidCharge builds the charge a trade.pay answered with.
func (c *Channel) paidCharge(req channel.ChargeRequest, res tradeResult, status channel.Status) (channel.Charge, error) {
	ch := channel.Charge{ChargeID: req.ChargeID, ProviderID: res.TradeNo, Status: status, Amount: req.Amount}
	if res.TotalAmount != "" {
		got, err := fromYuan(res.TotalAmount, "total_amount")
		if err != nil {
			return channel.Charge{}, err
		}
		if got != req.Amount {
			return channel.Charge{}, channel.Errorf(channel.ErrAmountMismatch, "total_amount", "alipay: trade.pay answered %s for a charge of %s", got, req.Amount)
		}
	}
	if status == channel.StatusSucceeded && res.GmtPayment != "" {
		if t, err := parseTime(res.GmtPayment); err == nil {
			ch.PaidAt = t
		}
	}
	return ch, nil
}

// chargeBiz validates req and returns the biz_content common to every
// scenario.
func (c *Channel) chargeBiz(req channel.ChargeRequest) (tradeBiz, error) {
	if err := checkNumber("charge_id", req.ChargeID, maxTradeNoLen); err != nil {
		return tradeBiz{}, err
	}
	if !req.Scenario.Valid() {
		return tradeBiz{}, channel.Errorf(channel.ErrUnsupported, "scenario", "alipay: scenario %q is not supported", clip(string(req.Scenario)))
	}
	total, err := toYuan(req.Amount, "amount")
	if err != nil {
		return tradeBiz{}, err
	}
	subject := cmp.Or(req.Description, req.ChargeID)
	if utf8.RuneCountInString(subject) > maxSubjectRunes {
		return tradeBiz{}, channel.Errorf(channel.ErrMalformed, "description", "alipay: description is longer than %d characters", maxSubjectRunes)
	}
	if err := checkRequestURLs(req.NotifyURL, req.ReturnURL); err != nil {
		return tradeBiz{}, err
	}
	biz := tradeBiz{OutTradeNo: req.ChargeID, TotalAmount: total, Subject: subject}
	if !req.ExpiresAt.IsZero() {
		if !req.ExpiresAt.After(c.clock.Now()) {
			return tradeBiz{}, channel.Errorf(channel.ErrMalformed, "expires_at", "alipay: expires_at is not in the future")
		}
		biz.TimeExpire = formatTime(req.ExpiresAt)
	}
	switch req.Scenario {
	case channel.ScenarioScanned:
		if req.AuthCode == "" || len(req.AuthCode) > maxAuthCodeLen || !isToken(req.AuthCode) {
			return tradeBiz{}, channel.Errorf(channel.ErrMalformed, "auth_code", "alipay: a scanned charge needs the payer's auth code (digits)")
		}
	case channel.ScenarioAgreement:
		if err := checkNumber("agreement_id", req.AgreementID, maxAgreementNoLen); err != nil {
			return tradeBiz{}, err
		}
	}
	return biz, nil
}
