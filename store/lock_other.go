//go:build !unix

package store

import (
	"errors"
	"fmt"
	"os"
)

// lockFile is the file in the data directory that a serving Hookflow
// locks where the system allows it.
const lockFile = "hookflow.lock"

// ErrDataDirInUse is why a data directory cannot be restored into.
var ErrDataDirInUse = errors.New("the data directory is in use")

// LockDataDir creates dataDir; this system has no advisory locks, so a
// restore cannot tell that a server uses it.
func LockDataDir(dataDir string) (unlock func(), err error) { return lockDataDir(dataDir, false) }

func lockDataDir(dataDir string, _ bool) (func(), error) {
	if err := os.MkdirAll(dataDir, dataDirMode); err != nil {
		return nil, fmt.Errorf("store: create data dir: %w", err)
	}
	return func() {}, nil
}
