package importers

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits bound what reading one extract may cost, so that a hostile or
// broken file (a zip bomb, a line with no end, millions of columns) is
// refused quickly with a clear reason instead of exhausting the machine.
type Limits struct {
	// MaxFileBytes is the largest file accepted (0: DefaultLimits).
	MaxFileBytes int64
	// MaxUnzippedBytes bounds the total decompressed size of a workbook.
	MaxUnzippedBytes int64
	// MaxZipRatio bounds each large part's decompressed/compressed ratio.
	MaxZipRatio int64
	// ZipRatioFloor is the decompressed size from which a part's ratio is
	// judged (0: 16 MB): small parts of repeated XML compress very well.
	ZipRatioFloor int64
	// Noun names the file in CheckZip's messages ("" : extract).
	Noun string
	// MaxLineBytes bounds one physical line of a CSV.
	MaxLineBytes int
	// MaxColumns bounds the cells of one row (Excel's own limit is 16,384).
	MaxColumns int
}

// DefaultLimits are generous for real extracts: a 30,000-person ESR
// workbook is a few MB, a million-row LMS CSV under 100 MB.
var DefaultLimits = Limits{
	MaxFileBytes:     2 << 30,
	MaxUnzippedBytes: 4 << 30,
	MaxZipRatio:      250,
	MaxLineBytes:     1 << 20,
	MaxColumns:       16384,
	ZipRatioFloor:    16 << 20,
	Noun:             "extract",
}

// orDefault fills zero fields from DefaultLimits.
func (l Limits) orDefault() Limits {
	d := DefaultLimits
	if l.MaxFileBytes > 0 {
		d.MaxFileBytes = l.MaxFileBytes
	}
	if l.MaxUnzippedBytes > 0 {
		d.MaxUnzippedBytes = l.MaxUnzippedBytes
	}
	if l.MaxZipRatio > 0 {
		d.MaxZipRatio = l.MaxZipRatio
	}
	if l.MaxLineBytes > 0 {
		d.MaxLineBytes = l.MaxLineBytes
	}
	if l.MaxColumns > 0 {
		d.MaxColumns = l.MaxColumns
	}
	if l.ZipRatioFloor > 0 {
		d.ZipRatioFloor = l.ZipRatioFloor
	}
	if l.Noun != "" {
		d.Noun = l.Noun
	}
	return d
}

// maxSharedStrings bounds the one part read whole into memory: a
// 30,000-person extract's strings take a few MB.
const maxSharedStrings = 256 << 20

// CheckZip reads a workbook's directory (declared sizes, which the zip
// reader holds each part to) and refuses a zip bomb before anything is
// decompressed. Zero limits take DefaultLimits; collate passes limits
// sized for a quarterly return. The error is a *FileError naming name.
func CheckZip(name string, r io.ReaderAt, size int64, lim Limits) error {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil // not for this check to say: the workbook reader will
	}
	return checkZip(name, zr, lim.orDefault())
}

// checkZip is CheckZip on a directory already read, which the workbook
// reader then uses.
func checkZip(name string, zr *zip.Reader, lim Limits) error {
	if len(zr.File) > 10000 {
		return fileError(name, fmt.Sprintf("is not a normal Excel workbook: it holds %d parts", len(zr.File)), nil)
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if total > uint64(lim.MaxUnzippedBytes) {
			return fileError(name, fmt.Sprintf("would unpack to more than %s (a zip bomb, or far larger than any %s); refused", humanBytes(lim.MaxUnzippedBytes), lim.Noun), nil)
		}
		if strings.HasSuffix(f.Name, "sharedStrings.xml") && f.UncompressedSize64 > maxSharedStrings {
			return fileError(name, fmt.Sprintf("has a shared-strings table of %s, held in memory whole; far larger than any %s, refused", humanBytes(int64(f.UncompressedSize64)), lim.Noun), nil)
		}
		if f.UncompressedSize64 > uint64(lim.ZipRatioFloor) && f.CompressedSize64 > 0 &&
			f.UncompressedSize64/f.CompressedSize64 > uint64(lim.MaxZipRatio) {
			return fileError(name, fmt.Sprintf("has a part (%s) that unpacks %d times its size (a zip bomb); refused", f.Name, f.UncompressedSize64/f.CompressedSize64), nil)
		}
	}
	return nil
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// errLineTooLong is returned by lineLimiter past the line limit.
var errLineTooLong = errors.New("line too long")

// lineLimiter fails a read once a physical line grows past max bytes, so a
// file without line ends (or one enormous cell) cannot fill memory.
type lineLimiter struct {
	r   io.Reader
	max int
	run int // bytes since the last line end
}

func (l *lineLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for _, c := range p[:n] {
		if c == '\n' {
			l.run = 0
			continue
		}
		l.run++
		if l.run > l.max {
			return 0, errLineTooLong
		}
	}
	return n, err
}
