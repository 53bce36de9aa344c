package store

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/mattn/go-sqlite3"
)

// A backup of a SQLite data directory is one gzipped tar archive:
// manifest.json first, then copies of the main file and of the history
// taken at one moment (a server may be serving meanwhile), then
// the other files asked for (the generated keys). Restore checks every
// file against the manifest before it puts any in place.

// backupFormat is the manifest's format; Restore reads only this one.
const backupFormat = 1

// manifestName is the archive's first entry.
const manifestName = "manifest.json"

// mainFile is the SQLite file of everything but the history.
const mainFile = "hookflow.db"

// BackupManifest describes a backup archive.
type BackupManifest struct {
	Format    int       `json:"format"`
	CreatedAt time.Time `json:"createdAt"`
	// Hookflow is the version of the binary that took the backup; Schema
	// the newest migration step applied to the database it copied.
	Hookflow string       `json:"hookflow"`
	Schema   int          `json:"schema"`
	Files    []BackupFile `json:"files"`
}

// BackupFile is one file of a backup, with its size and SHA-256.
type BackupFile struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// ErrNoDatabase is why there is nothing to back up in a data directory.
var ErrNoDatabase = errors.New("there is no Hookflow database in the data directory")

// Backup writes a backup of the SQLite database in dataDir to w, with the
// files of dataDir named in extra that exist (keys). It needs no server
// stopped: both files are copied in one read transaction beside the
// server's writers (snapshotFiles). The copies are made in workDir (a directory of their
// own in it, removed at the end); version is the binary's.
func Backup(ctx context.Context, dataDir, workDir string, extra []string, version string, w io.Writer) (BackupManifest, error) {
	if _, err := os.Stat(filepath.Join(dataDir, mainFile)); errors.Is(err, fs.ErrNotExist) {
		return BackupManifest{}, fmt.Errorf("%w %s", ErrNoDatabase, dataDir)
	}
	tmp, err := os.MkdirTemp(workDir, ".hookflow-backup-")
	if err != nil {
		return BackupManifest{}, fmt.Errorf("store: backup: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := snapshotFiles(ctx, dataDir, tmp); err != nil {
		return BackupManifest{}, err
	}
	for _, name := range extra {
		if err := copyFile(filepath.Join(dataDir, name), filepath.Join(tmp, name)); errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return BackupManifest{}, err
		}
	}
	m := BackupManifest{Format: backupFormat, CreatedAt: time.Now().UTC().Truncate(time.Second), Hookflow: version}
	if m.Schema, err = snapshotSchema(ctx, filepath.Join(tmp, mainFile)); err != nil {
		return BackupManifest{}, err
	}
	for _, name := range append([]string{mainFile, historyFile}, extra...) {
		f, err := hashFile(filepath.Join(tmp, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return BackupManifest{}, err
		}
		f.Name = name
		m.Files = append(m.Files, f)
	}
	if err := writeArchive(w, tmp, m); err != nil {
		return BackupManifest{}, fmt.Errorf("store: write the backup: %w", err)
	}
	return m, nil
}

// backupBetween, when set, runs between the moments the two files are
// copied at (tests place writes there).
var backupBetween func()

// snapshotFiles copies the main file and the history of dataDir into dir
// as they were at one moment: a delivery finishes in two steps, one in
// each file (see pipeline), and copies of the two taken at different
// moments could hold its run and still hold it queued (the recorder
// forgets that it finished once the main file says so), or neither. The
// copies are read in one read transaction that begins on both files while
// the history's writer is held off (the main file changes meanwhile only
// in ways the next start settles: finishRecorded), then copied out of it
// page by page; the server's writers go on meanwhile.
func snapshotFiles(ctx context.Context, dataDir, dir string) error {
	mainPath, histPath := filepath.Join(dataDir, mainFile), filepath.Join(dataDir, historyFile)
	files := map[string]string{"main": mainFile}
	att := attachment{}
	if _, err := os.Stat(histPath); err == nil {
		att = attachment{name: "history", path: histPath, readOnly: true}
		files["history"] = historyFile
	}
	src := openLite(mainPath, 1, att, nil, "_query_only", "1")
	defer src.Close()
	conn, err := src.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: backup %s: %w", mainPath, err)
	}
	defer conn.Close()
	if err := beginBoth(ctx, conn, att.path); err != nil {
		return fmt.Errorf("store: backup %s: %w", dataDir, err)
	}
	defer conn.ExecContext(context.Background(), "ROLLBACK")
	for _, schema := range []string{"main", "history"} {
		name, ok := files[schema]
		if !ok {
			continue
		}
		if err := copyOut(ctx, conn, schema, filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("store: backup %s: %w", filepath.Join(dataDir, name), err)
		}
	}
	return nil
}

