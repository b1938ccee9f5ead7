package wechatpay

import "strconv"

// appPayParams returns what the WeChat OpenSDK's PayReq needs to pay a
// prepay_id in a native app, signed with the merchant key over
// appid\ntimestamp\nnoncestr\nprepayid\n. Keys are the PayReq field names
// of the API v3 APP guide: appid, partnerid, prepayid, package
// ("Sign=WXPay"), noncestr, timestamp, sign.
func (c *Channel) appPayParams(prepayID string) (map[string]string, error) {
	nonce, err := newNonce()
	if err != nil {
		return nil, err
	}
	ts := strconv.FormatInt(c.clock.Now().Unix(), 10)
	sig, err := sign(c.cfg.MerchantKey, signedMessage(c.cfg.AppID, ts, nonce, prepayID))
	if err != nil {
		return nil, err
	}
	return map[string]string{
		"appid":     c.cfg.AppID,
		"partnerid": c.cfg.MchID,
		"prepayid":  prepayID,
		"package":   "Sign=WXPay",
		"noncestr":  nonce,
		"timestamp": ts,
		"sign":      sig,
	}, nil
}

// jsapiPayParams returns the arguments of wx.requestPayment (mini program)
// or WeixinJSBridge getBrandWCPayRequest (official account), signed with the
// merchant key over appId\ntimeStamp\nnonceStr\npackage\n: appId,
// timeStamp, nonceStr, package ("prepay_id=…"), signType ("RSA"), paySign.
func (c *Channel) jsapiPayParams(prepayID string) (map[string]string, error) {
	nonce, err := newNonce()
	if err != nil {
		return nil, err
	}
	ts := strconv.FormatInt(c.clock.Now().Unix(), 10)
	pkg := "prepay_id=" + prepayID
	sig, err := sign(c.cfg.MerchantKey, signedMessage(c.cfg.AppID, ts, nonce, pkg))
	if err != nil {
		return nil, err
	}
	return map[string]string{
		"appId":     c.cfg.AppID,
		"timeStamp": ts,
		"nonceStr":  nonce,
		"package":   pkg,
		"signType":  "RSA",
		"paySign":   sig,
	}, nil
}
