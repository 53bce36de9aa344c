package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/store/storetest"
	"github.com/hookflow/hookflow/web/webtest"
)

// oneLine checks that a command failed with one "hookflow: " line on
// stderr that holds want.
func oneLine(t *testing.T, stderr string, code int, want string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if code == 0 || len(lines) != 1 || !strings.HasPrefix(lines[0], "hookflow: ") || !strings.Contains(lines[0], want) {
		t.Fatalf("exit %d, stderr %q; want one hookflow: line holding %q", code, stderr, want)
	}
}

// TestCommandHelp: hookflow --help lists every command, and each command's
// --help prints its usage line and flags on stdout and exits 0.
func TestCommandHelp(t *testing.T) {
	out, _, code := hookflow(t, nil, "--help")
	if code != 0 {
		t.Fatalf("hookflow --help exit %d", code)
	}
	for _, c := range commands {
		if !strings.Contains(out, "  "+c.name+" ") {
			t.Errorf("hookflow --help does not list %q:\n%s", c.name, out)
		}
		t.Run(c.name, func(t *testing.T) {
			out, stderr, code := hookflow(t, nil, append(strings.Fields(c.name), "--help")...)
			if code != 0 || stderr != "" || !strings.HasPrefix(out, "usage: hookflow "+c.name) || !strings.Contains(out, c.summary) {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, stderr)
			}
		})
	}
	if out, _, _ := hookflow(t, nil, "backup", "--help"); !strings.Contains(out, "-data-dir") {
		t.Errorf("backup --help lists no --data-dir:\n%s", out)
	}
	if out, _, code := hookflow(t, nil, "help", "token", "create"); code != 0 || !strings.HasPrefix(out, "usage: hookflow token create") {
		t.Errorf("hookflow help token create: exit %d, %q", code, out)
	}
}

// TestBadUsage: each misuse exits non-zero with one line saying what was
// wrong.
func TestBadUsage(t *testing.T) {
	env := []string{"HOOKFLOW_DATA_DIR=" + t.TempDir()}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"admin without subcommand", []string{"admin"}, "usage: hookflow admin create|reset-password|list"},
		{"token without subcommand", []string{"token"}, "usage: hookflow token create"},
		{"unknown flag", []string{"export", "--colour"}, "flag provided but not defined: -colour"},
		{"token without name", []string{"token", "create"}, "--name is required"},
		{"export without what", []string{"export"}, "give one of --connector ID, --flow ID or --all"},
		{"export of two things", []string{"export", "--all", "--flow", "1"}, "give one of"},
		{"export of a missing connector", []string{"export", "--connector", "9"}, "there is no connector 9"},
		{"import without file", []string{"import"}, "usage: hookflow import FILE"},
		{"backup without file", []string{"backup"}, "usage: hookflow backup FILE"},
		{"restore of two files", []string{"restore", "a", "b"}, `unexpected argument "b"`},
		{"restore of a missing file", []string{"restore", filepath.Join(t.TempDir(), "none.tar.gz")}, "there is no file"},
		{"version with an argument", []string{"version", "now"}, `unexpected argument "now"`},
		{"bad setting", []string{"migrate", "--log-format", "yaml"}, "HOOKFLOW_LOG_FORMAT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := hookflow(t, env, tt.args...)
			oneLine(t, stderr, code, tt.want)
		})
	}
	// On Postgres, backup and restore name the tools that do it.
	pg := append(env, "HOOKFLOW_DATABASE_URL=postgres://nobody@127.0.0.1:1/x")
	for _, cmd := range []string{"backup", "restore"} {
		_, stderr, code := hookflow(t, pg, cmd, filepath.Join(t.TempDir(), "x.tar.gz"))
		oneLine(t, stderr, code, "the database is on Postgres: back it up with pg_dump")
	}
}

// TestVersion prints the module version and the Go release on one line.
func TestVersion(t *testing.T) {
	out, stderr, code := hookflow(t, nil, "version")
	if code != 0 || !regexp.MustCompile(`^hookflow \S+( \(revision [0-9a-f]+[^)]*\))? go1\.\d+`).MatchString(out) || strings.Count(out, "\n") != 1 {
		t.Fatalf("version: exit %d, %q %q", code, out, stderr)
	}
}

