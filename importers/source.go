package importers

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

const (
	// headerScanRows is how many non-blank rows are searched for the
	// header row.
	headerScanRows = 20
	// headerScanLimit bounds the rows (blank ones included) looked at
	// while searching, so a sheet of blank rows is not walked to the end.
	headerScanLimit = 1000
	// progressEvery is how often (in rows) Options.Progress is called.
	progressEvery = 4096
)

// source is a stream of rows: a CSV file read with one delimiter, or one
// worksheet of a workbook.
type source interface {
	// next returns the next row's cells (valid until the following call)
	// and its row number; io.EOF at the end.
	next() (cells []string, row int, err error)
	// progress estimates the bytes read so far and the total.
	progress() (done, total int64)
	close()
}

type textEncoding int

const (
	encUTF8 textEncoding = iota
	encUTF8BOM
	encUTF16LE // with a byte-order mark
	encUTF16BE
	encUTF16LENoBOM
	encUTF16BENoBOM
)

// input is an opened extract, its format decided by its content. It is
// read through one handle however many times its rows are scanned: each
// scan reads the content through its own section of the handle (ReadAt),
// so scans do not disturb one another, and none reads past the size the
// file had when opened.
type input struct {
	name string // base name, for messages
	size int64  // when opened: nothing past it is read
	mod  time.Time
	lim  Limits

	f *os.File

	prepared bool
	err      error // from prepare, given again to every later scan

	// CSV
	enc textEncoding

	// XLSX: read with the fast path (book) when it opens the workbook,
	// with excelize (xl, opened when first needed) otherwise.
	zr       *zip.Reader // the central directory, parsed once
	book     *fastBook
	xl       *excelize.File
	date1904 bool
}

func (in *input) isXLSX() bool { return in.book != nil || in.xl != nil }

func (in *input) close() {
	if in.f != nil {
		_ = in.f.Close()
	}
	if in.book != nil {
		_ = in.book.close()
	}
	if in.xl != nil {
		_ = in.xl.Close()
	}
}

func fileError(name, reason string, err error) *FileError {
	return &FileError{File: name, Reason: reason, Err: err}
}

// openInput opens a file and decides from its first bytes whether it is an
// XLSX workbook or a text (CSV) file.
func openInput(path string, lim Limits, regularOnly bool) (*input, error) {
	in, err := openPath(path, lim, regularOnly)
	if err != nil {
		return nil, err
	}
	if err := in.prepare(); err != nil {
		in.close()
		return nil, err
	}
	return in, nil
}

