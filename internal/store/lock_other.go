//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows)

package store

import (
	"fmt"
	"os"
	"runtime"
)

// lockFile: this system has no file lock prevent knows how to take, so the
// scheduler refuses to start on SQLite rather than risk two active at once.
func lockFile(path string) (*os.File, bool, error) {
	return nil, false, fmt.Errorf("file locks are not supported on %s: use PostgreSQL for prevent serve", runtime.GOOS)
}

func unlockFile(f *os.File) error { return f.Close() }
