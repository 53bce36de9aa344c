// Package static holds Hookflow's browser assets — css, js and vendored htmx —
// embedded into the binary and served under cache-busted URLs.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"path"
	"strings"
)

//go:embed css js vendor
var files embed.FS

// FS is the embedded asset tree, rooted at this folder.
var FS fs.FS = files

// Prefix is the URL path under which assets are served.
const Prefix = "/static/"

var hashes = func() map[string]string {
	m := map[string]string{}
	fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		m[p] = hex.EncodeToString(sum[:])[:12]
		return nil
	})
	return m
}()

// URL returns the cache-busted URL of an asset, e.g. URL("css/app.css") is
// "/static/css/app.css?v=<content hash>". An unknown name panics: asset names
// are fixed at build time, so that is a programming error.
func URL(name string) string {
	h, ok := hashes[name]
	if !ok {
		panic("static: no asset " + name)
	}
	return Prefix + name + "?v=" + h
}

// Has reports whether name is an embedded asset (without the prefix).
func Has(name string) bool {
	_, ok := hashes[strings.TrimPrefix(path.Clean("/"+name), "/")]
	return ok
}
