// Package alipay is a channel.Channel (and channel.AgreementChannel) adapter
// for Alipay's OpenAPI gateway, the classic "gateway.do" protocol that the
// official SDKs call "v2".
//
// # Wire format
//
// Every request is a form POST to the gateway carrying the common parameters
// app_id, method, format=JSON, charset=utf-8, sign_type=RSA2, timestamp
// ("2006-01-02 15:04:05" in China Standard Time), version=1.0, an optional
// notify_url and the call's parameters as one JSON string, biz_content. The
// sign parameter is base64(RSA PKCS#1 v1.5 over SHA-256) of every other
// non-empty parameter, sorted by name and joined as k=v&k=v with raw, not
// URL-encoded, values, made with the merchant's application private key.
//
// The answer is {"<method with . as _>_response":{...},"sign":"..."}. Its
// signature covers the exact bytes of the *_response value, so the adapter
// keeps those bytes (json.RawMessage) and verifies them with the Alipay
// public key before it reads a single field; re-encoding the JSON would change
// key order or escaping and break the check. Only an error that the gateway
// raises before it looks at the call (codes 20000, 20001, 40001, 40002 and
// 40006, also as an error_response) may arrive unsigned, and it is only
// ever believed as an error.
//
// App payments (alipay.trade.app.pay), page payments (alipay.trade.page.pay)
// and agreement signing (alipay.user.agreement.page.sign) make no call: the
// adapter signs the parameters and hands back the order string for the Alipay
// app SDK, or the gateway URL carrying them, for the payer to open.
//
// Amounts are yuan strings with two decimals ("12.34"), converted exactly
// from and to pay.Money with Money.Decimal and pay.ParseMoney; only CNY is
// accepted.
//
// # Notifications
//
// Alipay posts asynchronous notifications as application/x-www-form-urlencoded
// forms signed with RSA2 over every parameter except sign and sign_type.
// ParseCallback verifies the signature, that app_id is this application's,
// that notify_time is inside the freshness window, and that the notify_id has
// not been seen within the window, which Alipay itself does not promise.
// Alipay re-sends an unanswered notification about eight times over some 25
// hours (after 4m, 10m, 10m, 1h, 2h, 6h and 15h) with the same notify_id, so
// the default window, DefaultTolerance, is 25 hours: wide enough that the
// last genuine retry passes even if its notify_time were the first attempt's.
// Acknowledge answers "success" when the event was handled or was a
// duplicate, and "fail" otherwise, which makes Alipay retry.
//
// # Not covered
//
// The certificate signing mode (app_cert_sn, alipay_root_cert_sn,
// alipay_cert_sn), content encryption (encrypt_type=AES), the legacy RSA
// (SHA-1) sign type, authorised third-party calls (app_auth_token), the
// mobile-web alipay.trade.wap.pay, alipay.trade.cancel, and the newer
// "v3" HTTP API are not implemented.
package alipay
