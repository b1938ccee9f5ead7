module github.com/paykit-go/paykit

go 1.26.0

require golang.org/x/text v0.43.0

require (
	github.com/go-resty/resty/v2 v2.17.2 // indirect
	github.com/google/go-cmp v0.7.0 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/net v0.60.0 // indirect
)
