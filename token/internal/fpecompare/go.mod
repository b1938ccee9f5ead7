module github.com/paykit-go/paykit/token/internal/fpecompare

go 1.26.0

replace github.com/paykit-go/paykit => ../../..

require (
	github.com/capitalone/fpe v1.2.1
	github.com/paykit-go/paykit v0.0.0-00010101000000-000000000000
)

require (
	github.com/go-resty/resty/v2 v2.17.2 // indirect
	golang.org/x/net v0.60.0 // indirect
	golang.org/x/text v0.43.0 // indirect
)
