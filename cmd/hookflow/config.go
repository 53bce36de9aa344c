package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/hkdf"

	"github.com/hookflow/hookflow/cards"
	"github.com/hookflow/hookflow/store"
)

// config is Hookflow's configuration: each setting is an environment
// variable with a matching flag; flags win. Listed in README.md.
type config struct {
	Addr            string
	DataDir         string
	DatabaseURL     string
	BaseURL         string
	LogFormat       string
	LogLevel        string
	SessionSecret   string
	AdminEmail      string
	AdminPassword   string
	ShutdownTimeout time.Duration
	TrustProxy      bool
	MaxBodyBytes    int64
	MaxHookBytes    int64
	EncryptionKey   string
	MaxAttempts     int
	RetentionAge    time.Duration
	RetentionCount  int
	SQLiteSync      store.Sync
	PprofAddr       string
	Outbound        cards.Policy
	// EndpointTimeout and EndpointRateLimit: how long API Endpoint flows'
	// callers wait, and the invocations per second a flow takes by
	// default (0: no limit).
	EndpointTimeout   time.Duration
	EndpointRateLimit int
	DurableWait       time.Duration
	MinPollInterval   time.Duration
}

// setting is one configuration entry: its env var, flag and default.
type setting struct {
	env, flag, def, help string
}

var settings = []setting{
	{"HOOKFLOW_ADDR", "addr", ":8080", "address to listen on"},
	{"HOOKFLOW_DATA_DIR", "data-dir", "./data", "directory for the SQLite database and generated keys"},
	{"HOOKFLOW_DATABASE_URL", "database-url", "", "postgres:// URL; empty for SQLite in the data dir"},
	{"HOOKFLOW_BASE_URL", "base-url", "", "public URL of this server, used for Event URLs (default http://localhost:<port>)"},
	{"HOOKFLOW_LOG_FORMAT", "log-format", "text", "log format: text or json"},
	{"HOOKFLOW_LOG_LEVEL", "log-level", "info", "log level: debug, info, warn or error"},
	{"HOOKFLOW_SESSION_SECRET", "session-secret", "", "secret (≥ 32 characters) for session cookies; default: generated once into the data dir"},
	{"HOOKFLOW_ADMIN_EMAIL", "admin-email", "", "email of the super admin created on first start"},
	{"HOOKFLOW_ADMIN_PASSWORD", "admin-password", "", "password of that super admin; default: generated and printed once"},
	{"HOOKFLOW_SHUTDOWN_TIMEOUT", "shutdown-timeout", "30s", "how long SIGTERM waits for in-flight requests and jobs"},
	{"HOOKFLOW_TRUST_PROXY", "trust-proxy", "false", "take client addresses from X-Forwarded-For (behind a reverse proxy)"},
	{"HOOKFLOW_MAX_BODY_BYTES", "max-body-bytes", "1048576", "largest request body accepted by admin pages and the API"},
	{"HOOKFLOW_MAX_EVENT_BYTES", "max-event-bytes", "1048576", "largest body accepted at an Event URL (larger gets 413)"},
	{"HOOKFLOW_ENCRYPTION_KEY", "encryption-key", "", "secret (≥ 32 characters) that encrypts connection secrets and Registration Data; default: generated once into the data dir"},
	{"HOOKFLOW_RETENTION", "retention", "720h", "how long executions are kept (pruned every 10 minutes; running ones never)"},
	{"HOOKFLOW_RETENTION_COUNT", "retention-count", "100000", "how many executions of each flow are kept at most"},
	{"HOOKFLOW_PPROF_ADDR", "pprof-addr", "", "address for Go's profiler (net/http/pprof), e.g. 127.0.0.1:6060; empty: off. Keep it on loopback"},
	{"HOOKFLOW_SQLITE_SYNC", "sqlite-sync", "full", "full: every commit is on disk before a payload is acknowledged (survives power loss); normal: faster, the last commits before a power loss may be lost"},
	{"HOOKFLOW_MAX_ATTEMPTS", "max-attempts", "10", "tries of a payload's run or a deregistration before it fails for good (exponential backoff between)"},
	{"HOOKFLOW_OUTBOUND_ALLOW", "outbound-allow", "", "CIDRs, addresses and host names (comma-separated) that flows may call although they are loopback, private or link-local, e.g. 10.1.0.0/16,api.internal"},
	{"HOOKFLOW_ENDPOINT_TIMEOUT", "endpoint-timeout", "60s", "how long the caller of an API Endpoint flow waits for its answer before a 504 (the run goes on)"},
	{"HOOKFLOW_ENDPOINT_RATE_LIMIT", "endpoint-rate-limit", "10", "invocations per second an API Endpoint flow takes unless its own setting says otherwise (then 429); 0: no limit. Counted by each server"},
	{"HOOKFLOW_OUTBOUND_DENY", "outbound-deny", "", "CIDRs, addresses and host names (comma-separated) that flows may never call; wins over the allow list"},
	{"HOOKFLOW_DURABLE_WAIT", "durable-wait", "5s", "shortest Wait For or Wait Until that stores the run to resume later (holding nothing, surviving restarts); shorter waits hold the run in memory"},
	{"HOOKFLOW_MIN_POLL_INTERVAL", "min-poll-interval", "1m", "shortest interval a flow on a connector's Polling Event may poll at (at least 1s)"},
}

