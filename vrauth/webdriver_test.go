package vrauth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A tiny W3C WebDriver client (https://www.w3.org/TR/webdriver2/) for
// chromedriver driving headless Chromium: new session, navigate, find
// elements by CSS selector, click, read text, URL and page source, delete
// the session. Only what the browser test needs; no new Go modules.

// hcChromium and hcChromedriver are where Debian's chromium and
// chromium-driver packages put the browser and its driver.
const (
	hcChromium     = "/usr/bin/chromium"
	hcChromedriver = "/usr/bin/chromedriver"
)

// hcWebElement is the key of a web element reference in WebDriver JSON.
const hcWebElement = "element-6066-11e4-a52e-4f735466cecf"

// hcBrowserBinaries returns the Chromium and chromedriver executables, from
// their Debian paths or PATH, and skips the test when either is missing.
func hcBrowserBinaries(t *testing.T) (chromium, driver string) {
	t.Helper()
	find := func(path, name string) string {
		if st, err := os.Stat(path); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return path
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
		return ""
	}
	chromium, driver = find(hcChromium, "chromium"), find(hcChromedriver, "chromedriver")
	if chromium == "" || driver == "" {
		t.Skip("headless Chromium and chromedriver are not installed (Debian: apt-get install chromium chromium-driver; .ci/run installs them)")
	}
	if testing.Short() {
		t.Skip("the real-browser test starts Chromium; skipped in -short mode")
	}
	return chromium, driver
}

// hcBrowser is one chromedriver process with one Chromium session.
type hcBrowser struct {
	t       *testing.T
	base    string // chromedriver's URL
	session string
	hc      *http.Client
	logPath string
}

// hcStartBrowser starts chromedriver on a free loopback port and opens a
// headless Chromium session with a fresh profile. Cleanup deletes the
// session (closing the browser) and stops the driver.
func hcStartBrowser(t *testing.T, chromium, driver string) *hcBrowser {
	t.Helper()
	dir := t.TempDir()
	b := &hcBrowser{t: t, hc: &http.Client{Timeout: 30 * time.Second}, logPath: filepath.Join(dir, "chromedriver.log")}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	b.base = "http://127.0.0.1:" + strconv.Itoa(port)

	out, err := os.Create(filepath.Join(dir, "chromedriver.out"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(driver, "--port="+strconv.Itoa(port), "--log-path="+b.logPath)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		out.Close()
		t.Fatalf("start chromedriver: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		out.Close()
		close(exited)
	}()
	t.Cleanup(func() {
		if b.session != "" {
			if err := b.do("DELETE", "/session/"+b.session, nil, nil); err != nil {
				t.Logf("webdriver: delete session: %v", err)
			}
		}
		// chromedriver's own shutdown quits any browser it still runs;
		// the process is killed if it doesn't exit in time.
		if resp, err := b.hc.Get(b.base + "/shutdown"); err == nil {
			resp.Body.Close()
		}
		select {
		case <-exited:
		case <-time.After(3 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			b.dumpLog()
		}
	})

	deadline := time.Now().Add(15 * time.Second)
	for {
		var st struct {
			Ready bool `json:"ready"`
		}
		if err := b.do("GET", "/status", nil, &st); err == nil && st.Ready {
			break
		}
		select {
		case <-exited:
			t.Fatalf("chromedriver exited at start")
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("chromedriver did not become ready in 15 s")
		}
	}

	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName": "chrome",
		"goog:chromeOptions": map[string]any{
			"binary": chromium,
			"args": []string{"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
				"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
				"--user-data-dir=" + filepath.Join(dir, "profile")},
		},
	}}}
	var sess struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.do("POST", "/session", caps, &sess); err != nil {
		t.Fatalf("webdriver: new session: %v", err)
	}
	if sess.SessionID == "" {
		t.Fatal("webdriver: new session: no session ID")
	}
	b.session = sess.SessionID
	return b
}

// hcWebDriverError is an error answer of the WebDriver protocol.
type hcWebDriverError struct {
	Status  int
	Code    string `json:"error"`
	Message string `json:"message"`
}

func (e *hcWebDriverError) Error() string {
	msg, _, _ := strings.Cut(e.Message, "\n") // chromedriver appends a stack trace
	return fmt.Sprintf("webdriver %d %s: %s", e.Status, e.Code, msg)
}

// do sends one WebDriver command and decodes the answer's value into out.
func (b *hcBrowser) do(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		j, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(j)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	var env struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("webdriver %s %s: status %d, undecodable answer: %w", method, path, resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK {
		e := &hcWebDriverError{Status: resp.StatusCode}
		_ = json.Unmarshal(env.Value, e)
		return e
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(env.Value, out)
}

// must fails the test on a command's error.
func (b *hcBrowser) must(err error, what string) {
	b.t.Helper()
	if err != nil {
		b.t.Fatalf("browser: %s: %v", what, err)
	}
}

func (b *hcBrowser) path(rest string) string { return "/session/" + b.session + rest }

// Open navigates to url and waits for the page to load.
func (b *hcBrowser) Open(url string) {
	b.t.Helper()
	b.must(b.do("POST", b.path("/url"), map[string]string{"url": url}, nil), "open "+url)
}

// URL returns the current page's URL.
func (b *hcBrowser) URL() string {
	b.t.Helper()
	var u string
	b.must(b.do("GET", b.path("/url"), nil, &u), "current URL")
	return u
}

// Source returns the current page's HTML as the browser has it.
func (b *hcBrowser) Source() string {
	b.t.Helper()
	var s string
	b.must(b.do("GET", b.path("/source"), nil, &s), "page source")
	return s
}

// FindAll returns the references of the elements matching a CSS selector.
func (b *hcBrowser) FindAll(css string) []string {
	b.t.Helper()
	var els []map[string]string
	b.must(b.do("POST", b.path("/elements"), map[string]string{"using": "css selector", "value": css}, &els), "find "+css)
	ids := make([]string, len(els))
	for i, e := range els {
		ids[i] = e[hcWebElement]
	}
	return ids
}

// Find returns the first element matching a CSS selector; the test fails
// when there is none.
func (b *hcBrowser) Find(css string) string {
	b.t.Helper()
	var el map[string]string
	b.must(b.do("POST", b.path("/element"), map[string]string{"using": "css selector", "value": css}, &el), "find "+css)
	id := el[hcWebElement]
	if id == "" {
		b.t.Fatalf("browser: find %s: no element reference in the answer", css)
	}
	return id
}

// Text returns the rendered text of the first element matching css.
func (b *hcBrowser) Text(css string) string {
	b.t.Helper()
	// A click that submits a form returns before the next page has
	// replaced this one, so an element found just then can go stale:
	// find it again until the page settles (at most 3 s).
	deadline := time.Now().Add(3 * time.Second)
	for {
		var s string
		err := b.do("GET", b.path("/element/"+b.Find(css)+"/text"), nil, &s)
		var we *hcWebDriverError
		if err == nil || !errors.As(err, &we) || we.Code != "stale element reference" || time.Now().After(deadline) {
			b.must(err, "text of "+css)
			return s
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Click clicks the first element matching css (WebDriver waits for a
// navigation the click starts).
// WaitText waits up to d for the element's text to be want (the page a
// click submitted may not have loaded yet) and returns the last text seen.
func (b *hcBrowser) WaitText(css, want string, d time.Duration) string {
	b.t.Helper()
	deadline := time.Now().Add(d)
	for {
		got := b.Text(css)
		if got == want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (b *hcBrowser) Click(css string) {
	b.t.Helper()
	b.must(b.do("POST", b.path("/element/"+b.Find(css)+"/click"), map[string]any{}, nil), "click "+css)
}

// WaitURL waits up to d for the current URL to start with prefix and
// returns it.
func (b *hcBrowser) WaitURL(prefix string, d time.Duration) string {
	b.t.Helper()
	deadline := time.Now().Add(d)
	for {
		u := b.URL()
		if strings.HasPrefix(u, prefix) {
			return u
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("browser: at %s after %v; want a page under %s", u, d, prefix)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// dumpLog prints the end of chromedriver's log, for a failed test.
func (b *hcBrowser) dumpLog() {
	raw, err := os.ReadFile(b.logPath)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			b.t.Logf("chromedriver log: %v", err)
		}
		return
	}
	if len(raw) > 4000 {
		raw = raw[len(raw)-4000:]
	}
	b.t.Logf("chromedriver log (end):\n%s", raw)
}
