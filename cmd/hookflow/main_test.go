package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
	"github.com/hookflow/hookflow/web/webtest"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hookflow-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "hookflow")
	// The tag is given here, not only by the Makefile: go test ./... builds
	// the same binary.
	if out, err := exec.Command("go", "build", "-tags", "sqlite_fts5", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build hookflow: %v\n%s", err, out)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	storetest.Main(m)
}

// hookflow runs the binary to completion with the given environment.
func hookflow(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go func() { <-ctx.Done(); cmd.Process.Kill() }()
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), 0
}

func TestBadStartsExitWithOneLine(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	notDir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notDir, []byte("x"), 0o600)
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"bad setting", []string{"HOOKFLOW_LOG_FORMAT=yaml"}, "HOOKFLOW_LOG_FORMAT"},
		{"port in use", []string{"HOOKFLOW_ADDR=" + busy.Addr().String()}, "address already in use"},
		{"database cannot be opened", []string{"HOOKFLOW_ADDR=127.0.0.1:0", "HOOKFLOW_DATABASE_URL=postgres://nobody@127.0.0.1:1/x?connect_timeout=2", "HOOKFLOW_SESSION_SECRET=" + strings.Repeat("x", 32)}, "postgres"},
		{"data dir is a file", []string{"HOOKFLOW_ADDR=127.0.0.1:0", "HOOKFLOW_DATA_DIR=" + notDir}, notDir},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := append([]string{"HOOKFLOW_DATA_DIR=" + t.TempDir()}, tt.env...)
			_, stderr, code := hookflow(t, env)
			if code == 0 {
				t.Fatal("exit code 0")
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "hookflow: ") || !strings.Contains(last, tt.want) {
				t.Fatalf("last line %q, want a hookflow: line naming %q", last, tt.want)
			}
		})
	}
}

