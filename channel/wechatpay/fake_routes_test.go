package wechatpay_test

import (
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/paykit-go/paykit/channel/wechatpay"
)

// The fake's API routes: orders, refunds, certificates and papay.

// route handles an authenticated request.
func (f *fakeWeChat) route(method, path string, q map[string][]string, b map[string]any) (int, any) {
	switch {
	case method == http.MethodPost && strings.HasPrefix(path, "/v3/pay/transactions/") && !strings.Contains(path, "out-trade-no"):
		return f.prepay(strings.TrimPrefix(path, "/v3/pay/transactions/"), b)
	case method == http.MethodGet && strings.HasPrefix(path, "/v3/pay/transactions/out-trade-no/"):
		if len(q["mchid"]) != 1 || q["mchid"][0] != testMchID {
			return http.StatusBadRequest, apiErr("PARAM_ERROR", "mchid")
		}
		o := f.orders[strings.TrimPrefix(path, "/v3/pay/transactions/out-trade-no/")]
		if o == nil {
			return http.StatusNotFound, apiErr("ORDER_NOT_EXIST", "订单不存在")
		}
		return http.StatusOK, o.json()
	case method == http.MethodPost && strings.HasSuffix(path, "/close"):
		o := f.orders[strings.TrimSuffix(strings.TrimPrefix(path, "/v3/pay/transactions/out-trade-no/"), "/close")]
		switch {
		case b["mchid"] != testMchID:
			return http.StatusBadRequest, apiErr("PARAM_ERROR", "mchid")
		case o == nil:
			return http.StatusNotFound, apiErr("ORDER_NOT_EXIST", "订单不存在")
		case o.state == "SUCCESS" || o.state == "REFUND":
			return http.StatusBadRequest, apiErr("ORDERPAID", "订单已支付")
		}
		o.state = "CLOSED"
		return http.StatusNoContent, nil
	case method == http.MethodPost && path == "/v3/refund/domestic/refunds":
		return f.refund(b)
	case method == http.MethodGet && strings.HasPrefix(path, "/v3/refund/domestic/refunds/"):
		rf := f.refunds[strings.TrimPrefix(path, "/v3/refund/domestic/refunds/")]
		if rf == nil {
			return http.StatusNotFound, apiErr("RESOURCE_NOT_EXISTS", "退款单不存在")
		}
		return http.StatusOK, rf.json()
	case method == http.MethodGet && path == "/v3/certificates":
		return f.certificates()
	default:
		return f.papay(method, path, b)
	}
}