// TestMigrateAndNewerSchema: migrate applies every step and exits; once
// the database records a step newer than the binary's, migrate, serve and
// the other commands refuse it with one line naming both steps.
func TestMigrateAndNewerSchema(t *testing.T) {
	dir := t.TempDir()
	env := []string{"HOOKFLOW_DATA_DIR=" + dir}
	out, stderr, code := hookflow(t, env, "migrate")
	if code != 0 || !strings.Contains(out, "schema is at step "+itoa(store.LatestSchemaVersion())) {
		t.Fatalf("migrate: exit %d, %q %q", code, out, stderr)
	}
	if fi, err := os.Stat(filepath.Join(dir, "hookflow.db")); err != nil || fi.Size() == 0 {
		t.Fatalf("migrate made no database: %v", err)
	}

	newer := store.LatestSchemaVersion() + 1
	db, err := sqlOpen(filepath.Join(dir, "hookflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from a newer hookflow', CURRENT_TIMESTAMP)", newer); err != nil {
		t.Fatal(err)
	}
	db.Close()
	want := "the database's schema is at step " + itoa(newer) + ", newer than this hookflow binary knows (step " + itoa(store.LatestSchemaVersion()) + ")"
	for _, args := range [][]string{{"migrate"}, {"serve", "--addr", "127.0.0.1:0"}, {"admin", "list"}} {
		t.Run(args[0], func(t *testing.T) {
			_, stderr, code := hookflow(t, env, args...)
			// serve may log before it opens the database: its last line counts.
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			oneLine(t, lines[len(lines)-1], code, want)
		})
	}
}

// TestTokenCreateWorksWithAPI creates a token with the command while a
// server is serving, and calls the API with it over HTTP.
func TestTokenCreateWorksWithAPI(t *testing.T) {
	dir := t.TempDir()
	env := []string{"HOOKFLOW_DATA_DIR=" + dir, "HOOKFLOW_LOG_LEVEL=warn"}
	if _, stderr, code := hookflow(t, append(env, "HOOKFLOW_ADMIN_EMAIL=ops@example.com"), "admin", "create"); code != 0 {
		t.Fatalf("admin create: %s", stderr)
	}
	if _, stderr, code := hookflow(t, append(env, "HOOKFLOW_ADMIN_EMAIL=dev@example.com"), "admin", "create"); code != 0 {
		t.Fatalf("admin create: %s", stderr)
	}
	out, _, code := hookflow(t, env, "admin", "list")
	if code != 0 || !regexp.MustCompile(`(?s)EMAIL\s+ADDED\ndev@example.com\s+\d{4}-\d\d-\d\d .*\nops@example.com\s`).MatchString(out) {
		t.Fatalf("admin list: %q", out)
	}
	s := startServer(t, env...)

	_, stderr, code := hookflow(t, env, "token", "create", "--name", "ci")
	oneLine(t, stderr, code, "there are 2 super admins: name one with --admin EMAIL")
	_, stderr, code = hookflow(t, env, "token", "create", "--name", "ci", "--admin", "nobody@example.com")
	oneLine(t, stderr, code, "there is no super admin nobody@example.com")

	out, stderr, code = hookflow(t, env, "token", "create", "--name", "ci", "--admin", "ops@example.com")
	token := strings.TrimSpace(out)
	if code != 0 || strings.Contains(token, "\n") || token == "" || !strings.Contains(stderr, `Created API token "ci" for ops@example.com`) {
		t.Fatalf("token create: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	me := api(t, s.url, token, "GET", "/api/v1/me", nil, http.StatusOK)
	if b, _ := json.Marshal(me); !strings.Contains(string(b), "ops@example.com") {
		t.Fatalf("/api/v1/me with the new token: %s", b)
	}
	api(t, s.url, "hf_not-a-token", "GET", "/api/v1/me", nil, http.StatusUnauthorized)
}

// TestReadyzWhileMigrating starts the server on a Postgres whose
// migration lock another session holds: while its migrations wait,
// /healthz answers 200 and /readyz 503 naming them; once the lock is
// released, /readyz answers 200.
func TestReadyzWhileMigrating(t *testing.T) {
	url := storetest.PostgresURL(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(7263541)"); err != nil {
		t.Fatal(err)
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(binary)
	cmd.Env = append(os.Environ(), "HOOKFLOW_ADDR="+addr, "HOOKFLOW_DATA_DIR="+t.TempDir(), "HOOKFLOW_DATABASE_URL="+url,
		"HOOKFLOW_SESSION_SECRET="+strings.Repeat("s", 32), "HOOKFLOW_ENCRYPTION_KEY="+strings.Repeat("e", 32))
	stderr := &webtest.SyncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	get := func(path string) (int, string) {
		res, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	var code int
	var body string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if code, body = get("/readyz"); code != 0 {
			break
		}
	}
	if code != http.StatusServiceUnavailable || !strings.Contains(body, `"reason":"starting: migrating the database"`) {
		t.Fatalf("/readyz while migrating = %d %s\n%s", code, body, stderr.String())
	}
	if code, body := get("/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz while migrating = %d %s", code, body)
	}
	if code, _ := get("/login"); code != http.StatusServiceUnavailable {
		t.Fatalf("a page while migrating = %d, want 503", code)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock(7263541)"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if code, _ = get("/readyz"); code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz after the migrations = %d\n%s", code, stderr.String())
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr.String())
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// sqlOpen opens a SQLite file of a data directory beside Hookflow.
func sqlOpen(path string) (*sql.DB, error) {
	return sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
}