func TestAdminCommands(t *testing.T) {
	dir := t.TempDir()
	env := []string{"HOOKFLOW_DATA_DIR=" + dir, "HOOKFLOW_ADMIN_EMAIL=ops@example.com"}
	out, stderr, code := hookflow(t, env, "admin", "create")
	if code != 0 {
		t.Fatalf("admin create: %d %s", code, stderr)
	}
	m := regexp.MustCompile(`Password: (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no generated password printed: %q", out)
	}
	if _, stderr, code := hookflow(t, env, "admin", "create"); code == 0 || !strings.Contains(stderr, "conflict") {
		t.Fatalf("creating a taken email: %d %q", code, stderr)
	}
	if _, _, code := hookflow(t, env, "admin", "reset-password", "--admin-password", "a chosen new password"); code != 0 {
		t.Fatal("reset-password failed")
	}
	if _, stderr, code := hookflow(t, []string{"HOOKFLOW_DATA_DIR=" + dir, "HOOKFLOW_ADMIN_EMAIL=nobody@example.com"}, "admin", "reset-password"); code == 0 || !strings.Contains(stderr, "not found") {
		t.Fatalf("reset for an unknown admin: %d %q", code, stderr)
	}
	if _, _, code := hookflow(t, nil, "admin", "frobnicate"); code == 0 {
		t.Fatal("unknown admin subcommand accepted")
	}
	st := storetest.Open(t, "", dir)
	if _, err := st.Authenticate(context.Background(), "ops@example.com", "a chosen new password"); err != nil {
		t.Fatalf("reset password does not sign in: %v", err)
	}
	if _, err := st.Authenticate(context.Background(), "ops@example.com", m[1]); err == nil {
		t.Fatal("old generated password still works")
	}
}

// apiToken makes the database cfg names with a super admin and returns an
// API token of theirs, before a server opens it.
func apiToken(t *testing.T, cfg store.Config) string {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	admin, err := st.CreateUser(ctx, "ops@example.com", "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := st.CreateAPIToken(ctx, admin.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// started is a hookflow serve subprocess.
type started struct {
	cmd    *exec.Cmd
	url    string
	stdout *webtest.SyncBuffer
	stderr *webtest.SyncBuffer
}

func startServer(t *testing.T, env ...string) *started {
	t.Helper()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	return startServerAt(t, addr, env...)
}

// startServerAt starts hookflow serve on addr and waits until it is ready.
func startServerAt(t *testing.T, addr string, env ...string) *started {
	t.Helper()
	cmd := exec.Command(binary)
	cmd.Env = append(append(os.Environ(), "HOOKFLOW_ADDR="+addr), env...)
	s := &started{cmd: cmd, url: "http://" + addr, stdout: &webtest.SyncBuffer{}, stderr: &webtest.SyncBuffer{}}
	cmd.Stdout, cmd.Stderr = s.stdout, s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		if res, err := http.Get(s.url + "/readyz"); err == nil && res.StatusCode == 200 {
			res.Body.Close()
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not get ready:\n%s", s.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestFirstStartCreatesAdminAndSIGTERMDrains(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, "HOOKFLOW_DATA_DIR="+dir)
	waitFor(t, s.stdout, "email:    admin@hookflow.local")
	if !strings.Contains(s.stdout.String(), "email:    admin@hookflow.local") || !regexp.MustCompile(`password: \S{16,}`).MatchString(s.stdout.String()) {
		t.Fatalf("first start did not print the admin's sign-in:\n%s", s.stdout.String())
	}
	// A slow request in flight when SIGTERM arrives still completes.
	done := make(chan int, 1)
	go func() {
		// The form arrives slowly: the server is still reading it at SIGTERM.
		req, _ := http.NewRequest(http.MethodPost, s.url+"/login", slowBody{})
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- 0
			return
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		done <- res.StatusCode
	}()
	time.Sleep(100 * time.Millisecond)
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, s.stderr.String())
	}
	// It is answered (403: it carries no CSRF token) rather than cut off.
	if code := <-done; code != http.StatusForbidden {
		t.Fatalf("in-flight request got %d, want its answer 403", code)
	}
	waitFor(t, s.stderr, "msg=stopped")
	if !strings.Contains(s.stderr.String(), "msg=stopped") {
		t.Errorf("no clean stop logged:\n%s", s.stderr.String())
	}

	// The second start creates nothing and prints no password.
	s2 := startServer(t, "HOOKFLOW_DATA_DIR="+dir)
	if strings.Contains(s2.stdout.String(), "password") {
		t.Fatal("second start printed a password")
	}
}

func TestFirstStartUsesConfiguredAdmin(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, "HOOKFLOW_DATA_DIR="+dir, "HOOKFLOW_ADMIN_EMAIL=root@example.com", "HOOKFLOW_ADMIN_PASSWORD=configured password 1")
	if strings.Contains(s.stdout.String(), "password:") {
		t.Fatal("printed a password although one was configured")
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.cmd.Wait()
	st, err := store.Open(context.Background(), store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Authenticate(context.Background(), "root@example.com", "configured password 1"); err != nil {
		t.Fatal(err)
	}
}

func TestServesOnPostgres(t *testing.T) {
	s := startServer(t, "HOOKFLOW_DATA_DIR="+t.TempDir(), "HOOKFLOW_DATABASE_URL="+storetest.PostgresURL(t), "HOOKFLOW_LOG_FORMAT=json")
	// The child's stderr reaches the buffer through a copying goroutine:
	// the line may land just after /readyz answered.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		sc := bufio.NewScanner(strings.NewReader(s.stderr.String()))
		for sc.Scan() {
			if strings.Contains(sc.Text(), `"msg":"hookflow is serving"`) && strings.Contains(sc.Text(), `"database":"postgres"`) {
				return
			}
		}
	}
	t.Fatalf("no JSON serving line on postgres:\n%s", s.stderr.String())
}

// slowBody is a request body that takes a moment to arrive.
type slowBody struct{}

func (slowBody) Read(p []byte) (int, error) {
	time.Sleep(500 * time.Millisecond)
	return 0, io.EOF
}

// waitFor waits (a while) until a subprocess's output holds text; the
// output reaches the buffer through a copying goroutine.
func waitFor(t *testing.T, b *webtest.SyncBuffer, text string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(b.String(), text) {
			return
		}
	}
}

// TestDataDirIsPrivate starts Hookflow on a data directory that others
// may read (0755), then again after its files were opened up (0644): each
// time the directory ends 0700 and every file in it 0600, with a warning.
func TestDataDirIsPrivate(t *testing.T) {
	old := syscall.Umask(0o022) // the usual umask, which leaves files readable by all
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	check := func(when string) {
		t.Helper()
		if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
			t.Fatalf("%s: data dir mode %v, %v; want 0700", when, fi.Mode().Perm(), err)
		}
		entries, _ := os.ReadDir(dir)
		names := map[string]bool{}
		for _, e := range entries {
			fi, err := e.Info()
			if err != nil {
				t.Fatal(err)
			}
			names[e.Name()] = true
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: %s mode %v, want 0600", when, e.Name(), fi.Mode().Perm())
			}
		}
		for _, f := range []string{"hookflow.db", "hookflow.db-wal", "hookflow.db-shm", "history.db", "history.db-wal", "session.key", "encryption.key"} {
			if !names[f] {
				t.Errorf("%s: no %s in the data dir (it holds %v)", when, f, names)
			}
		}
	}

	s := startServer(t, "HOOKFLOW_DATA_DIR="+dir)
	check("first start")
	waitFor(t, s.stderr, "data directory was open")
	if !strings.Contains(s.stderr.String(), "data directory was open to other users") {
		t.Errorf("no warning about the data dir:\n%s", s.stderr.String())
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.cmd.Wait()

	os.Chmod(dir, 0o755)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		os.Chmod(filepath.Join(dir, e.Name()), 0o644)
	}
	s = startServer(t, "HOOKFLOW_DATA_DIR="+dir)
	check("second start")
	waitFor(t, s.stderr, "data files were readable")
	if !strings.Contains(s.stderr.String(), "data files were readable by other users") {
		t.Errorf("no warning about the files:\n%s", s.stderr.String())
	}
}
