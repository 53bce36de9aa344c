package store

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// Modes of the data directory and the files in it: the database, the
// history, their write-ahead logs and the generated keys are Hookflow's
// alone, whatever the umask.
const (
	dataDirMode  fs.FileMode = 0o700
	dataFileMode fs.FileMode = 0o600
)

// SecureDataDir narrows an existing data directory to mode 0700 and the
// files in it to 0600, logging a warning for what others could read or
// write before. A directory that does not exist yet is left to be
// created, mode 0700, by what first writes into it.
func SecureDataDir(dir string, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: data dir: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("store: data dir %s is not a directory", dir)
	}
	if fi.Mode().Perm()&^dataDirMode != 0 {
		if err := os.Chmod(dir, dataDirMode); err != nil {
			return fmt.Errorf("store: narrow the data dir's permissions: %w", err)
		}
		log.Warn("the data directory was open to other users; now only Hookflow's may use it",
			"dir", dir, "was", fi.Mode().Perm().String(), "now", dataDirMode.String())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("store: data dir: %w", err)
	}
	var fixed []string
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		ok, err := privateFile(filepath.Join(dir, e.Name()), false)
		if err != nil {
			return err
		}
		if !ok {
			fixed = append(fixed, e.Name())
		}
	}
	if len(fixed) > 0 {
		log.Warn("data files were readable by other users; now only Hookflow's may read them",
			"dir", dir, "files", fixed, "now", dataFileMode.String())
	}
	return nil
}

// privateFile makes the file at path mode 0600, creating it empty first
// when create is set and it does not exist (SQLite then uses it, and
// gives its write-ahead log the same mode). It reports whether the file
// was private already.
func privateFile(path string, create bool) (bool, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if !create {
			return true, nil
		}
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, dataFileMode)
		if errors.Is(err, fs.ErrExist) {
			return privateFile(path, false)
		}
		if err != nil {
			return false, fmt.Errorf("store: create %s: %w", path, err)
		}
		return true, f.Close()
	}
	if err != nil {
		return false, fmt.Errorf("store: %w", err)
	}
	if fi.Mode().Perm()&^dataFileMode == 0 {
		return true, nil
	}
	if err := os.Chmod(path, dataFileMode); err != nil {
		return false, fmt.Errorf("store: narrow the permissions of %s: %w", path, err)
	}
	return false, nil
}