// openPath opens a file for reading and notes its size and modification
// time; nothing is read yet. With regularOnly (a drop folder) it is opened
// by OpenRegular.
func openPath(path string, lim Limits, regularOnly bool) (*input, error) {
	in := &input{name: filepath.Base(path), lim: lim.orDefault()}
	var f *os.File
	var err error
	if regularOnly {
		f, _, err = OpenRegular(path)
		if err != nil {
			return nil, err
		}
	} else if f, err = os.Open(path); err != nil {
		return nil, openError(in.name, err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, openError(in.name, err)
	}
	if st.IsDir() {
		_ = f.Close()
		return nil, fileError(in.name, "is a folder, not a file", nil)
	}
	if st.Mode()&fs.ModeNamedPipe == 0 && !st.Mode().IsRegular() {
		_ = f.Close()
		return nil, fileError(in.name, "is a device or socket, not a file", nil)
	}
	if !st.Mode().IsRegular() {
		// A pipe (prevent import staff <(unzip -p export.zip)) has no
		// size to read up to: its content is spooled to a file of its own
		// first, up to the size limit, and read from there.
		spooled, err := spool(f, in.name, in.lim.MaxFileBytes)
		_ = f.Close()
		if err != nil {
			return nil, err
		}
		f = spooled
		if st, err = f.Stat(); err != nil {
			_ = f.Close()
			return nil, openError(in.name, err)
		}
	}
	in.f, in.size, in.mod = f, st.Size(), st.ModTime()
	return in, nil
}

// spool copies a stream into a temporary file, already removed from its
// folder, and returns it open at its start; a stream longer than limit
// bytes is refused.
func spool(r io.Reader, name string, limit int64) (*os.File, error) {
	tmp, err := os.CreateTemp("", "prevent-input-*")
	if err != nil {
		return nil, fileError(name, "cannot be read: no room for a copy of it ("+err.Error()+")", nil)
	}
	_ = os.Remove(tmp.Name()) // gone when closed
	n, err := io.Copy(tmp, io.LimitReader(r, limit+1))
	if err == nil && n > limit {
		err = fileError(name, fmt.Sprintf("is over the %s limit for one extract (import.max_file_mb in the config)", humanBytes(limit)), nil)
	}
	if err == nil {
		_, err = tmp.Seek(0, io.SeekStart)
	}
	if err != nil {
		_ = tmp.Close()
		var fe *FileError
		if errors.As(err, &fe) {
			return nil, err
		}
		return nil, openError(name, err)
	}
	return tmp, nil
}

// sha256 hashes the content, in large reads through the handle.
func (in *input) sha256() (string, error) {
	h := sha256.New()
	if _, err := io.CopyBuffer(h, io.NewSectionReader(in.f, 0, in.size), make([]byte, 256<<10)); err != nil {
		return "", openError(in.name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// unchanged refuses a file whose size or modification time is no longer
// what it was when opened: rows read from a file being written would be
// part of one version and part of another.
func (in *input) unchanged() error {
	st, err := in.f.Stat()
	if err != nil {
		return openError(in.name, err)
	}
	if st.Size() != in.size || !st.ModTime().Equal(in.mod) {
		return fileError(in.name, "changed while it was being read (it is still being written, or was saved again); nothing is taken from it: import it again once it is complete", nil)
	}
	return nil
}

// prepare reads the first bytes and decides the format, once: a workbook
// has its central directory read and checked against the limits, and its
// workbook part read. A later call gives the first call's error.
func (in *input) prepare() error {
	if !in.prepared {
		in.prepared = true
		in.err = in.sniff()
	}
	return in.err
}

func (in *input) sniff() error {
	lim := in.lim
	if in.size > lim.MaxFileBytes {
		return fileError(in.name, fmt.Sprintf("is %s, over the %s limit for one extract (import.max_file_mb in the config)", humanBytes(in.size), humanBytes(lim.MaxFileBytes)), nil)
	}
	head := make([]byte, min(8192, in.size))
	n, err := io.ReadFull(io.NewSectionReader(in.f, 0, in.size), head)
	head = head[:n]
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return openError(in.name, err)
	}
	switch {
	case len(bytes.TrimSpace(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")))) == 0:
		return fileError(in.name, "is empty", nil)
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		if bytes.Contains(head[:min(len(head), 120)], []byte("application/vnd.oasis.opendocument")) {
			return fileError(in.name, "is an OpenDocument (.ods) spreadsheet; save it as .xlsx or .csv", nil)
		}
		// The workbook is read through the file already opened (and
		// checked), never opened again by name; its directory is read
		// once, for the zip-bomb check and the reader both.
		if zr, err := zip.NewReader(in.f, in.size); err == nil {
			if err := checkZip(in.name, zr, lim); err != nil {
				return err
			}
			in.zr = zr
		}
		return in.openXLSX()
	case bytes.HasPrefix(head, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")):
		return fileError(in.name, "is an old-style .xls workbook (or a password-protected one); save it as .xlsx or .csv", nil)
	case bytes.HasPrefix(head, []byte("%PDF")):
		return fileError(in.name, "is a PDF, not a CSV or Excel (.xlsx) file", nil)
	}
	in.enc = sniffEncoding(head)
	if in.enc == encUTF8 && looksBinary(head) {
		return fileError(in.name, "is not a CSV or Excel (.xlsx) file (it holds binary data)", nil)
	}
	return nil
}

func openError(name string, err error) *FileError {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fileError(name, "does not exist", err)
	case errors.Is(err, fs.ErrPermission):
		return fileError(name, "cannot be read: permission denied", err)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fileError(name, "cannot be read: "+pe.Err.Error(), err)
	}
	return fileError(name, "cannot be read: "+err.Error(), err)
}

// sniffEncoding reads the byte-order mark, or guesses UTF-16 from the NUL
// bytes that ASCII text has in it.
func sniffEncoding(head []byte) textEncoding {
	switch {
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		return encUTF8BOM
	case bytes.HasPrefix(head, []byte("\xff\xfe")):
		return encUTF16LE
	case bytes.HasPrefix(head, []byte("\xfe\xff")):
		return encUTF16BE
	}
	n := len(head) &^ 1
	if n < 4 {
		return encUTF8
	}
	var even, odd int
	for i := 0; i < n; i += 2 {
		if head[i] == 0 {
			even++
		}
		if head[i+1] == 0 {
			odd++
		}
	}
	pairs := n / 2
	switch {
	case odd*10 >= pairs*7 && even == 0:
		return encUTF16LENoBOM
	case even*10 >= pairs*7 && odd == 0:
		return encUTF16BENoBOM
	}
	return encUTF8
}

// looksBinary reports whether the start of a file is not text: NUL bytes or
// many control characters.
func looksBinary(head []byte) bool {
	ctl := 0
	for _, c := range head {
		switch {
		case c == 0:
			return true
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1a:
			ctl++
		}
	}
	return ctl*100 > len(head)
}

// openXLSX opens the workbook: for the fast path when it can, else with
// excelize.
func (in *input) openXLSX() error {
	if !fastPath || in.zr == nil {
		return in.openExcelize()
	}
	if b, err := openFastBook(in.zr); err == nil {
		in.book, in.date1904 = b, b.date1904
		return nil
	}
	return in.openExcelize()
}

// sheets lists the workbook's sheets in order.
func (in *input) sheets() []string {
	if in.book == nil {
		return in.xl.GetSheetList()
	}
	names := make([]string, len(in.book.sheets))
	for i, s := range in.book.sheets {
		names[i] = s.name
	}
	return names
}

// openExcelize opens the workbook with excelize.
func (in *input) openExcelize() (err error) {
	if in.xl != nil {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			err = fileError(in.name, "cannot be read as an Excel workbook (it is damaged)", fmt.Errorf("%v", r))
		}
	}()
	xl, err := excelize.OpenReader(io.NewSectionReader(in.f, 0, in.size))
	if err != nil {
		if errors.Is(err, fs.ErrPermission) || errors.Is(err, fs.ErrNotExist) {
			return openError(in.name, err)
		}
		return fileError(in.name, "cannot be read as an Excel workbook: "+err.Error(), err)
	}
	in.xl = xl
	if in.book == nil {
		if props, err := xl.GetWorkbookProps(); err == nil && props.Date1904 != nil {
			in.date1904 = *props.Date1904
		}
	}
	return nil
}

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// textReader opens the CSV text from its start, decoded to UTF-8 without a
// byte-order mark.
func (in *input) textReader() (*bufio.Reader, *countReader, error) {
	cr := &countReader{r: io.NewSectionReader(in.f, 0, in.size)}
	br := bufio.NewReaderSize(&lineLimiter{r: cr, max: in.lim.MaxLineBytes}, 64<<10)
	switch in.enc {
	case encUTF8BOM:
		_, _ = br.Discard(3)
	case encUTF16LE, encUTF16BE:
		_, _ = br.Discard(2)
	}
	switch in.enc {
	case encUTF16LE, encUTF16LENoBOM:
		br = bufio.NewReaderSize(&utf16Reader{r: br}, 64<<10)
	case encUTF16BE, encUTF16BENoBOM:
		br = bufio.NewReaderSize(&utf16Reader{r: br, bigEndian: true}, 64<<10)
	}
	return br, cr, nil
}

// utf16Reader decodes UTF-16 text (Excel's "Unicode Text") to UTF-8.
type utf16Reader struct {
	r         *bufio.Reader
	bigEndian bool
	out       []byte
	err       error
}

func (u *utf16Reader) unit() (uint16, bool) {
	a, err := u.r.ReadByte()
	if err != nil {
		u.err = err
		return 0, false
	}
	b, err := u.r.ReadByte()
	if err != nil {
		u.err = err
		return 0, false
	}
	if u.bigEndian {
		return uint16(a)<<8 | uint16(b), true
	}
	return uint16(b)<<8 | uint16(a), true
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	for len(u.out) == 0 {
		if u.err != nil {
			return 0, u.err
		}
		buf := u.out[:0]
		for len(buf) < 4096 {
			c, ok := u.unit()
			if !ok {
				break
			}
			r := rune(c)
			if utf16.IsSurrogate(r) {
				if c2, ok := u.unit(); ok {
					r = utf16.DecodeRune(r, rune(c2))
				} else {
					r = utf8.RuneError
				}
			}
			buf = utf8.AppendRune(buf, r)
		}
		u.out = buf
	}
	n := copy(p, u.out)
	u.out = u.out[n:]
	return n, nil
}

// delimiters orders the candidate delimiters by how often each appears
// (outside quotes) on the busiest of the first lines of the text.
func delimiters(prefix []byte) []rune {
	cands := []rune{',', ';', '\t'}
	var best [3]int
	var cur [3]int
	lines, inQuote := 0, false
scan:
	for _, c := range prefix {
		switch {
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '\n':
			for i := range cur {
				best[i] = max(best[i], cur[i])
				cur[i] = 0
			}
			if lines++; lines >= 2*headerScanRows {
				break scan
			}
		case c == ',':
			cur[0]++
		case c == ';':
			cur[1]++
		case c == '\t':
			cur[2]++
		}
	}
	for i := range cur {
		best[i] = max(best[i], cur[i])
	}
	order := []int{0, 1, 2}
	for i := 1; i < len(order); i++ { // insertion sort, stable
		for j := i; j > 0 && best[order[j]] > best[order[j-1]]; j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	out := make([]rune, len(order))
	for i, k := range order {
		out[i] = cands[k]
	}
	return out
}

// csvSource reads a CSV file with one delimiter.
type csvSource struct {
	r     *csv.Reader
	count *countReader
	total int64
	name  string
	lim   Limits
}

func (in *input) csvSource(delim rune) (*csvSource, error) {
	br, cr, err := in.textReader()
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(br)
	r.Comma = delim
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	r.TrimLeadingSpace = delim != '\t'
	return &csvSource{r: r, count: cr, total: in.size, name: in.name, lim: in.lim}, nil
}

func (s *csvSource) next() ([]string, int, error) {
	rec, err := s.r.Read()
	if err != nil {
		if errors.Is(err, errLineTooLong) {
			line, _ := s.r.FieldPos(0)
			return nil, 0, fileError(s.name, fmt.Sprintf("has a line longer than %s near line %d (not a CSV extract, or a broken one); refused", humanBytes(int64(s.lim.MaxLineBytes)), line+1), err)
		}
		return nil, 0, err
	}
	line, _ := s.r.FieldPos(0)
	if len(rec) > s.lim.MaxColumns {
		return nil, 0, fileError(s.name, fmt.Sprintf("row %d has %d columns, more than the %d a spreadsheet can hold; refused", line, len(rec), s.lim.MaxColumns), nil)
	}
	return rec, line, nil
}

func (s *csvSource) progress() (int64, int64) { return min(s.count.n, s.total), s.total }

func (s *csvSource) close() {}

// xlsxSource streams one worksheet: with the fast path while it can read
// the sheet, then (or from the start) with excelize.
type xlsxSource struct {
	in    *input
	sheet string
	fast  *fastRows
	rows  *excelize.Rows
	row   int // the last row returned
	last  int // the sheet's last row from its dimension; 0 if unknown
	total int64
}

var rawCells = excelize.Options{RawCellValue: true}

func (in *input) xlsxSource(sheet string) (*xlsxSource, error) {
	s := &xlsxSource{in: in, sheet: sheet, total: in.size}
	if in.book != nil {
		if sh := in.book.sheet(sheet); sh != nil && sh.file != nil {
			if fr, err := openFastRows(sh.file, in.book.sst); err == nil {
				s.fast, s.last = fr, fr.lastRow
				return s, nil
			}
		}
	}
	if err := s.openExcelize(); err != nil {
		return nil, err
	}
	return s, nil
}

// openExcelize starts (or resumes, after the fast path gave up at row
// s.row) reading the sheet with excelize.
func (s *xlsxSource) openExcelize() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("damaged worksheet: %v", r)
		}
	}()
	if err := s.in.openExcelize(); err != nil {
		return err
	}
	xl := s.in.xl
	rows, err := xl.Rows(s.sheet)
	if err != nil {
		return err
	}
	if dim, err := xl.GetSheetDimension(s.sheet); err == nil {
		if i := strings.LastIndexByte(dim, ':'); i >= 0 {
			if _, r, err := excelize.CellNameToCoordinates(dim[i+1:]); err == nil {
				s.last = r
			}
		}
	}
	for n := 0; n < s.row; n++ { // skip what the fast path returned
		if !rows.Next() {
			break
		}
	}
	s.rows = rows
	return nil
}

func (s *xlsxSource) next() (cells []string, row int, err error) {
	if s.fast != nil {
		cells, row, err := s.fast.next()
		if err == nil {
			s.row = row
			return cells, row, nil
		}
		_ = s.fast.close()
		s.fast = nil
		if err == io.EOF {
			return nil, 0, io.EOF
		}
		// Anything the fast path cannot read, excelize reads or explains.
		if err := s.openExcelize(); err != nil {
			return nil, 0, err
		}
	}
	return s.nextExcelize()
}

func (s *xlsxSource) nextExcelize() (cells []string, row int, err error) {
	defer func() {
		if r := recover(); r != nil {
			cells, row, err = nil, 0, fmt.Errorf("damaged worksheet: %v", r)
		}
	}()
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			return nil, 0, err
		}
		return nil, 0, io.EOF
	}
	s.row++
	cells, err = s.rows.Columns(rawCells)
	return cells, s.row, err
}