// parseConfig reads flags over environment over defaults and validates the
// result; an error names the bad setting.
func parseConfig(name string, args []string, getenv func(string) string, out io.Writer) (config, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	vals := defineSettings(fs, getenv, nil)
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return vals.config()
}

// settingValues are the settings' values once their flags are parsed.
type settingValues map[string]*string

// defineSettings defines the flags of the settings named in only (by
// flag; all of them when only is nil) on fs, each defaulting to its
// environment variable. The other settings take their environment
// variable or default.
func defineSettings(fs *flag.FlagSet, getenv func(string) string, only []string) settingValues {
	vals := settingValues{}
	for _, s := range settings {
		def := s.def
		if v := getenv(s.env); v != "" {
			def = v
		}
		if only == nil || slices.Contains(only, s.flag) {
			vals[s.env] = fs.String(s.flag, def, s.help+" ($"+s.env+")")
		} else {
			vals[s.env] = &def
		}
	}
	return vals
}

// config validates the values; an error names the bad setting.
func (vals settingValues) config() (config, error) {
	get := func(env string) string { return strings.TrimSpace(*vals[env]) }
	c := config{
		Addr:          get("HOOKFLOW_ADDR"),
		DataDir:       get("HOOKFLOW_DATA_DIR"),
		DatabaseURL:   get("HOOKFLOW_DATABASE_URL"),
		BaseURL:       strings.TrimRight(get("HOOKFLOW_BASE_URL"), "/"),
		LogFormat:     get("HOOKFLOW_LOG_FORMAT"),
		LogLevel:      get("HOOKFLOW_LOG_LEVEL"),
		SessionSecret: get("HOOKFLOW_SESSION_SECRET"),
		EncryptionKey: get("HOOKFLOW_ENCRYPTION_KEY"),
		PprofAddr:     get("HOOKFLOW_PPROF_ADDR"),
		AdminEmail:    get("HOOKFLOW_ADMIN_EMAIL"),
		AdminPassword: *vals["HOOKFLOW_ADMIN_PASSWORD"],
	}
	var err error
	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		return c, fmt.Errorf("HOOKFLOW_ADDR %q is not host:port (e.g. :8080)", c.Addr)
	} else if c.BaseURL == "" {
		c.BaseURL = "http://localhost:" + port
	}
	if c.DataDir == "" {
		return c, errors.New("HOOKFLOW_DATA_DIR is empty")
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return c, fmt.Errorf("HOOKFLOW_DATABASE_URL must be a postgres:// URL, or empty for SQLite")
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return c, fmt.Errorf("HOOKFLOW_BASE_URL %q is not an http(s) URL without a path", c.BaseURL)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return c, fmt.Errorf("HOOKFLOW_LOG_FORMAT %q: use text or json", c.LogFormat)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return c, fmt.Errorf("HOOKFLOW_LOG_LEVEL %q: use debug, info, warn or error", c.LogLevel)
	}
	if c.SessionSecret != "" && len(c.SessionSecret) < 32 {
		return c, errors.New("HOOKFLOW_SESSION_SECRET must be at least 32 characters")
	}
	if c.ShutdownTimeout, err = time.ParseDuration(get("HOOKFLOW_SHUTDOWN_TIMEOUT")); err != nil || c.ShutdownTimeout <= 0 {
		return c, fmt.Errorf("HOOKFLOW_SHUTDOWN_TIMEOUT %q is not a positive duration (e.g. 30s)", get("HOOKFLOW_SHUTDOWN_TIMEOUT"))
	}
	if c.TrustProxy, err = strconv.ParseBool(get("HOOKFLOW_TRUST_PROXY")); err != nil {
		return c, fmt.Errorf("HOOKFLOW_TRUST_PROXY %q is not true or false", get("HOOKFLOW_TRUST_PROXY"))
	}
	if c.MaxBodyBytes, err = strconv.ParseInt(get("HOOKFLOW_MAX_BODY_BYTES"), 10, 64); err != nil || c.MaxBodyBytes < 1024 {
		return c, fmt.Errorf("HOOKFLOW_MAX_BODY_BYTES %q is not a number of bytes ≥ 1024", get("HOOKFLOW_MAX_BODY_BYTES"))
	}
	if c.MaxHookBytes, err = strconv.ParseInt(get("HOOKFLOW_MAX_EVENT_BYTES"), 10, 64); err != nil || c.MaxHookBytes < 1024 {
		return c, fmt.Errorf("HOOKFLOW_MAX_EVENT_BYTES %q is not a number of bytes ≥ 1024", get("HOOKFLOW_MAX_EVENT_BYTES"))
	}
	if c.EncryptionKey != "" && len(c.EncryptionKey) < 32 {
		return c, errors.New("HOOKFLOW_ENCRYPTION_KEY must be at least 32 characters")
	}
	if c.MaxAttempts, err = strconv.Atoi(get("HOOKFLOW_MAX_ATTEMPTS")); err != nil || c.MaxAttempts < 1 || c.MaxAttempts > 100 {
		return c, fmt.Errorf("HOOKFLOW_MAX_ATTEMPTS %q is not a number from 1 to 100", get("HOOKFLOW_MAX_ATTEMPTS"))
	}
	if c.RetentionAge, err = time.ParseDuration(get("HOOKFLOW_RETENTION")); err != nil || c.RetentionAge < time.Hour {
		return c, fmt.Errorf("HOOKFLOW_RETENTION %q is not a duration of at least 1h (e.g. 720h)", get("HOOKFLOW_RETENTION"))
	}
	if c.RetentionCount, err = strconv.Atoi(get("HOOKFLOW_RETENTION_COUNT")); err != nil || c.RetentionCount < 1 {
		return c, fmt.Errorf("HOOKFLOW_RETENTION_COUNT %q is not a positive number", get("HOOKFLOW_RETENTION_COUNT"))
	}
	switch c.SQLiteSync = store.Sync(get("HOOKFLOW_SQLITE_SYNC")); c.SQLiteSync {
	case store.SyncFull, store.SyncNormal:
	default:
		return c, fmt.Errorf("HOOKFLOW_SQLITE_SYNC %q: use full or normal", c.SQLiteSync)
	}
	if c.EndpointTimeout, err = time.ParseDuration(get("HOOKFLOW_ENDPOINT_TIMEOUT")); err != nil || c.EndpointTimeout < time.Second || c.EndpointTimeout > time.Hour {
		return c, fmt.Errorf("HOOKFLOW_ENDPOINT_TIMEOUT %q is not a duration from 1s to 1h (e.g. 60s)", get("HOOKFLOW_ENDPOINT_TIMEOUT"))
	}
	if c.EndpointRateLimit, err = strconv.Atoi(get("HOOKFLOW_ENDPOINT_RATE_LIMIT")); err != nil || c.EndpointRateLimit < 0 || c.EndpointRateLimit > 100_000 {
		return c, fmt.Errorf("HOOKFLOW_ENDPOINT_RATE_LIMIT %q is not a number from 0 (no limit) to 100000", get("HOOKFLOW_ENDPOINT_RATE_LIMIT"))
	}
	if c.DurableWait, err = time.ParseDuration(get("HOOKFLOW_DURABLE_WAIT")); err != nil || c.DurableWait <= 0 {
		return c, fmt.Errorf("HOOKFLOW_DURABLE_WAIT %q is not a positive duration (e.g. 5s)", get("HOOKFLOW_DURABLE_WAIT"))
	}
	if c.Outbound, err = cards.ParsePolicy(get("HOOKFLOW_OUTBOUND_ALLOW"), get("HOOKFLOW_OUTBOUND_DENY")); err != nil {
		return c, err
	}
	if c.MinPollInterval, err = time.ParseDuration(get("HOOKFLOW_MIN_POLL_INTERVAL")); err != nil || c.MinPollInterval < time.Second {
		return c, fmt.Errorf("HOOKFLOW_MIN_POLL_INTERVAL %q is not a duration of at least 1s (e.g. 1m)", get("HOOKFLOW_MIN_POLL_INTERVAL"))
	}
	return c, nil
}

