module github.com/paykit-go/paykit/channel/wechatpay/internal/gocompare

go 1.26.0

replace github.com/paykit-go/paykit => ../../../..

require (
	github.com/agiledragon/gomonkey/v2 v2.13.0
	github.com/paykit-go/paykit v0.0.0-00010101000000-000000000000
	github.com/wechatpay-apiv3/wechatpay-go v0.2.21
)

require (
	github.com/go-resty/resty/v2 v2.17.2 // indirect
	golang.org/x/net v0.60.0 // indirect
	golang.org/x/text v0.43.0 // indirect
)