func (s *xlsxSource) progress() (int64, int64) {
	if s.last <= 0 {
		return 0, s.total
	}
	return min(s.total, s.total*int64(s.row)/int64(s.last)), s.total
}

func (s *xlsxSource) close() {
	if s.fast != nil {
		_ = s.fast.close()
	}
	if s.rows != nil {
		_ = s.rows.Close()
	}
}

// table is an extract positioned after its header row.
type table struct {
	in  *input
	src source
	hdr *header
}

// close ends the table's scan; the input stays open for its owner.
func (t *table) close() {
	if t.src != nil {
		t.src.close()
	}
}

// maxTitles bounds the title cells kept from above a header row.
const maxTitles = 40

// scanHeader reads rows until one is accepted as the header row, within the
// first headerScanRows non-blank rows. It returns the accepted header (nil
// if none) and the best candidate seen (the row with most columns
// recognised).
func scanHeader(src source, m *matcher, accept func(*header) bool) (found, best *header, err error) {
	seen := 0
	var titles []string
	for seen < headerScanRows {
		cells, row, err := src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, best, err
		}
		if row > headerScanLimit {
			break
		}
		if blankRow(cells) {
			continue
		}
		seen++
		h := m.match(cells, row)
		if best == nil || h.found > best.found {
			best = h
		}
		if accept(h) {
			h.titles = titles
			return h, best, nil
		}
		for _, c := range cells {
			if c = strings.TrimSpace(c); c != "" && len(titles) < maxTitles {
				titles = append(titles, strings.Clone(c))
			}
		}
	}
	return nil, best, nil
}

