package main

import (
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr string // a substring naming the bad setting; empty for success
		check   func(t *testing.T, c config)
	}{
		{name: "defaults", check: func(t *testing.T, c config) {
			if c.Addr != ":8080" || c.DataDir != "./data" || c.BaseURL != "http://localhost:8080" || c.LogFormat != "text" || c.ShutdownTimeout != 30*time.Second || c.MaxBodyBytes != 1<<20 {
				t.Errorf("defaults = %+v", c)
			}
		}},
		{name: "env", env: map[string]string{"HOOKFLOW_ADDR": "127.0.0.1:9000", "HOOKFLOW_LOG_FORMAT": "json", "HOOKFLOW_BASE_URL": "https://hooks.example.com/"},
			check: func(t *testing.T, c config) {
				if c.Addr != "127.0.0.1:9000" || c.LogFormat != "json" || c.BaseURL != "https://hooks.example.com" {
					t.Errorf("config = %+v", c)
				}
			}},
		{name: "flag beats env", env: map[string]string{"HOOKFLOW_ADDR": ":9000"}, args: []string{"--addr", ":9100"},
			check: func(t *testing.T, c config) {
				if c.Addr != ":9100" || c.BaseURL != "http://localhost:9100" {
					t.Errorf("config = %+v", c)
				}
			}},
		{name: "bad addr", env: map[string]string{"HOOKFLOW_ADDR": "8080"}, wantErr: "HOOKFLOW_ADDR"},
		{name: "bad database url", env: map[string]string{"HOOKFLOW_DATABASE_URL": "mysql://x"}, wantErr: "HOOKFLOW_DATABASE_URL"},
		{name: "bad base url", env: map[string]string{"HOOKFLOW_BASE_URL": "ftp://x"}, wantErr: "HOOKFLOW_BASE_URL"},
		{name: "base url with path", env: map[string]string{"HOOKFLOW_BASE_URL": "https://x.example/hookflow"}, wantErr: "HOOKFLOW_BASE_URL"},
		{name: "bad log format", env: map[string]string{"HOOKFLOW_LOG_FORMAT": "xml"}, wantErr: "HOOKFLOW_LOG_FORMAT"},
		{name: "bad log level", env: map[string]string{"HOOKFLOW_LOG_LEVEL": "loud"}, wantErr: "HOOKFLOW_LOG_LEVEL"},
		{name: "short session secret", env: map[string]string{"HOOKFLOW_SESSION_SECRET": "short"}, wantErr: "HOOKFLOW_SESSION_SECRET"},
		{name: "bad shutdown timeout", env: map[string]string{"HOOKFLOW_SHUTDOWN_TIMEOUT": "soon"}, wantErr: "HOOKFLOW_SHUTDOWN_TIMEOUT"},
		{name: "bad trust proxy", env: map[string]string{"HOOKFLOW_TRUST_PROXY": "maybe"}, wantErr: "HOOKFLOW_TRUST_PROXY"},
		{name: "bad body limit", env: map[string]string{"HOOKFLOW_MAX_BODY_BYTES": "12"}, wantErr: "HOOKFLOW_MAX_BODY_BYTES"},
		{name: "bad sqlite sync", env: map[string]string{"HOOKFLOW_SQLITE_SYNC": "off"}, wantErr: "HOOKFLOW_SQLITE_SYNC"},
		{name: "empty data dir", args: []string{"--data-dir", ""}, wantErr: "HOOKFLOW_DATA_DIR"},
		{name: "outbound policy", env: map[string]string{"HOOKFLOW_OUTBOUND_ALLOW": "10.1.0.0/16, api.internal", "HOOKFLOW_OUTBOUND_DENY": "203.0.113.0/24"},
			check: func(t *testing.T, c config) {
				if err := c.Outbound.Check("", netip.MustParseAddrPort("10.1.2.3:443")); err != nil {
					t.Errorf("allowed 10.1.2.3: %v", err)
				}
				if err := c.Outbound.Check("", netip.MustParseAddrPort("203.0.113.9:443")); err == nil {
					t.Error("denied 203.0.113.9 went through")
				}
			}},
		{name: "bad outbound allow", env: map[string]string{"HOOKFLOW_OUTBOUND_ALLOW": "10.0.0.0/33"}, wantErr: "HOOKFLOW_OUTBOUND_ALLOW"},
		{name: "bad outbound deny", args: []string{"--outbound-deny", "not a host"}, wantErr: "HOOKFLOW_OUTBOUND_DENY"},
		{name: "min poll interval", env: map[string]string{"HOOKFLOW_MIN_POLL_INTERVAL": "30s"}, check: func(t *testing.T, c config) {
			if c.MinPollInterval != 30*time.Second {
				t.Errorf("min poll interval = %s", c.MinPollInterval)
			}
		}},
		{name: "min poll interval by default", check: func(t *testing.T, c config) {
			if c.MinPollInterval != time.Minute {
				t.Errorf("min poll interval = %s", c.MinPollInterval)
			}
		}},
		{name: "bad min poll interval", env: map[string]string{"HOOKFLOW_MIN_POLL_INTERVAL": "500ms"}, wantErr: "HOOKFLOW_MIN_POLL_INTERVAL"},
		{name: "unknown flag", args: []string{"--nope"}, wantErr: "nope"},
		{name: "stray argument", args: []string{"extra"}, wantErr: "extra"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig("hookflow", tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestSessionKeysGeneratedOnce(t *testing.T) {
	dir := t.TempDir()
	c := config{DataDir: dir}
	k1, err := c.sessionKeys()
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "session.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("session.key: %v, mode %v; want 0600", err, st.Mode().Perm())
	}
	k2, _ := c.sessionKeys()
	if string(k1[0]) != string(k2[0]) || len(k1[0]) != 64 || len(k1[1]) != 32 {
		t.Fatal("keys differ between starts, or have the wrong size")
	}
	os.WriteFile(filepath.Join(dir, "session.key"), []byte("garbage"), 0o600)
	if _, err := c.sessionKeys(); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("damaged key file: %v", err)
	}
	c.SessionSecret = strings.Repeat("s", 40)
	k3, _ := c.sessionKeys()
	if string(k3[0]) == string(k1[0]) {
		t.Fatal("configured secret ignored")
	}
}
