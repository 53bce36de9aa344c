package webtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Browser is a headless chromium tab driven by chromedp. When the test
// fails, it saves a screenshot and the page's HTML under ArtifactsDir.
type Browser struct {
	Ctx    context.Context
	Server *Server
	t      testing.TB
}

// ArtifactsDir is where failing browser tests leave their screenshot and
// HTML: $HOOKFLOW_TEST_ARTIFACTS, or .artifacts at the repository root.
func ArtifactsDir() string {
	if d := os.Getenv("HOOKFLOW_TEST_ARTIFACTS"); d != "" {
		return d
	}
	if root, ok := moduleRoot(); ok {
		return filepath.Join(root, ".artifacts")
	}
	return filepath.Join(os.TempDir(), "hookflow-artifacts")
}

// moduleRoot is the repository root, the folder above the working
// directory that holds go.mod; tests run in their package's folder.
func moduleRoot() (string, bool) {
	wd, _ := os.Getwd()
	for d := wd; d != "/"; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, true
		}
	}
	return "", false
}

// chromiumPath finds Debian's chromium (or another Chrome) to drive.
func chromiumPath() (string, error) {
	if p := os.Getenv("HOOKFLOW_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no chromium found: run make test (it installs Debian's chromium) or set HOOKFLOW_CHROMIUM")
}

// NewBrowser opens a headless chromium for s. It is closed when the test ends.
func NewBrowser(t testing.TB, s *Server) *Browser {
	t.Helper()
	path, err := chromiumPath()
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // headless chromium runs as root only without the sandbox
		chromedp.Flag("headless", "new"),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	if err := chromedp.Do(ctx); err != nil {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	b := &Browser{Ctx: ctx, Server: s, t: t}
	t.Cleanup(func() {
		if t.Failed() {
			b.saveArtifacts()
		}
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	return b
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

func (b *Browser) saveArtifacts() {
	dir := ArtifactsDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Logf("artifacts: %v", err)
		return
	}
	base := filepath.Join(dir, unsafeName.ReplaceAllString(b.t.Name(), "_"))
	ctx, cancel := context.WithTimeout(b.Ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("artifacts: %v", err)
		return
	}
	html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		b.t.Logf("artifacts: %v", err)
		return
	}
	os.WriteFile(base+".png", png, 0o644)
	os.WriteFile(base+".html", []byte(html), 0o644)
	b.t.Logf("browser artifacts: %s.png and %s.html", base, base)
}

// Run runs chromedp actions in order and fails the test on error.
func (b *Browser) Run(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// Value runs one chromedp action that returns a value and fails the test on error.
func Value[T any](b *Browser, action chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return v
}

// Open navigates to a path of the server.
func (b *Browser) Open(path string) {
	b.t.Helper()
	b.Run(chromedp.Navigate(b.Server.URL + path))
}

// TestID is the CSS selector of an element by its data-testid.
func TestID(id string) chromedp.CSS { return chromedp.CSS(fmt.Sprintf(`[data-testid="%s"]`, id)) }

// SignIn signs in through the real form, typing like a person, and waits
// for the dashboard.
func (b *Browser) SignIn() {
	b.t.Helper()
	b.SignInAs(AdminEmail, AdminPassword)
	b.Run(chromedp.WaitVisible(TestID("dashboard-title")))
}

// SignInAs fills and submits the sign-in form without waiting for a result.
func (b *Browser) SignInAs(email, password string) {
	b.t.Helper()
	b.Open("/login")
	b.Run(
		chromedp.WaitVisible(TestID("login-form")),
		chromedp.SendKeys(TestID("login-email"), email),
		chromedp.SendKeys(TestID("login-password"), password),
		chromedp.Click(TestID("login-submit")),
	)
}

// Screenshot saves a full-page PNG as name.png under $HOOKFLOW_SCREENSHOTS,
// when it is set (make screenshots); the README shows them.
func (b *Browser) Screenshot(name string) {
	b.t.Helper()
	dir := os.Getenv("HOOKFLOW_SCREENSHOTS")
	if dir == "" {
		return
	}
	png := Value(b, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// Text returns the text of the element with the given data-testid.
func (b *Browser) Text(testID string) string {
	b.t.Helper()
	b.Run(chromedp.WaitVisible(TestID(testID)))
	return Value(b, chromedp.Text(TestID(testID)))
}
