package store_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/hookflow/hookflow/store"
)

// TestBackupRestore backs up a data directory whose store is open (as a
// serving Hookflow's is), restores it into a new directory and finds the
// data and the key there; the refusals each name their reason.
func TestBackupRestore(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	st, err := store.Open(ctx, store.Config{DataDir: src})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.CreateUser(ctx, "ops@example.com", "a long enough password"); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(src, "encryption.key"), []byte("a key\n"), 0o600)

	var archive bytes.Buffer
	m, err := store.Backup(ctx, src, t.TempDir(), []string{"encryption.key", "session.key"}, "test", &archive)
	if err != nil {
		t.Fatal(err)
	}
	if m.Schema != store.LatestSchemaVersion() || len(m.Files) != 3 {
		t.Fatalf("manifest = %+v; want schema %d and 3 files (no session.key: there is none)", m, store.LatestSchemaVersion())
	}

	dst := filepath.Join(t.TempDir(), "restored")
	if _, err := store.Restore(bytes.NewReader(archive.Bytes()), dst, false); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "encryption.key")); err != nil || string(b) != "a key\n" {
		t.Fatalf("restored key = %q, %v", b, err)
	}
	for _, f := range []string{"hookflow.db", "history.db", "encryption.key"} {
		if fi, err := os.Stat(filepath.Join(dst, f)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("restored %s: %v %v, want mode 0600", f, fi, err)
		}
	}
	got, err := store.Open(ctx, store.Config{DataDir: dst})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := got.Authenticate(ctx, "ops@example.com", "a long enough password"); err != nil {
		t.Fatalf("restored database lacks the admin: %v", err)
	}
	got.Close()

	t.Run("not empty", func(t *testing.T) {
		if _, err := store.Restore(bytes.NewReader(archive.Bytes()), dst, false); !errors.Is(err, store.ErrDataDirNotEmpty) {
			t.Fatalf("restore into a used directory: %v", err)
		}
		if _, err := store.Restore(bytes.NewReader(archive.Bytes()), dst, true); err != nil {
			t.Fatalf("restore with replace: %v", err)
		}
	})
	t.Run("in use", func(t *testing.T) {
		dir := t.TempDir()
		unlock, err := store.LockDataDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
		if _, err := store.Restore(bytes.NewReader(archive.Bytes()), dir, true); !errors.Is(err, store.ErrDataDirInUse) {
			t.Fatalf("restore into a served directory: %v", err)
		}
	})
	t.Run("damaged", func(t *testing.T) {
		b := bytes.Clone(archive.Bytes())
		b[len(b)/2] ^= 0xff
		if _, err := store.Restore(bytes.NewReader(b), t.TempDir(), false); !errors.Is(err, store.ErrNotBackup) {
			t.Fatalf("restore a damaged archive: %v", err)
		}
		if _, err := store.Restore(bytes.NewReader([]byte("not a backup")), t.TempDir(), false); !errors.Is(err, store.ErrNotBackup) {
			t.Fatalf("restore a file that is no backup: %v", err)
		}
	})
	t.Run("newer schema", func(t *testing.T) {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		tw := tar.NewWriter(zw)
		mb, _ := json.Marshal(store.BackupManifest{Format: 1, Schema: store.LatestSchemaVersion() + 1})
		tw.WriteHeader(&tar.Header{Name: "manifest.json", Mode: 0o600, Size: int64(len(mb))})
		tw.Write(mb)
		tw.Close()
		zw.Close()
		var sn *store.SchemaNewerError
		if _, err := store.Restore(&b, t.TempDir(), false); !errors.As(err, &sn) {
			t.Fatalf("restore of a newer schema's backup: %v", err)
		}
	})
	t.Run("no database", func(t *testing.T) {
		if _, err := store.Backup(ctx, t.TempDir(), t.TempDir(), nil, "test", &bytes.Buffer{}); !errors.Is(err, store.ErrNoDatabase) {
			t.Fatalf("backup of an empty directory: %v", err)
		}
	})
}
