module github.com/paykit-go/paykit

go 1.26.0

require (
	github.com/go-resty/resty/v2 v2.17.2
	github.com/google/go-cmp v0.7.0
	golang.org/x/text v0.43.0
)

require golang.org/x/net v0.60.0 // indirect
