package wechatpay_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Simulated payer and provider actions. Each returns the callback WeChat
// would send about it.

// pay makes an order succeed.
func (f *fakeWeChat) pay(outTradeNo string) notification {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.orders[outTradeNo]
	o.state = "SUCCESS"
	o.transactionID = "4200001234202603" + fmt.Sprintf("%014d", len(f.orders))
	o.successTime = f.clock.Now().In(time.FixedZone("CST", 8*3600)).Format(time.RFC3339)
	res := transactionResource(outTradeNo, o.transactionID, o.total)
	res["trade_type"] = o.tradeType
	return notification{eventType: "TRANSACTION.SUCCESS", originalType: "transaction", summary: "支付成功", resource: res}
}

// settleRefund finishes a refund with status SUCCESS, CLOSED or ABNORMAL.
func (f *fakeWeChat) settleRefund(outRefundNo, status string) notification {
	f.mu.Lock()
	defer f.mu.Unlock()
	rf := f.refunds[outRefundNo]
	rf.status = status
	return notification{eventType: "REFUND." + status, originalType: "refund", summary: "退款结果", resource: refundResource(rf.outTradeNo, outRefundNo, status, rf.refund, rf.total)}
}

// userSigns completes signing of a contract.
func (f *fakeWeChat) userSigns(code string) notification {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := f.contracts[code]
	k.state = "SIGNED"
	k.contractID = "Wx15463511252015071056489715" + strconv.Itoa(len(f.contracts))
	return notification{eventType: "ENTRUST.SIGN", originalType: "entrust", summary: "签约成功", resource: contractResource(k.code, k.contractID, k.state)}
}

// post delivers a callback to a merchant server and returns its answer.
func (f *fakeWeChat) post(url string, n notification) (*http.Response, []byte, error) {
	h, body := n.build(f.currentSigner(), f.clock.Now())
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header = h
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	ans, err := io.ReadAll(resp.Body)
	return resp, ans, err
}