// beginBoth begins a read transaction on conn that reads both the main
// file and the history at hist (unless it is empty) as they are now,
// holding the history's write lock while it begins on the two.
func beginBoth(ctx context.Context, conn *sql.Conn, hist string) error {
	if hist != "" {
		lock := openLite(hist, 1, attachment{}, nil, "_txlock", "immediate")
		defer lock.Close()
		held, err := lock.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("hold the history's writer: %w", err)
		}
		defer held.Rollback()
	}
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return err
	}
	var n int
	if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM main.sqlite_master").Scan(&n); err != nil {
		return err
	}
	if backupBetween != nil {
		backupBetween()
	}
	if hist != "" {
		if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM history.sqlite_master").Scan(&n); err != nil {
			return err
		}
	}
	return nil
}

// copyOut copies the database schema of src, in the read transaction src
// holds, to a new file at dst (SQLite's online backup), and checks the
// copy.
func copyOut(ctx context.Context, src *sql.Conn, schema, dst string) error {
	out, err := sql.Open("sqlite3", "file:"+dst)
	if err != nil {
		return err
	}
	defer out.Close()
	dc, err := out.Conn(ctx)
	if err != nil {
		return err
	}
	err = src.Raw(func(s any) error {
		return dc.Raw(func(d any) error {
			b, err := d.(*sqlite3.SQLiteConn).Backup("main", s.(*sqlite3.SQLiteConn), schema)
			if err != nil {
				return err
			}
			if _, err := b.Step(-1); err != nil {
				b.Finish()
				return err
			}
			return b.Finish()
		})
	})
	if err == nil {
		// The copy stands alone, without a write-ahead log.
		_, err = dc.ExecContext(ctx, "PRAGMA journal_mode = DELETE")
	}
	if cerr := dc.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Chmod(dst, dataFileMode); err != nil {
		return err
	}
	cp, err := sql.Open("sqlite3", "file:"+dst+"?mode=ro")
	if err != nil {
		return fmt.Errorf("check the copy: %w", err)
	}
	defer cp.Close()
	var ok string
	if err := cp.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&ok); err != nil || ok != "ok" {
		return fmt.Errorf("the copy is damaged (%s): %w", ok, err)
	}
	return nil
}

// snapshotSchema reads the newest applied migration step of a copy.
func snapshotSchema(ctx context.Context, path string) (int, error) {
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v); err != nil {
		return 0, fmt.Errorf("store: backup: schema version: %w", err)
	}
	return v, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, dataFileMode)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("store: backup %s: %w", src, err)
	}
	return out.Close()
}

