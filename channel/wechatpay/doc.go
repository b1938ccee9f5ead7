// Package wechatpay is a [channel.Channel] and [channel.AgreementChannel]
// adapter for a WeChat Pay direct merchant (直连商户), speaking WeChat Pay
// API v3 on the wire: JSON bodies, requests signed with the merchant's RSA
// key (WECHATPAY2-SHA256-RSA2048), answers and callbacks verified with the
// WeChat Pay platform certificate or platform public key named by
// Wechatpay-Serial, and callback resources decrypted with AEAD_AES_256_GCM
// under the merchant's APIv3 key.
//
// # Scenarios
//
//   - channel.ScenarioQR: Native pay, POST /v3/pay/transactions/native; the
//     code_url comes back in Action.QRCode.
//   - channel.ScenarioInApp: APP pay, POST /v3/pay/transactions/app, with
//     Action.AppParams holding the signed parameters the WeChat SDK's PayReq
//     takes; or, when ChargeRequest.Payer carries an openid, JSAPI pay (an
//     official account or mini program), POST /v3/pay/transactions/jsapi,
//     with the parameters of wx.requestPayment / WeixinJSBridge.
//   - channel.ScenarioWeb: H5 pay, POST /v3/pay/transactions/h5. WeChat needs
//     the payer's client IP (scene_info.payer_client_ip): put it in
//     ChargeRequest.Payer. The h5_url comes back in Action.RedirectURL, with
//     ReturnURL appended as redirect_url when set.
//   - channel.ScenarioAgreement: entrusted deduction (委托代扣, papay) under a
//     contract signed with SignAgreement; see below.
//   - channel.ScenarioScanned (micropay, 付款码支付) exists only in API v2
//     and is not supported: Capabilities leaves it out and CreateCharge
//     answers ErrUnsupported.
//
// Amounts are CNY fen integers ({"total":1234,"currency":"CNY"}); other
// currencies are ErrUnsupported.
//
// # Keys
//
// Config.APIv3Key is the merchant's APIv3 key. WeChat Pay issues 32-byte keys
// (AES-256-GCM); 16- and 24-byte keys are also accepted (AES-128/192-GCM) so
// that published test vectors, which use a 16-byte key, verify.
//
// Answers and callbacks are verified with a [Verifier]: a set of platform
// keys by serial, safe for concurrent use and changeable while running, so a
// certificate rotation (old and new serials valid side by side) needs no
// restart. Seed it with [WithPlatformCertificates] and/or
// [WithPlatformPublicKey] (public-key mode, serial PUB_KEY_ID_…), and let
// [WithCertificateRefresh] download new certificates from GET
// /v3/certificates on an interval and when a message names an unknown
// serial, at most once a minute.
//
// # Callbacks
//
// ParseCallback reads at most 64 KiB, verifies Wechatpay-Signature over
// "timestamp\nnonce\nbody\n" within a freshness window (WithTolerance,
// default 300 s), strictly parses the envelope, decrypts the resource and
// maps TRANSACTION.SUCCESS, REFUND.SUCCESS/ABNORMAL/CLOSED and
// ENTRUST.SIGN/TERMINATE to channel events. [Channel.VerifyNotification] is
// the lower level: verified envelope plus decrypted plaintext, for event
// types this package does not map. Acknowledge answers 200 with an empty body
// on success and otherwise a non-2xx status with
// {"code":"FAIL","message":…}, which makes WeChat Pay retry.
//
// # Entrusted deduction (papay)
//
// Agreements need [WithAgreementPlan] (the plan_id of the deduction
// template). The adapter uses the API v3 endpoints of the "预约扣费" papay
// product for direct merchants:
//
//   - SignAgreement: POST /v3/papay/scheduled-deduct-sign/contracts/pre-entrust-sign/h5,
//     whose redirect_url is the signing page (Action.RedirectURL);
//   - QueryAgreement: GET /v3/papay/sign/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code};
//   - TerminateAgreement: POST …/out-contract-code/{out_contract_code}/terminate;
//   - ScenarioAgreement charges: POST /v3/papay/pay/transactions/apply with
//     ChargeRequest.AgreementID sent as the contract_id as it is. That is
//     WeChat's contract_id (Agreement.ProviderID, reported by the
//     ENTRUST.SIGN callback and QueryAgreement), not the out_contract_code
//     the other agreement calls take; no lookup is made. The debit is
//     asynchronous: the charge is pending until TRANSACTION.SUCCESS arrives.
//
// The deduction schedule (预约扣费, /v3/papay/pay/schedules/…) and the
// pre-debit notice (/v3/papay/contracts/{contract_id}/notify) that some
// templates require before a debit are not implemented.
package wechatpay