// openTable scans an extract from its start for its header row: in a
// workbook, on the first sheet that has one; in a CSV, with the first
// delimiter (most frequent first) that gives one. With no header row found
// it returns a nil table and the best candidate row, or nil. The input
// stays open whatever happens: its owner closes it.
func openTable(in *input, m *matcher, accept func(*header) bool) (*table, *header, error) {
	if err := in.prepare(); err != nil {
		return nil, nil, err
	}
	var best *header
	consider := func(h *header, sheet string) {
		if h != nil && (best == nil || h.found > best.found) {
			best = h
			best.sheet = sheet
		}
	}
	if in.isXLSX() {
		sheets := in.sheets()
		if len(sheets) == 0 {
			return nil, nil, fileError(in.name, "has no worksheets", nil)
		}
		var firstErr error
		for _, sheet := range sheets {
			src, err := in.xlsxSource(sheet)
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				continue // a chart sheet, say
			}
			h, b, err := scanHeader(src, m, accept)
			if err != nil {
				src.close()
				return nil, nil, fileError(in.name, fmt.Sprintf("cannot be read: sheet %q: %v", sheet, err), err)
			}
			if h != nil {
				h.sheet = sheet
				return &table{in: in, src: src, hdr: h}, h, nil
			}
			src.close()
			consider(b, sheet)
		}
		if best == nil && firstErr != nil {
			return nil, nil, fileError(in.name, "cannot be read: "+firstErr.Error(), firstErr)
		}
		return nil, best, nil
	}
	br, _, err := in.textReader()
	if err != nil {
		return nil, nil, err
	}
	prefix, _ := br.Peek(64 << 10)
	for _, d := range delimiters(prefix) {
		src, err := in.csvSource(d)
		if err != nil {
			return nil, nil, err
		}
		h, b, err := scanHeader(src, m, accept)
		if err != nil {
			return nil, nil, fileError(in.name, "cannot be read: "+err.Error(), err)
		}
		if h != nil {
			return &table{in: in, src: src, hdr: h}, h, nil
		}
		consider(b, "")
	}
	return nil, best, nil
}

// ExtractName reports whether a file of this name in a folder of extracts
// may be one: not hidden, not an Office lock file (~$...), not the reason
// a drop folder writes beside a failed file, and not one Windows leaves in
// folders opened in Explorer (Thumbs.db, desktop.ini). import dir, serve's
// drop folder, init and inspect all pass over the others.
func ExtractName(name string) bool {
	return !strings.HasPrefix(name, ".") && !strings.HasPrefix(name, "~$") && !strings.HasSuffix(name, ReasonSuffix) &&
		!osJunk[strings.ToLower(name)]
}

// ReasonSuffix ends the name of the file a drop folder writes beside a
// failed file to say why it failed.
const ReasonSuffix = ".error.txt"

// osJunk are the files Windows leaves in a folder opened in Explorer (a
// drop folder is often a Windows share): never extracts.
var osJunk = map[string]bool{"thumbs.db": true, "desktop.ini": true, "ehthumbs.db": true}