func hashFile(path string) (BackupFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return BackupFile{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return BackupFile{}, fmt.Errorf("store: backup: %w", err)
	}
	return BackupFile{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// writeArchive writes the manifest and then its files from dir.
func writeArchive(w io.Writer, dir string, m BackupManifest) error {
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: manifestName, Mode: int64(dataFileMode), Size: int64(len(mb)), ModTime: m.CreatedAt}); err != nil {
		return err
	}
	if _, err := tw.Write(mb); err != nil {
		return err
	}
	for _, f := range m.Files {
		if err := tw.WriteHeader(&tar.Header{Name: f.Name, Mode: int64(dataFileMode), Size: f.Size, ModTime: m.CreatedAt}); err != nil {
			return err
		}
		in, err := os.Open(filepath.Join(dir, f.Name))
		if err != nil {
			return err
		}
		_, err = io.Copy(tw, in)
		in.Close()
		if err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

// ErrDataDirNotEmpty is why Restore refuses a directory that holds files
// unless it is told to replace them.
var ErrDataDirNotEmpty = errors.New("the data directory is not empty")

// ErrNotBackup is why Restore refuses a file: it is not a Hookflow backup.
var ErrNotBackup = errors.New("not a Hookflow backup")

// Restore puts the database and keys of a backup archive into dataDir,
// which no server may be using (ErrDataDirInUse). A directory holding
// files is refused (ErrDataDirNotEmpty) unless replace is set; then the
// files of the backup replace theirs, and the old write-ahead logs go. No
// file is put in place before every file was read and checked.
func Restore(r io.Reader, dataDir string, replace bool) (BackupManifest, error) {
	unlock, err := lockDataDir(dataDir, true)
	if err != nil {
		return BackupManifest{}, err
	}
	defer unlock()
	entries, err := os.ReadDir(dataDir)
	if err != nil {
		return BackupManifest{}, fmt.Errorf("store: restore: %w", err)
	}
	if !replace && slices.ContainsFunc(entries, func(e fs.DirEntry) bool { return e.Name() != lockFile }) {
		return BackupManifest{}, fmt.Errorf("%w: %s", ErrDataDirNotEmpty, dataDir)
	}
	tmp, err := os.MkdirTemp(dataDir, ".restore-")
	if err != nil {
		return BackupManifest{}, fmt.Errorf("store: restore: %w", err)
	}
	defer os.RemoveAll(tmp)
	m, err := readArchive(r, tmp)
	if err != nil {
		return BackupManifest{}, err
	}
	for _, name := range []string{mainFile, historyFile} {
		for _, log := range []string{"-wal", "-shm", "-journal"} {
			if err := os.Remove(filepath.Join(dataDir, name+log)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return BackupManifest{}, fmt.Errorf("store: restore: %w", err)
			}
		}
	}
	for _, f := range m.Files {
		if err := os.Rename(filepath.Join(tmp, f.Name), filepath.Join(dataDir, f.Name)); err != nil {
			return BackupManifest{}, fmt.Errorf("store: restore: %w", err)
		}
	}
	return m, nil
}

// readArchive reads a backup into dir, checking each file against the
// manifest, and returns the manifest.
func readArchive(r io.Reader, dir string) (BackupManifest, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return BackupManifest{}, fmt.Errorf("%w: it is not a gzipped archive", ErrNotBackup)
	}
	tr := tar.NewReader(zr)
	h, err := tr.Next()
	if err != nil || h.Name != manifestName {
		return BackupManifest{}, fmt.Errorf("%w: it does not begin with %s", ErrNotBackup, manifestName)
	}
	var m BackupManifest
	if err := json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&m); err != nil {
		return BackupManifest{}, fmt.Errorf("%w: its %s is not readable", ErrNotBackup, manifestName)
	}
	if m.Format != backupFormat {
		return BackupManifest{}, fmt.Errorf("%w: its format %d is not one this hookflow reads (%d)", ErrNotBackup, m.Format, backupFormat)
	}
	if m.Schema > LatestSchemaVersion() {
		return BackupManifest{}, &SchemaNewerError{Database: m.Schema, Binary: LatestSchemaVersion()}
	}
	want := map[string]BackupFile{}
	for _, f := range m.Files {
		if f.Name != filepath.Base(f.Name) || f.Name == "." || f.Name == ".." || f.Name == lockFile {
			return BackupManifest{}, fmt.Errorf("%w: it names a file %q", ErrNotBackup, f.Name)
		}
		want[f.Name] = f
	}
	if _, ok := want[mainFile]; !ok {
		return BackupManifest{}, fmt.Errorf("%w: it holds no %s", ErrNotBackup, mainFile)
	}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return BackupManifest{}, fmt.Errorf("%w: the archive is damaged", ErrNotBackup)
		}
		f, ok := want[h.Name]
		if !ok {
			return BackupManifest{}, fmt.Errorf("%w: %s is not in its manifest", ErrNotBackup, h.Name)
		}
		delete(want, h.Name)
		if err := extract(tr, filepath.Join(dir, f.Name), f); err != nil {
			return BackupManifest{}, err
		}
	}
	for name := range want {
		return BackupManifest{}, fmt.Errorf("%w: %s is missing from it", ErrNotBackup, name)
	}
	return m, nil
}

// extract writes one file of the archive, mode 0600, and checks its size
// and hash.
func extract(r io.Reader, path string, f BackupFile) error {
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, dataFileMode)
	if err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	h := sha256.New()
	in := &readErr{r: io.LimitReader(r, f.Size+1)}
	n, err := io.Copy(io.MultiWriter(out, h), in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if in.err != nil {
		return fmt.Errorf("%w: the archive is damaged at %s", ErrNotBackup, f.Name)
	}
	if err != nil {
		return fmt.Errorf("store: restore %s: %w", f.Name, err)
	}
	if n != f.Size || hex.EncodeToString(h.Sum(nil)) != f.SHA256 {
		return fmt.Errorf("%w: %s is damaged (its size or checksum differs from the manifest)", ErrNotBackup, f.Name)
	}
	return nil
}

// readErr keeps the error of its reader, to tell a damaged archive from a
// disk that refuses the file.
type readErr struct {
	r   io.Reader
	err error
}

func (r *readErr) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		r.err = err
	}
	return n, err
}
