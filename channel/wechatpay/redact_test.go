package wechatpay_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/paykit-go/paykit/channel/wechatpay"
)

// Logging a Config or a Channel, in any verb, prints no key material.
func TestPrintingLeaksNoKeys(t *testing.T) {
	cfg := testConfig()
	ch, err := wechatpay.New(cfg, wechatpay.WithPlatformCertificates(testKeys().certA))
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, x := range []any{cfg, &cfg, ch} {
			s := fmt.Sprintf(verb, x)
			noSecrets(t, s)
			if strings.Contains(s, testKeys().merchant.N.String()[:20]) {
				t.Errorf("%s of %T prints the key: %s", verb, x, s)
			}
			if !strings.Contains(s, testMchID) {
				t.Errorf("%s of %T = %q, want the merchant number", verb, x, s)
			}
		}
	}
}
