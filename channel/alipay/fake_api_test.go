package alipay

import (
	"strings"

	"github.com/paykit-go/paykit/pay"
)

// The fake gateway's API methods, each under f.mu.

func str(biz map[string]any, k string) string { s, _ := biz[k].(string); return s }

func yuanFen(s string) (int64, bool) {
	m, err := pay.ParseMoney(s, "CNY")
	return m.Amount, err == nil && m.Amount > 0
}

func fen(n int64) string { return pay.Money{Amount: n, Currency: "CNY"}.Decimal() }

func (f *fakeAlipay) dispatch(method string, biz map[string]any) result {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := str(biz, "out_trade_no")
	switch method {
	case methodPrecreate, methodPay:
		total, ok1 := yuanFen(str(biz, "total_amount"))
		if out == "" || !ok1 || str(biz, "subject") == "" {
			return failed(codeMissing, "isv.missing-parameter", "缺少必选参数")
		}
		if tr := f.trades[out]; tr != nil && tr.status == "TRADE_CLOSED" {
			return failed(codeBusiness, "ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
		} else if tr != nil && tr.status != "WAIT_BUYER_PAY" {
			return failed(codeBusiness, subTradeHasSuccess, "交易已被支付")
		}
		if method == methodPrecreate {
			tr := f.trade(out, total)
			return ok(map[string]string{"out_trade_no": out, "qr_code": "https://qr.alipay.com/bax0" + tr.tradeNo[len(tr.tradeNo)-8:]})
		}
		return f.pay(out, total, biz)
	case methodQuery:
		tr := f.trades[out]
		if tr == nil {
			return failed(codeBusiness, "ACQ.TRADE_NOT_EXIST", "交易不存在")
		}
		fields := map[string]string{"out_trade_no": out, "trade_no": tr.tradeNo, "trade_status": tr.status, "total_amount": fen(tr.total), "buyer_logon_id": "159****5620"}
		if !tr.paidAt.IsZero() {
			fields["send_pay_date"] = formatTime(tr.paidAt)
		}
		return ok(fields)
	case methodClose:
		tr := f.trades[out]
		switch {
		case tr == nil:
			return failed(codeBusiness, "ACQ.TRADE_NOT_EXIST", "交易不存在")
		case tr.status == "WAIT_BUYER_PAY" || tr.status == "TRADE_CLOSED" && tr.paidAt.IsZero():
			tr.status = "TRADE_CLOSED"
			return ok(map[string]string{"out_trade_no": out, "trade_no": tr.tradeNo})
		}
		return failed(codeBusiness, "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
	case methodRefund:
		return f.refund(out, biz)
	case methodRefundQuery:
		tr := f.trades[out]
		req := str(biz, "out_request_no")
		if tr == nil {
			return failed(codeBusiness, "ACQ.TRADE_NOT_EXIST", "交易不存在")
		}
		amt, found := tr.refunds[req]
		if !found {
			return ok(nil)
		}
		return ok(map[string]string{"out_trade_no": out, "out_request_no": req, "trade_no": tr.tradeNo, "total_amount": fen(tr.total), "refund_amount": fen(amt), "refund_status": refundSuccess})
	case methodAgreementQuery, methodAgreementUnsign:
		a := f.agreements[str(biz, "external_agreement_no")]
		if str(biz, "personal_product_code") != personalProductWithholding {
			return failed(codeInvalid, "isv.invalid-personal-product-code", "产品码无效")
		}
		if a == nil || method == methodAgreementUnsign && a.status != "NORMAL" {
			return failed(codeBusiness, "USER_AGREEMENT_NOT_EXIST", "用户协议不存在")
		}
		if method == methodAgreementUnsign {
			a.status = "UNSIGN"
			return ok(nil)
		}
		return ok(map[string]string{"agreement_no": a.no, "external_agreement_no": a.ext, "status": a.status, "personal_product_code": personalProductWithholding, "sign_scene": DefaultSignScene})
	}
	return failed(codeInvalid, "isv.invalid-method", "不存在的方法名")
}

// pay handles alipay.trade.pay; f.mu is held. Barcode auth codes starting
// with "wait" leave the payer confirming (10003), "poor" have no money.
func (f *fakeAlipay) pay(out string, total int64, biz map[string]any) result {
	switch str(biz, "product_code") {
	case productFaceToFace:
		code := str(biz, "auth_code")
		if str(biz, "scene") != sceneBarCode || code == "" {
			return failed(codeMissing, "isv.missing-parameter", "缺少 auth_code")
		}
		if strings.HasPrefix(code, "poor") {
			return failed(codeBusiness, "ACQ.BUYER_BALANCE_NOT_ENOUGH", "买家余额不足")
		}
		tr := f.trade(out, total)
		if strings.HasPrefix(code, "wait") {
			return result{code: codeWaiting, msg: "order success pay inprocess", fields: map[string]string{"out_trade_no": out, "trade_no": tr.tradeNo, "total_amount": fen(total)}}
		}
	case productWithholding:
		ap, _ := biz["agreement_params"].(map[string]any)
		no := str(ap, "agreement_no")
		valid := false
		for _, a := range f.agreements {
			valid = valid || a.no == no && a.status == "NORMAL"
		}
		if !valid {
			return failed(codeBusiness, "ACQ.AGREEMENT_NOT_EXIST", "用户协议不存在")
		}
	default:
		return failed(codeInvalid, "isv.invalid-product-code", "产品码无效")
	}
	tr := f.trade(out, total)
	tr.status, tr.paidAt = "TRADE_SUCCESS", f.clock.Now()
	return ok(map[string]string{"out_trade_no": out, "trade_no": tr.tradeNo, "total_amount": fen(total), "gmt_payment": formatTime(tr.paidAt)})
}

// refund handles alipay.trade.refund; f.mu is held.
func (f *fakeAlipay) refund(out string, biz map[string]any) result {
	tr := f.trades[out]
	req := str(biz, "out_request_no")
	amt, okAmt := yuanFen(str(biz, "refund_amount"))
	switch {
	case tr == nil:
		return failed(codeBusiness, "ACQ.TRADE_NOT_EXIST", "交易不存在")
	case req == "" || !okAmt:
		return failed(codeMissing, "isv.missing-parameter", "缺少必选参数")
	}
	fields := map[string]string{"out_trade_no": out, "trade_no": tr.tradeNo, "buyer_logon_id": "159****5620"}
	if _, done := tr.refunds[req]; done {
		fields["fund_change"], fields["refund_fee"] = "N", fen(tr.refunded)
		return ok(fields)
	}
	switch {
	case tr.status != "TRADE_SUCCESS":
		return failed(codeBusiness, "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
	case tr.refunded+amt > tr.total:
		return failed(codeBusiness, "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
	}
	tr.refunds[req] = amt
	tr.refunded += amt
	if tr.refunded == tr.total {
		tr.status = "TRADE_CLOSED"
	}
	fields["fund_change"], fields["refund_fee"] = "Y", fen(tr.refunded)
	return ok(fields)
}
