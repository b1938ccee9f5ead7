package wechatpay

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/paykit-go/paykit/channel"
)

// amount is WeChat's {"total": fen, "currency": "CNY"}.
type amount struct {
	Total    int64  `json:"total"`
	Currency string `json:"currency"`
}

// prepayRequest is the body of the Native, APP, JSAPI and H5 order APIs.
type prepayRequest struct {
	AppID       string     `json:"appid"`
	MchID       string     `json:"mchid"`
	Description string     `json:"description"`
	OutTradeNo  string     `json:"out_trade_no"`
	TimeExpire  string     `json:"time_expire,omitempty"`
	NotifyURL   string     `json:"notify_url"`
	Amount      amount     `json:"amount"`
	Payer       *payer     `json:"payer,omitempty"`
	SceneInfo   *sceneInfo `json:"scene_info,omitempty"`
}

type payer struct {
	OpenID string `json:"openid"`
}

type sceneInfo struct {
	PayerClientIP string  `json:"payer_client_ip"`
	H5Info        *h5Info `json:"h5_info,omitempty"`
}

type h5Info struct {
	Type string `json:"type"`
}

// prepayAnswer holds whichever of the order APIs' results came back.
type prepayAnswer struct {
	CodeURL  string `json:"code_url"`
	PrepayID string `json:"prepay_id"`
	H5URL    string `json:"h5_url"`
}

// chinaTime is the +08:00 offset WeChat's examples format times in.
var chinaTime = time.FixedZone("CST", 8*60*60)

// CreateCharge creates a WeChat Pay order for req.Scenario (see the package
// doc for the API of each) and returns it pending, with the Action the payer
// needs. Repeating it with the same ChargeID is safe: WeChat de-duplicates by
// out_trade_no (an identical repeat returns the same prepay; a different one
// is ErrDeclined, OUT_TRADE_NO_USED).
func (c *Channel) CreateCharge(ctx context.Context, req channel.ChargeRequest) (channel.Charge, error) {
	if err := validChargeID(req.ChargeID); err != nil {
		return channel.Charge{}, err
	}
	total, err := fen(req.Amount, "Amount")
	if err != nil {
		return channel.Charge{}, err
	}
	if req.Scenario == channel.ScenarioAgreement {
		return c.deduct(ctx, req, total)
	}
	body, err := c.prepayBody(req, total)
	if err != nil {
		return channel.Charge{}, err
	}
	var path string
	var action func(prepayAnswer) (channel.Action, error)
	switch req.Scenario {
	case channel.ScenarioQR:
		path, action = "/v3/pay/transactions/native", nativeAction
	case channel.ScenarioInApp:
		path, action = "/v3/pay/transactions/app", c.appAction
		if req.Payer != "" {
			if !validOpenID(req.Payer) {
				return channel.Charge{}, channel.Errorf(channel.ErrMalformed, "Payer", "wechatpay: Payer must be an openid (1-128 of [A-Za-z0-9_-]) for JSAPI")
			}
			path, action = "/v3/pay/transactions/jsapi", c.jsapiAction
			body.Payer = &payer{OpenID: req.Payer}
		}
	case channel.ScenarioWeb:
		ip := net.ParseIP(req.Payer)
		if ip == nil {
			return channel.Charge{}, channel.Errorf(channel.ErrMalformed, "Payer", "wechatpay: H5 needs the payer's client IP in Payer")
		}
		path = "/v3/pay/transactions/h5"
		action = func(ans prepayAnswer) (channel.Action, error) { return h5Action(ans, req.ReturnURL) }
		body.SceneInfo = &sceneInfo{PayerClientIP: ip.String(), H5Info: &h5Info{Type: "Wap"}}
	case channel.ScenarioScanned:
		return channel.Charge{}, channel.Errorf(channel.ErrUnsupported, "Scenario", "wechatpay: micropay (scanned) exists only in API v2 and is not supported")
	default:
		return channel.Charge{}, channel.Errorf(channel.ErrUnsupported, "Scenario", "wechatpay: scenario %q is not supported", clip(string(req.Scenario)))
	}
	var ans prepayAnswer
	if _, err := c.call(ctx, "create charge", http.MethodPost, path, body, &ans); err != nil {
		return channel.Charge{}, err
	}
	act, err := action(ans)
	if err != nil {
		return channel.Charge{}, err
	}
	return channel.Charge{ChargeID: req.ChargeID, Status: channel.StatusPending, Amount: req.Amount, Action: act}, nil
}

