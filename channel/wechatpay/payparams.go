package wechatpay

import "github.com/paykit-go/paykit/channel"

// appAction turns an APP order's prepay_id into what the WeChat OpenSDK's
// PayReq needs to pay it in a native app, signed with the merchant key over
// appid\ntimestamp\nnoncestr\nprepayid\n. Keys are the PayReq field names
// of the API v3 APP guide: appid, partnerid, prepayid, package
// ("Sign=WXPay"), noncestr, timestamp, sign.
func (c *Channel) appAction(ans prepayAnswer) (channel.Action, error) {
	if !validPrepayID(ans.PrepayID) {
		return channel.Action{}, missingField("prepay_id")
	}
	ts, nonce, sig, err := c.signPayParams(ans.PrepayID)
	if err != nil {
		return channel.Action{}, err
	}
	return channel.Action{AppParams: map[string]string{
		"appid":     c.cfg.AppID,
		"partnerid": c.cfg.MchID,
		"prepayid":  ans.PrepayID,
		"package":   "Sign=WXPay",
		"noncestr":  nonce,
		"timestamp": ts,
		"sign":      sig,
	}}, nil
}

// jsapiAction turns a JSAPI order's prepay_id into the arguments of
// wx.requestPayment (mini program) or WeixinJSBridge getBrandWCPayRequest
// (official account), signed with the merchant key over
// appId\ntimeStamp\nnonceStr\npackage\n: appId, timeStamp, nonceStr,
// package ("prepay_id=…"), signType ("RSA"), paySign.
func (c *Channel) jsapiAction(ans prepayAnswer) (channel.Action, error) {
	if !validPrepayID(ans.PrepayID) {
		return channel.Action{}, missingField("prepay_id")
	}
	pkg := "prepay_id=" + ans.PrepayID
	ts, nonce, sig, err := c.signPayParams(pkg)
	if err != nil {
		return channel.Action{}, err
	}
	return channel.Action{AppParams: map[string]string{
		"appId":     c.cfg.AppID,
		"timeStamp": ts,
		"nonceStr":  nonce,
		"package":   pkg,
		"signType":  "RSA",
		"paySign":   sig,
	}}, nil
}

// signPayParams signs appid\ntimestamp\nnonce\nlast\n with the merchant key
// at a fresh timestamp and nonce, the message of both kinds of pay
// parameters.
func (c *Channel) signPayParams(last string) (ts, nonce, sig string, err error) {
	ts, nonce = c.unixNow(), newNonce()
	sig, err = sign(c.cfg.MerchantKey, signedMessage(c.cfg.AppID, ts, nonce, last))
	return ts, nonce, sig, err
}
