package storetest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The server is started on first use and shared by the tests of one binary.
var (
	pgOnce   sync.Once
	pgServer *postgresServer
	pgErr    error
	pgSeq    atomic.Int64
)

type postgresServer struct {
	bin     string
	dir     string
	port    int
	asUser  string // run the server binaries as this user (when we are root)
	baseURL string
}

// PostgresURL returns the URL of a fresh, empty database on the test server.
// HOOKFLOW_TEST_POSTGRES_URL, when set, names a server to use instead
// (its database is used as the maintenance database).
func PostgresURL(t testing.TB) string {
	t.Helper()
	pgOnce.Do(func() { pgServer, pgErr = startPostgres() })
	if pgErr != nil {
		fatalf(t, "start postgres: %v", pgErr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pgServer.url("postgres"))
	if err != nil {
		fatalf(t, "connect postgres: %v", err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("hookflow_test_%d_%d", os.Getpid(), pgSeq.Add(1))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		fatalf(t, "create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, pgServer.url("postgres")); err == nil {
			c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	})
	return pgServer.url(name)
}

func (p *postgresServer) url(db string) string {
	if p.baseURL != "" {
		return p.baseURL
	}
	return fmt.Sprintf("postgres://hookflow@127.0.0.1:%d/%s?sslmode=disable", p.port, db)
}

func startPostgres() (*postgresServer, error) {
	if u := os.Getenv("HOOKFLOW_TEST_POSTGRES_URL"); u != "" {
		return &postgresServer{baseURL: u}, nil
	}
	bin, err := postgresBin()
	if err != nil {
		return nil, err
	}
	p := &postgresServer{bin: bin}
	if os.Geteuid() == 0 {
		// Postgres refuses to run as root; run it as the postgres user
		// that Debian's package creates.
		if _, err := user.Lookup("postgres"); err != nil {
			return nil, fmt.Errorf("running as root needs the postgres user (apt-get install postgresql): %w", err)
		}
		p.asUser = "postgres"
	}
	p.dir, err = os.MkdirTemp("", "hookflow-pg-")
	if err != nil {
		return nil, err
	}
	if p.asUser != "" {
		if err := exec.Command("chown", p.asUser, p.dir).Run(); err != nil {
			return nil, fmt.Errorf("chown %s: %w", p.dir, err)
		}
	}
	data := filepath.Join(p.dir, "data")
	if out, err := p.command("initdb", "-D", data, "-U", "hookflow", "--auth=trust", "-E", "UTF8", "--no-sync").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	if p.port, err = freePort(); err != nil {
		return nil, err
	}
	opts := fmt.Sprintf("-h 127.0.0.1 -p %d -k %s -F -c max_connections=200", p.port, p.dir)
	logFile := filepath.Join(p.dir, "postgres.log")
	if out, err := p.command("pg_ctl", "-D", data, "-o", opts, "-l", logFile, "-w", "-t", "60", "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(logFile)
		return nil, fmt.Errorf("pg_ctl start: %v: %s\n%s", err, out, log)
	}
	return p, nil
}

func (p *postgresServer) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(p.bin, name)
	if p.asUser != "" {
		return exec.Command("runuser", append([]string{"-u", p.asUser, "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

func stopPostgres() {
	if pgServer == nil || pgServer.dir == "" {
		return
	}
	pgServer.command("pg_ctl", "-D", filepath.Join(pgServer.dir, "data"), "-m", "immediate", "-w", "stop").Run()
	os.RemoveAll(pgServer.dir)
}

// postgresBin finds the directory of initdb and pg_ctl: on PATH, or in
// Debian's /usr/lib/postgresql/<version>/bin.
func postgresBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Dir(real), nil
		}
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("no postgres server binaries found (run make test, or apt-get install postgresql)")
}

func pgVersion(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// StartPostgres starts a Postgres server as the tests do, for tools such
// as hookflow-bench: it returns the URL of its database and a stop func.
func StartPostgres() (string, func(), error) {
	p, err := startPostgres()
	if err != nil {
		return "", nil, err
	}
	stop := func() {
		if p.dir != "" {
			p.command("pg_ctl", "-D", filepath.Join(p.dir, "data"), "-m", "fast", "-w", "stop").Run()
			os.RemoveAll(p.dir)
		}
	}
	return p.url("postgres"), stop, nil
}
