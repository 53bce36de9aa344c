package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/hookflow/hookflow/store"
)

// keyFiles are the secrets Hookflow generates into the data dir when none
// is configured; a backup holds them, or its connections could not be read.
var keyFiles = []string{"encryption.key", "session.key"}

// errPostgresBackup is what backup and restore say on Postgres.
var errPostgresBackup = errors.New("the database is on Postgres: back it up with pg_dump " +
	`(e.g. pg_dump --format=custom "$HOOKFLOW_DATABASE_URL" > hookflow.dump) and restore it with pg_restore; ` +
	"keep HOOKFLOW_ENCRYPTION_KEY with it")

// setupBackup is the backup command: a tar.gz of a consistent copy of
// both SQLite files and the generated keys, written next to FILE first
// and renamed into place once complete.
func setupBackup(*flag.FlagSet) func(context.Context, env, config, []string) error {
	return func(ctx context.Context, e env, cfg config, args []string) error {
		if cfg.DatabaseURL != "" {
			return errPostgresBackup
		}
		file := args[0]
		dir := filepath.Dir(file)
		tmp, err := os.CreateTemp(dir, ".hookflow-backup-*.tar.gz")
		if err != nil {
			return fmt.Errorf("backup: cannot write into %s: %w", dir, err)
		}
		defer os.Remove(tmp.Name())
		m, err := store.Backup(ctx, cfg.DataDir, dir, keyFiles, binaryVersion(), tmp)
		if err != nil {
			tmp.Close()
			return err
		}
		if err := tmp.Close(); err != nil {
			return fmt.Errorf("backup: write %s: %w", file, err)
		}
		if err := os.Rename(tmp.Name(), file); err != nil {
			return fmt.Errorf("backup: write %s: %w", file, err)
		}
		var size int64
		names := make([]string, len(m.Files))
		keys := false
		for i, f := range m.Files {
			size += f.Size
			names[i] = f.Name
			keys = keys || slices.Contains(keyFiles, f.Name)
		}
		fmt.Fprintf(e.stdout, "Backed up %s (schema step %d: %s; %d bytes) to %s.\n", cfg.DataDir, m.Schema, strings.Join(names, ", "), size, file)
		if keys {
			fmt.Fprintln(e.stdout, "It holds the generated keys: keep it as safe as the data directory.")
		}
		if !slices.Contains(names, "encryption.key") {
			fmt.Fprintln(e.stdout, "It does not hold HOOKFLOW_ENCRYPTION_KEY: keep that with it, or its connections cannot be read.")
		}
		return nil
	}
}

// setupRestore is the restore command.
func setupRestore(flags *flag.FlagSet) func(context.Context, env, config, []string) error {
	force := flags.Bool("force", false, "replace the database and keys of a data directory that holds files (never one a server is using)")
	return func(ctx context.Context, e env, cfg config, args []string) error {
		if cfg.DatabaseURL != "" {
			return errPostgresBackup
		}
		f, err := os.Open(args[0])
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("there is no file %s", args[0])
		} else if err != nil {
			return fmt.Errorf("cannot read %s", args[0])
		}
		defer f.Close()
		m, err := store.Restore(f, cfg.DataDir, *force)
		switch {
		case errors.Is(err, store.ErrDataDirNotEmpty):
			return fmt.Errorf("the data directory %s is not empty: restore into a new or empty directory, or add --force to replace its database and keys", cfg.DataDir)
		case errors.Is(err, store.ErrDataDirInUse):
			return fmt.Errorf("the data directory %s is in use by a running hookflow: stop it first", cfg.DataDir)
		case errors.Is(err, store.ErrNotBackup):
			return fmt.Errorf("%s: %w", args[0], err)
		case err != nil:
			return err
		}
		fmt.Fprintf(e.stdout, "Restored the backup of %s (schema step %d, by hookflow %s) into %s.\n",
			m.CreatedAt.Format("2006-01-02 15:04:05 UTC"), m.Schema, m.Hookflow, cfg.DataDir)
		return nil
	}
}

// setupVersion is the version command.
func setupVersion(*flag.FlagSet) func(context.Context, env, config, []string) error {
	return func(_ context.Context, e env, _ config, _ []string) error {
		fmt.Fprintln(e.stdout, "hookflow "+versionLine())
		return nil
	}
}

// binaryVersion is the module version this binary was built as.
func binaryVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// versionLine is the version with the source revision it was built
// from, when the build recorded it, and the Go release.
func versionLine() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	line := binaryVersion()
	var rev, when, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", modified"
			}
		}
	}
	if rev != "" {
		line += fmt.Sprintf(" (revision %s", rev)
		if when != "" {
			line += ", " + when
		}
		line += modified + ")"
	}
	return line + " " + bi.GoVersion
}