// encryptionKey derives the 32-byte key that seals secrets at rest from the
// configured secret, or from a secret generated once into the data dir
// (mode 0600). Losing it makes stored connections unreadable.
func (c config) encryptionKey() ([]byte, error) {
	secret := []byte(c.EncryptionKey)
	if len(secret) == 0 {
		var err error
		if secret, err = loadOrCreateSecret(filepath.Join(c.DataDir, "encryption.key")); err != nil {
			return nil, err
		}
	}
	key := make([]byte, 32)
	if _, err := io.ReadFull(hkdf.New(sha256.New, secret, nil, []byte("hookflow secrets at rest")), key); err != nil {
		return nil, err
	}
	return key, nil
}

// sessionKeys derives the cookie hash and block keys from the configured
// secret, or from a secret generated once into the data dir (mode 0600).
func (c config) sessionKeys() ([][]byte, error) {
	secret := []byte(c.SessionSecret)
	if len(secret) == 0 {
		var err error
		if secret, err = loadOrCreateSecret(filepath.Join(c.DataDir, "session.key")); err != nil {
			return nil, err
		}
	}
	hashKey, blockKey := make([]byte, 64), make([]byte, 32)
	r := hkdf.New(sha256.New, secret, nil, []byte("hookflow session cookies"))
	if _, err := io.ReadFull(r, hashKey); err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(r, blockKey); err != nil {
		return nil, err
	}
	return [][]byte{hashKey, blockKey}, nil
}

// loadOrCreateSecret reads a hex secret from path, creating it with 32
// random bytes (mode 0600) the first time.
func loadOrCreateSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		secret, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(secret) < 32 {
			return nil, fmt.Errorf("%s is damaged: delete it to generate a new one (signs everyone out)", path)
		}
		return secret, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return loadOrCreateSecret(path) // another process won the race
	}
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	if _, err := f.WriteString(hex.EncodeToString(secret) + "\n"); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return secret, f.Close()
}
