package importers

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// ErrNotRegular is wrapped by the error for a file refused because it is a
// symbolic link, a device, a pipe or a folder.
var ErrNotRegular = errors.New("not a regular file")

// OpenRegular opens a file for reading only when it is a regular file: it
// does not follow a symbolic link in the last part of the path, does not
// block on a pipe, and refuses a device (/dev/zero never ends). Files in a
// drop folder are opened this way, because whoever can write there chooses
// what they are. The size returned is the file's size when opened.
func OpenRegular(path string) (*os.File, int64, error) {
	name := filepath.Base(path)
	before, err := os.Lstat(path)
	if err != nil {
		return nil, 0, openError(name, err)
	}
	if !before.Mode().IsRegular() {
		return nil, 0, notRegular(name, before.Mode())
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openNoFollow, 0)
	if errors.Is(err, syscall.ELOOP) {
		return nil, 0, notRegular(name, fs.ModeSymlink)
	}
	if err != nil {
		return nil, 0, openError(name, err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, 0, openError(name, err)
	}
	// Where O_NOFOLLOW is missing, the file opened must still be the one
	// Lstat saw: a link swapped in between is refused.
	if !st.Mode().IsRegular() || !os.SameFile(before, st) {
		_ = f.Close()
		return nil, 0, notRegular(name, st.Mode())
	}
	return f, st.Size(), nil
}

func notRegular(name string, mode fs.FileMode) *FileError {
	what := "not a regular file"
	switch {
	case mode&fs.ModeSymlink != 0:
		what = "a symbolic link"
	case mode.IsDir():
		what = "a folder"
	case mode&(fs.ModeNamedPipe|fs.ModeSocket) != 0:
		what = "a pipe or socket"
	case mode&fs.ModeDevice != 0:
		what = "a device"
	}
	return fileError(name, fmt.Sprintf("is %s, not a regular file; only regular files are read from a drop folder", what), ErrNotRegular)
}
