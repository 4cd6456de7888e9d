//go:build windows

package store

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// lockedRegion is the byte range locked: far beyond the holder's name
// written at the start of the file, because Windows locks are mandatory and
// the standby reads that name.
var lockedRegion = windows.Overlapped{OffsetHigh: 1}

// lockFile opens (creating) path and takes an exclusive lock on it without
// waiting. ok is false when another open file holds it.
func lockFile(path string) (f *os.File, ok bool, err error) {
	f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, false, err
	}
	ol := lockedRegion
	err = windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		f.Close()
		return nil, false, nil
	}
	if err != nil {
		f.Close()
		return nil, false, err
	}
	return f, true, nil
}

// unlockFile drops the lock and closes the file.
func unlockFile(f *os.File) error {
	ol := lockedRegion
	err := windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, &ol)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
