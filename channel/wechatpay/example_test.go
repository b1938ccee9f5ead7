package wechatpay_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/channel/wechatpay"
)

// A QR (Native) charge against a local WeChat Pay fake served by httptest:
// the request is signed with the merchant key, the answer verified with the
// platform certificate.
func ExampleChannel_CreateCharge() {
	fake := newFake() // httptest server speaking API v3
	defer fake.Close()

	ch, err := wechatpay.New(wechatpay.Config{
		MchID:          "1900000109",
		AppID:          "wxd678efh567hg6787",
		APIv3Key:       testAPIv3Key,
		MerchantSerial: testMerchantSerial,
		MerchantKey:    testKeys().merchant,
		NotifyURL:      "https://merchant.example/wechatpay/notify",
	},
		wechatpay.WithBaseURL(fake.srv.URL), // default: https://api.mch.weixin.qq.com
		wechatpay.WithPlatformCertificates(testKeys().certA),
		wechatpay.WithClock(fake.clock),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := ch.CreateCharge(context.Background(), channel.ChargeRequest{
		ChargeID:    "order_example1",
		Scenario:    channel.ScenarioQR,
		Amount:      cny(1999),
		Description: "Image形象店-深圳腾大-QQ公仔",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Status, c.Amount)
	fmt.Println(c.Action.QRCode)
	// Output:
	// pending 19.99 CNY
	// weixin://wxpay/bizpayurl?pr=order_example1
}

// A merchant callback endpoint: ParseCallback verifies the signature and
// freshness, decrypts the resource and maps it; Acknowledge answers WeChat.
func ExampleChannel_ParseCallback() {
	fake := newFake()
	defer fake.Close()
	ch, err := wechatpay.New(testConfig(),
		wechatpay.WithBaseURL(fake.srv.URL),
		wechatpay.WithPlatformCertificates(testKeys().certA),
		wechatpay.WithClock(fake.clock),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ev, err := ch.ParseCallback(r)
		if err == nil {
			fmt.Println(ev.Type, ev.ChargeID, ev.Amount)
		}
		ch.Acknowledge(w, err)
	}))
	defer endpoint.Close()

	if _, err := ch.CreateCharge(context.Background(), channel.ChargeRequest{
		ChargeID: "order_example2", Scenario: channel.ScenarioQR, Amount: cny(10000),
	}); err != nil {
		fmt.Println(err)
		return
	}
	// The payer pays; the fake posts a signed, encrypted TRANSACTION.SUCCESS.
	resp, _, err := fake.post(endpoint.URL, fake.pay("order_example2"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("WeChat got", resp.StatusCode)
	// Output:
	// charge.succeeded order_example2 100.00 CNY
	// WeChat got 200
}

func ExampleParseAuthorization() {
	a, err := wechatpay.ParseAuthorization(`WECHATPAY2-SHA256-RSA2048 mchid="1900009191",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",signature="uOVRnA4qG/MNnYzdQxJanN+zU+lTgIcnU9BxGw5dKjK+VdEUz2FeIoC+D5sB/LN+nGzX3hfZg6r5wT1pl2ZobmIc6p0ldN7J6yDgUzbX8Uk3sD4a4eZVPTBvqNDoUqcYMlZ9uuDdCvNv4TM3c1WzsXUrExwVkI1XO5jCNbgDJ25nkT/c1gIFvqoogl7MdSFGc4W4xZsqCItnqbypR3RuGIlR9h9vlRsy7zJR9PBI83X8alLDIfR1ukt1P7tMnmogZ0cuDY8cZsd8ZlCgLadmvej58SLsIkVxFJ8XyUgx9FmutKSYTmYtWBZ0+tNvfGmbXU7cob8H/4nLBiCwIUFluw==",timestamp="1554208460",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a.MchID, a.Timestamp, a.SerialNo)
	// Output: 1900009191 1554208460 1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C
}