func (f *fakeWeChat) prepay(kind string, b map[string]any) (int, any) {
	amt, _ := b["amount"].(map[string]any)
	total, _ := amt["total"].(float64)
	no, _ := b["out_trade_no"].(string)
	switch {
	case b["appid"] != testAppID || b["mchid"] != testMchID:
		return http.StatusBadRequest, apiErr("APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
	case no == "" || total <= 0 || amt["currency"] != "CNY" || b["description"] == nil || b["notify_url"] == nil:
		return http.StatusBadRequest, apiErr("PARAM_ERROR", "参数错误")
	case kind == "jsapi" && b["payer"] == nil:
		return http.StatusBadRequest, apiErr("PARAM_ERROR", "缺少payer")
	case kind == "h5" && b["scene_info"] == nil:
		return http.StatusBadRequest, apiErr("PARAM_ERROR", "缺少scene_info")
	case kind != "native" && kind != "app" && kind != "jsapi" && kind != "h5":
		return http.StatusNotFound, apiErr("NOT_FOUND", "no such API")
	}
	if o := f.orders[no]; o != nil {
		if o.state == "SUCCESS" || o.state == "REFUND" {
			return http.StatusBadRequest, apiErr("ORDERPAID", "该订单已支付")
		}
		if o.total != int64(total) || o.tradeType != strings.ToUpper(kind) {
			return http.StatusForbidden, apiErr("OUT_TRADE_NO_USED", "商户订单号重复")
		}
	} else {
		f.orders[no] = &fakeOrder{outTradeNo: no, tradeType: strings.ToUpper(kind), total: int64(total), state: "NOTPAY"}
	}
	switch kind {
	case "native":
		return http.StatusOK, map[string]any{"code_url": "weixin://wxpay/bizpayurl?pr=" + no}
	case "h5":
		return http.StatusOK, map[string]any{"h5_url": "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx" + no + "&package=2150917749"}
	default:
		return http.StatusOK, map[string]any{"prepay_id": "wx201410272009395522657a690389285100"}
	}
}

func (o *fakeOrder) json() map[string]any {
	m := map[string]any{
		"appid":            testAppID,
		"mchid":            testMchID,
		"out_trade_no":     o.outTradeNo,
		"trade_type":       o.tradeType,
		"trade_state":      o.state,
		"trade_state_desc": map[string]string{"NOTPAY": "未支付", "SUCCESS": "支付成功", "CLOSED": "已关闭", "REFUND": "转入退款", "ACCEPT": "已接收，等待扣款", "PAYERROR": "支付失败"}[o.state],
		"amount":           map[string]any{"total": o.total, "currency": "CNY"},
	}
	if o.transactionID != "" {
		m["transaction_id"] = o.transactionID
		m["success_time"] = o.successTime
		m["amount"] = map[string]any{"total": o.total, "payer_total": o.total, "currency": "CNY", "payer_currency": "CNY"}
	}
	return m
}

func (f *fakeWeChat) refund(b map[string]any) (int, any) {
	amt, _ := b["amount"].(map[string]any)
	refund, _ := amt["refund"].(float64)
	total, _ := amt["total"].(float64)
	no, _ := b["out_refund_no"].(string)
	tradeNo, _ := b["out_trade_no"].(string)
	if rf := f.refunds[no]; rf != nil {
		return http.StatusOK, rf.json()
	}
	o := f.orders[tradeNo]
	switch {
	case no == "" || refund <= 0 || amt["currency"] != "CNY" || b["notify_url"] == nil:
		return http.StatusBadRequest, apiErr("PARAM_ERROR", "参数错误")
	case o == nil:
		return http.StatusNotFound, apiErr("RESOURCE_NOT_EXISTS", "订单不存在")
	case o.state != "SUCCESS" && o.state != "REFUND":
		return http.StatusForbidden, apiErr("TRADE_ERROR", "订单未支付")
	case int64(total) != o.total:
		return http.StatusBadRequest, apiErr("PARAM_ERROR", "订单金额不一致")
	case o.refunded+int64(refund) > o.total:
		return http.StatusForbidden, apiErr("NOTENOUGH", "退款金额超过可退金额")
	}
	o.refunded += int64(refund)
	o.state = "REFUND"
	rf := &fakeRefund{outRefundNo: no, outTradeNo: tradeNo, refundID: "50300" + no, refund: int64(refund), total: o.total, status: "PROCESSING"}
	f.refunds[no] = rf
	return http.StatusOK, rf.json()
}

func (rf *fakeRefund) json() map[string]any {
	return map[string]any{
		"refund_id":             rf.refundID,
		"out_refund_no":         rf.outRefundNo,
		"transaction_id":        "4200" + rf.outTradeNo,
		"out_trade_no":          rf.outTradeNo,
		"channel":               "ORIGINAL",
		"user_received_account": "招商银行信用卡0403",
		"create_time":           "2026-03-01T18:01:00+08:00",
		"status":                rf.status,
		"amount":                map[string]any{"total": rf.total, "refund": rf.refund, "payer_total": rf.total, "payer_refund": rf.refund, "currency": "CNY"},
	}
}

func (f *fakeWeChat) certificates() (int, any) {
	f.certDownloads++
	var data []map[string]any
	for _, c := range f.published {
		pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
		data = append(data, map[string]any{
			"serial_no":           wechatpay.CertificateSerial(c),
			"effective_time":      c.NotBefore.Format(time.RFC3339),
			"expire_time":         c.NotAfter.Format(time.RFC3339),
			"encrypt_certificate": encryptResource(f.certAPIv3Key, "certificate", "", pemCert),
		})
	}
	return http.StatusOK, map[string]any{"data": data}
}

func (f *fakeWeChat) papay(method, path string, b map[string]any) (int, any) {
	contractPrefix := fmt.Sprintf("/v3/papay/sign/contracts/plan-id/%d/out-contract-code/", testPlanID)
	switch {
	case method == http.MethodPost && path == "/v3/papay/scheduled-deduct-sign/contracts/pre-entrust-sign/h5":
		code, _ := b["out_contract_code"].(string)
		if b["appid"] != testAppID || b["plan_id"] != float64(testPlanID) || code == "" || b["contract_notify_url"] == nil || b["out_user_code"] == nil || b["contract_display_account"] == nil {
			return http.StatusBadRequest, apiErr("PARAM_ERROR", "参数错误")
		}
		if f.contracts[code] == nil {
			f.contracts[code] = &fakeContract{code: code, state: "NOT_SIGNED"}
		}
		return http.StatusOK, map[string]any{"redirect_url": "https://payapp.weixin.qq.com/papay/readentrustwebtemplate?session_id=" + code}
	case method == http.MethodGet && strings.HasPrefix(path, contractPrefix):
		k := f.contracts[strings.TrimPrefix(path, contractPrefix)]
		if k == nil {
			return http.StatusNotFound, apiErr("RESOURCE_NOT_EXISTS", "协议不存在")
		}
		return http.StatusOK, contractResource(k.code, k.contractID, k.state)
	case method == http.MethodPost && strings.HasPrefix(path, contractPrefix) && strings.HasSuffix(path, "/terminate"):
		k := f.contracts[strings.TrimSuffix(strings.TrimPrefix(path, contractPrefix), "/terminate")]
		if k == nil || k.state != "SIGNED" || b["contract_termination_remark"] == nil {
			return http.StatusBadRequest, apiErr("INVALID_REQUEST", "协议未生效")
		}
		k.state = "TERMINATED"
		return http.StatusOK, map[string]any{"mchid": testMchID, "plan_id": testPlanID, "out_contract_code": k.code}
	case method == http.MethodPost && path == "/v3/papay/pay/transactions/apply":
		amt, _ := b["amount"].(map[string]any)
		total, _ := amt["total"].(float64)
		no, _ := b["out_trade_no"].(string)
		var k *fakeContract
		for _, c := range f.contracts {
			if c.contractID != "" && c.contractID == b["contract_id"] {
				k = c
			}
		}
		switch {
		case k == nil || k.state != "SIGNED":
			return http.StatusForbidden, apiErr("CONTRACT_ERROR", "协议无效")
		case no == "" || total <= 0 || b["transaction_notify_url"] == nil || b["appid"] != testAppID:
			return http.StatusBadRequest, apiErr("PARAM_ERROR", "参数错误")
		}
		if f.orders[no] == nil {
			f.orders[no] = &fakeOrder{outTradeNo: no, tradeType: "PAP", total: int64(total), state: "ACCEPT", contractID: k.contractID}
		}
		return http.StatusNoContent, nil
	}
	return http.StatusNotFound, apiErr("NOT_FOUND", "no such API")
}
