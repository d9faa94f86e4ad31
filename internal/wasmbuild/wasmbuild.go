// Package wasmbuild compiles the repository's proxy-wasm modules for its
// tests and tools, as `make build` links the gateway: standard Go for
// wasip1, c-shared, trimmed paths, symbol names stripped (but not the
// wasm-opt pass `make build` runs after: `make test` points GCA_WASM at
// that optimized module).
package wasmbuild

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// Options change a build.
type Options struct {
	Tags  string // build tags, comma-separated
	Names bool   // keep the symbol names (no -ldflags=-s -w), for profiles
}

// Root is the repository's root directory.
func Root() (string, error) {
	if _, here, _, ok := runtime.Caller(0); ok && filepath.IsAbs(here) {
		return filepath.Join(filepath.Dir(here), "..", ".."), nil
	}
	out, err := exec.Command("go", "env", "GOMOD").Output() // built with -trimpath
	if err != nil {
		return "", err
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
}

// Build compiles pkg, a package path relative to the repository's root
// ("." for the gateway), into the module out.
func Build(pkg, out string, o Options) error {
	root, err := Root()
	if err != nil {
		return err
	}
	args := []string{"build", "-buildmode=c-shared", "-trimpath", "-o", out}
	if !o.Names {
		args = append(args, "-ldflags=-s -w")
	}
	if o.Tags != "" {
		args = append(args, "-tags", o.Tags)
	}
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building %s: %v\n%s", pkg, err, b)
	}
	return nil
}

// ModulePath returns the gateway's module for a test: GCA_WASM when set
// (`make test` points it at the dist/gemini-code-api.wasm it has just
// built), otherwise a build of the current tree, made once per test binary
// and kept in the system's temporary directory, so that a stale dist/ can
// never pass for new code.
func ModulePath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("GCA_WASM"); p != "" {
		return p
	}
	b := once(key{pkg: ".", keep: true}, func() ([]byte, string, error) {
		dir, err := os.MkdirTemp("", "gca-wasm-")
		if err != nil {
			return nil, "", err
		}
		path := filepath.Join(dir, "gemini-code-api.wasm")
		return nil, path, Build(".", path, Options{})
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// Module returns the bytes of the gateway's module for a test: GCA_WASM
// when set, otherwise a build of the current tree (Cached).
func Module(t testing.TB) []byte {
	t.Helper()
	p := os.Getenv("GCA_WASM")
	if p == "" {
		return Cached(t, ".", Options{})
	}
	b := once(key{path: p}, func() ([]byte, string, error) {
		data, err := os.ReadFile(p)
		return data, p, err
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.data
}

// Cached builds pkg with o once per test binary and returns the module.
func Cached(t testing.TB, pkg string, o Options) []byte {
	t.Helper()
	b := once(key{pkg: pkg, o: o}, func() ([]byte, string, error) {
		dir, err := os.MkdirTemp("", "gca-wasm-")
		if err != nil {
			return nil, "", err
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "module.wasm")
		if err := Build(pkg, path, o); err != nil {
			return nil, "", err
		}
		data, err := os.ReadFile(path)
		return data, "", err
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.data
}

type key struct {
	pkg, path string
	o         Options
	keep      bool
}

type built struct {
	once sync.Once
	data []byte
	path string
	err  error
}

var (
	mu     sync.Mutex
	builds = map[key]*built{}
)

func once(k key, make func() ([]byte, string, error)) *built {
	mu.Lock()
	b, ok := builds[k]
	if !ok {
		b = &built{}
		builds[k] = b
	}
	mu.Unlock()
	b.once.Do(func() { b.data, b.path, b.err = make() })
	return b
}