// nativeAction is a Native order's code_url, to be shown as a QR code.
func nativeAction(ans prepayAnswer) (channel.Action, error) {
	if !validHTTPURL(ans.CodeURL) && !strings.HasPrefix(ans.CodeURL, "weixin://") {
		return channel.Action{}, missingField("code_url")
	}
	return channel.Action{QRCode: ans.CodeURL}, nil
}

// h5Action is an H5 order's h5_url, with redirect_url appended as WeChat's
// H5 guide describes, so the payer returns to returnURL afterwards.
func h5Action(ans prepayAnswer, returnURL string) (channel.Action, error) {
	if !validHTTPURL(ans.H5URL) {
		return channel.Action{}, missingField("h5_url")
	}
	if returnURL == "" {
		return channel.Action{RedirectURL: ans.H5URL}, nil
	}
	sep := "&"
	if !strings.Contains(ans.H5URL, "?") {
		sep = "?"
	}
	return channel.Action{RedirectURL: ans.H5URL + sep + "redirect_url=" + url.QueryEscape(returnURL)}, nil
}

// prepayBody builds the fields every order API shares.
func (c *Channel) prepayBody(req channel.ChargeRequest, total int64) (*prepayRequest, error) {
	desc, notify, err := c.orderText(req)
	if err != nil {
		return nil, err
	}
	body := &prepayRequest{
		AppID:       c.cfg.AppID,
		MchID:       c.cfg.MchID,
		Description: desc,
		OutTradeNo:  req.ChargeID,
		NotifyURL:   notify,
		Amount:      amount{Total: total, Currency: currency},
	}
	if !req.ExpiresAt.IsZero() {
		if !req.ExpiresAt.After(c.clock.Now()) {
			return nil, channel.Errorf(channel.ErrMalformed, "ExpiresAt", "wechatpay: ExpiresAt is not in the future")
		}
		body.TimeExpire = req.ExpiresAt.In(chinaTime).Truncate(time.Second).Format(time.RFC3339)
	}
	return body, nil
}

// orderText returns the description (req.Description, else the charge ID)
// and notify URL every order API takes.
func (c *Channel) orderText(req channel.ChargeRequest) (desc, notify string, err error) {
	desc = req.Description
	if desc == "" {
		desc = req.ChargeID
	}
	if len(desc) > maxDescription {
		return "", "", channel.Errorf(channel.ErrMalformed, "Description", "wechatpay: description is at most %d bytes", maxDescription)
	}
	if notify, err = c.notifyURL(req.NotifyURL); err != nil {
		return "", "", err
	}
	return desc, notify, nil
}

// notifyURL is override when set and valid, else Config.NotifyURL.
func (c *Channel) notifyURL(override string) (string, error) {
	if override == "" {
		return c.cfg.NotifyURL, nil
	}
	if !validNotifyURL(override) {
		return "", channel.Errorf(channel.ErrMalformed, "NotifyURL", "wechatpay: NotifyURL must be an absolute http(s) URL without query or fragment, at most 256 bytes")
	}
	return override, nil
}

func missingField(name string) error {
	return channel.Errorf(channel.ErrMalformed, name, "wechatpay: answer lacks a valid %s", name)
}

func validHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && len(s) <= 2048
}

func validOpenID(s string) bool { return validOrderNo(s, 1, 128) }

func validPrepayID(s string) bool { return validOrderNo(s, 1, 64) }
