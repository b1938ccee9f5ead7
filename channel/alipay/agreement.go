package alipay

import (
	"cmp"
	"context"
	"strings"
	"unicode/utf8"

	"github.com/paykit-go/paykit/channel"
)

// API methods for withholding agreements (商户代扣).
const (
	methodAgreementSign   = "alipay.user.agreement.page.sign"
	methodAgreementQuery  = "alipay.user.agreement.query"
	methodAgreementUnsign = "alipay.user.agreement.unsign"
)

// Agreement product codes and limits.
const (
	personalProductWithholding = "GENERAL_WITHHOLDING_P"
	maxExternalAgreementNoLen  = 32
	maxLogonIDRunes            = 100
)

type agreementSignBiz struct {
	PersonalProductCode string            `json:"personal_product_code"`
	ProductCode         string            `json:"product_code"`
	SignScene           string            `json:"sign_scene"`
	ExternalAgreementNo string            `json:"external_agreement_no"`
	ExternalLogonID     string            `json:"external_logon_id,omitempty"`
	AccessParams        map[string]string `json:"access_params"`
}

type agreementRefBiz struct {
	PersonalProductCode string `json:"personal_product_code"`
	SignScene           string `json:"sign_scene"`
	ExternalAgreementNo string `json:"external_agreement_no"`
}

type agreementResult struct {
	AgreementNo         string `json:"agreement_no"`
	ExternalAgreementNo string `json:"external_agreement_no"`
	Status              string `json:"status"`
}

// SignAgreement starts signing a withholding agreement: no call is made;
// the parameters of alipay.user.agreement.page.sign (personal_product_code
// GENERAL_WITHHOLDING_P, the configured sign_scene, external_agreement_no =
// req.AgreementID, external_logon_id = req.DisplayName or else req.UserID)
// are signed into Action.RedirectURL, a gateway URL for the payer's browser,
// and Action.AppParams["sign_params"], the same parameters URL-encoded for
// the alipays:// deep link. The result arrives as a dut_user_sign
// notification (channel.EventAgreementSigned).
func (c *Channel) SignAgreement(ctx context.Context, req channel.AgreementRequest) (channel.Agreement, error) {
	if err := checkNumber("agreement_id", req.AgreementID, maxExternalAgreementNoLen); err != nil {
		return channel.Agreement{}, err
	}
	if req.UserID == "" {
		return channel.Agreement{}, channel.Errorf(channel.ErrMalformed, "user_id", "alipay: user_id is required")
	}
	logon := cmp.Or(req.DisplayName, req.UserID)
	if utf8.RuneCountInString(logon) > maxLogonIDRunes {
		return channel.Agreement{}, channel.Errorf(channel.ErrMalformed, "display_name", "alipay: display name is longer than %d characters", maxLogonIDRunes)
	}
	if err := checkRequestURLs(req.NotifyURL, req.ReturnURL); err != nil {
		return channel.Agreement{}, err
	}
	u, q, err := c.pageURL(call{method: methodAgreementSign, notifyURL: cmp.Or(req.NotifyURL, c.notifyURL), returnURL: req.ReturnURL, biz: agreementSignBiz{
		PersonalProductCode: personalProductWithholding,
		ProductCode:         productWithholding,
		SignScene:           c.signScene,
		ExternalAgreementNo: req.AgreementID,
		ExternalLogonID:     logon,
		AccessParams:        map[string]string{"channel": "ALIPAYAPP"},
	}})
	if err != nil {
		return channel.Agreement{}, err
	}
	return channel.Agreement{
		AgreementID: req.AgreementID,
		Status:      channel.AgreementPending,
		Action:      channel.Action{RedirectURL: u, AppParams: map[string]string{"sign_params": q}},
	}, nil
}

// QueryAgreement asks alipay.user.agreement.query for the agreement with
// external_agreement_no = agreementID. NORMAL is signed, TEMP pending, STOP
// (suspended: debits fail) and UNSIGN terminated; ProviderID is Alipay's
// agreement_no, the number ScenarioAgreement charges debit. An agreement
// Alipay does not know (never signed) is channel.ErrUnknownCharge.
func (c *Channel) QueryAgreement(ctx context.Context, agreementID string) (channel.Agreement, error) {
	k, err := c.agreementCall(methodAgreementQuery, agreementID, false)
	if err != nil {
		return channel.Agreement{}, err
	}
	r, err := c.do(ctx, k)
	if err != nil {
		return channel.Agreement{}, err
	}
	if err := agreementFailure(r, k); err != nil {
		return channel.Agreement{}, err
	}
	var res agreementResult
	if err := r.decode(k.method, &res); err != nil {
		return channel.Agreement{}, err
	}
	if res.ExternalAgreementNo != "" && res.ExternalAgreementNo != agreementID {
		return channel.Agreement{}, mismatchedAnswer(k.method)
	}
	a := channel.Agreement{AgreementID: agreementID, ProviderID: res.AgreementNo}
	switch res.Status {
	case "NORMAL":
		a.Status = channel.AgreementSigned
	case "TEMP":
		a.Status = channel.AgreementPending
	case "STOP", "UNSIGN":
		a.Status = channel.AgreementTerminated
	default:
		return channel.Agreement{}, channel.Errorf(channel.ErrMalformed, "status", "alipay: unknown agreement status %q", clip(res.Status))
	}
	return a, nil
}

// TerminateAgreement ends the agreement with alipay.user.agreement.unsign.
// Alipay's call has no field for a reason, so reason is not sent. An
// agreement Alipay does not know is channel.ErrUnknownCharge.
func (c *Channel) TerminateAgreement(ctx context.Context, agreementID, reason string) error {
	k, err := c.agreementCall(methodAgreementUnsign, agreementID, true)
	if err != nil {
		return err
	}
	r, err := c.do(ctx, k)
	if err != nil {
		return err
	}
	return agreementFailure(r, k)
}

func (c *Channel) agreementCall(method, agreementID string, mutating bool) (call, error) {
	if err := checkNumber("agreement_id", agreementID, maxExternalAgreementNoLen); err != nil {
		return call{}, err
	}
	return call{method: method, mutating: mutating, biz: agreementRefBiz{
		PersonalProductCode: personalProductWithholding,
		SignScene:           c.signScene,
		ExternalAgreementNo: agreementID,
	}}, nil
}

// agreementFailure maps agreement results: a business failure whose
// sub_code says the agreement does not exist is ErrUnknownCharge.
func agreementFailure(r reply, k call) error {
	if r.code == codeBusiness && strings.HasSuffix(r.subCode, "NOT_EXIST") {
		return channel.Errorf(channel.ErrUnknownCharge, "agreement_id", "alipay: %s: %s", k.method, r.describe())
	}
	return r.failure(k)
}
