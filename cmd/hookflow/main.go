// Command hookflow is Hookflow's server and its admin tools.
//
//	hookflow [serve] [flags]      serve Hookflow
//	hookflow <command> --help     what a command does and its flags
//	hookflow --help               the commands: migrate, admin, token,
//	                              export, import, backup, restore, version
//
// Configuration comes from HOOKFLOW_* environment variables or the matching
// flags; see README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	_ "time/tzdata" // time zones for schedules, on systems without a zone database

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookflow/hookflow/cards"
	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/web"
)

func main() {
	err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	if errors.Is(err, errHelpShown) {
		return
	}
	if err != nil {
		// One line, whatever the error's own layout.
		fmt.Fprintf(os.Stderr, "hookflow: %s\n", strings.Join(strings.Fields(err.Error()), " "))
		os.Exit(1)
	}
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// serve runs Hookflow until SIGTERM or SIGINT, then drains in-flight
// requests and jobs and returns nil.
func serve(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	log := newLogger(cfg, stderr)
	if cfg.DatabaseURL == "" {
		// Before anything listens: a server that could not record the runs
		// of what it accepts must not accept it.
		if err := store.CheckSQLiteSearch(); err != nil {
			return err
		}
	}
	keys, err := cfg.sessionKeys()
	if err != nil {
		return err
	}
	// Listen before anything is written, so a port in use changes nothing.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	defer ln.Close()
	// The data dir holds the keys, and the SQLite files when there is no
	// Postgres: narrowed here, once, before any of them is opened.
	if err := store.SecureDataDir(cfg.DataDir, log); err != nil {
		return err
	}
	if cfg.DatabaseURL == "" {
		// Held while serving: a restore refuses the directory meanwhile.
		unlock, err := store.LockDataDir(cfg.DataDir)
		if err != nil {
			return err
		}
		defer unlock()
	}
	hs, handler, serveErr := serveAtOnce(ln, cfg, log)
	started := false
	defer func() {
		if !started {
			hs.Close()
		}
	}()

	encKey, err := cfg.encryptionKey()
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, store.Config{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: log,
		EncryptionKey: encKey, MaxAttempts: cfg.MaxAttempts, Sync: cfg.SQLiteSync, Retention: store.Retention{MaxAge: cfg.RetentionAge, MaxPerFlow: cfg.RetentionCount}})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := ensureAdmin(ctx, st, cfg, stdout, log); err != nil {
		return err
	}
	outbound := cards.NewClient(cfg.Outbound)
	registry := cards.Builtin(cards.Options{HTTPClient: outbound})
	tokens := &cards.Tokens{Client: outbound}
	engine := flows.NewEngine(registry, flows.Options{Recorder: st, Flows: st, Actions: &flows.Actions{Store: st, Tokens: tokens}, Tables: st,
		Waits: st, DurableAfter: cfg.DurableWait, ResumeURL: func(token string) string { return cfg.BaseURL + "/resume/" + token }})
	lifecycle := &flows.Lifecycle{Store: st, Engine: engine, Tokens: tokens, BaseURL: cfg.BaseURL, MinPollInterval: cfg.MinPollInterval}
	st.Queue().Handle(lifecycle)
	st.Queue().HandleResumes(engine)
	st.HandleCancels(engine.Cancel) // cancel requests of every instance
	eventHooks := &flows.EventHooks{Store: st, Client: outbound, BaseURL: cfg.BaseURL, PlainHTTP: cfg.Outbound.Opens}
	st.HandleEventHooks(eventHooks)
	srv, err := web.New(web.Deps{
		Config: web.Config{BaseURL: cfg.BaseURL, SessionKeys: keys, TrustProxy: cfg.TrustProxy, MaxFormBytes: cfg.MaxBodyBytes,
			MaxHookBytes: cfg.MaxHookBytes, EndpointTimeout: cfg.EndpointTimeout, EndpointRateLimit: endpointRate(cfg.EndpointRateLimit)},
		Store: st, Logger: log, Metrics: prometheus.NewRegistry(), Engine: engine, Registry: registry, Lifecycle: lifecycle,
		EventHooks: eventHooks,
	})
	if err != nil {
		return err
	}

	if cfg.PprofAddr != "" {
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		go func() {
			log.Warn("profiler listening", "addr", cfg.PprofAddr)
			if err := http.ListenAndServe(cfg.PprofAddr, mux); err != nil {
				log.Error("profiler stopped", "error", err)
			}
		}()
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	queue := st.Queue()
	// Not ctx: River cancels the running jobs at once when the context
	// Start was given ends (as StopAndCancel does), and SIGTERM ends ctx;
	// shutdown drains them first.
	if err := queue.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	handler.set(srv)
	started = true
	log.Info("hookflow is serving", "addr", ln.Addr().String(), "url", cfg.BaseURL, "database", st.Dialect())

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: draining requests and jobs", "timeout", cfg.ShutdownTimeout)
	if err := shutdown(hs, queue, engine, cfg.ShutdownTimeout); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// shutdown drains in-flight requests, jobs and flows started with Call
// Flow Async for three quarters of timeout, then cancels the runs still
// going and waits for them to record how they ended, until timeout.
func shutdown(hs *http.Server, queue *store.Queue, engine *flows.Engine, timeout time.Duration) error {
	hard, cancelHard := context.WithTimeout(context.Background(), timeout)
	defer cancelHard()
	drain, cancelDrain := context.WithTimeout(context.Background(), timeout*3/4)
	defer cancelDrain()
	var mu sync.Mutex
	var errs []error
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := hs.Shutdown(drain); err != nil {
			fail(fmt.Errorf("drain requests: %w", err))
		}
	})
	queueDrained := queue.Stop(drain) == nil
	wg.Wait()
	wg.Go(func() {
		if !queueDrained {
			if err := queue.StopAndCancel(hard); err != nil {
				fail(fmt.Errorf("drain jobs: %w", err))
			} else {
				fail(errors.New("drain jobs: jobs still running were canceled; their payloads run again on the next start"))
			}
		}
	})
	wg.Go(func() {
		if err := engine.Shutdown(drain, hard); err != nil {
			fail(err)
		}
	})
	wg.Wait()
	return errors.Join(errs...)
}

// endpointRate is the web layer's default rate limit of API Endpoint
// flows: the setting's 0 (no limit) is less than 0 there.
func endpointRate(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// serveAtOnce serves ln from now on: while the database is opened and
// migrated, /healthz answers and /readyz says why it is not ready yet
// (web.Starting), until Hookflow's handler is set.
func serveAtOnce(ln net.Listener, cfg config, log *slog.Logger) (*http.Server, *swapHandler, <-chan error) {
	handler := &swapHandler{}
	handler.set(web.Starting())
	hs := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      max(60*time.Second, cfg.EndpointTimeout+10*time.Second), // an invoke URL's caller waits that long
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()
	return hs, handler, serveErr
}

// swapHandler serves with the handler set last: web.Starting while the
// database is opened, then Hookflow's.
type swapHandler struct{ h atomic.Pointer[http.Handler] }

func (s *swapHandler) set(h http.Handler) { s.h.Store(&h) }

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*s.h.Load()).ServeHTTP(w, r)
}
