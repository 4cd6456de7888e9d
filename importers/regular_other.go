//go:build !unix

package importers

// openNoFollow is not available here: OpenRegular compares the file opened
// with the one Lstat saw instead.
const openNoFollow = 0
