//go:build unix

package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockFile is the file in the data directory that a serving Hookflow
// holds a shared lock on, and Restore an exclusive one.
const lockFile = "hookflow.lock"

// ErrDataDirInUse is why a data directory cannot be restored into, or
// served while it is restored.
var ErrDataDirInUse = errors.New("the data directory is in use")

// LockDataDir marks dataDir as served (creating it, mode 0700) until the
// returned function is called: Restore refuses it meanwhile. Several
// holders may share it; a restore going on is ErrDataDirInUse.
func LockDataDir(dataDir string) (unlock func(), err error) { return lockDataDir(dataDir, false) }

func lockDataDir(dataDir string, exclusive bool) (func(), error) {
	if err := os.MkdirAll(dataDir, dataDirMode); err != nil {
		return nil, fmt.Errorf("store: create data dir: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dataDir, lockFile), os.O_RDWR|os.O_CREATE, dataFileMode)
	if err != nil {
		return nil, fmt.Errorf("store: lock the data dir: %w", err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			if exclusive {
				return nil, fmt.Errorf("%w by a running hookflow: %s", ErrDataDirInUse, dataDir)
			}
			return nil, fmt.Errorf("%w by a restore: %s", ErrDataDirInUse, dataDir)
		}
		return nil, fmt.Errorf("store: lock the data dir: %w", err)
	}
	return func() { f.Close() }, nil
}
