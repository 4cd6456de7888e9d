//go:build unix

package importers

import "syscall"

// openNoFollow makes open fail on a symbolic link, and not wait for a
// writer on a pipe swapped in after the Lstat.
const openNoFollow = syscall.O_NOFOLLOW | syscall.O_NONBLOCK
