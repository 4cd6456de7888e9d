package importers

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The fast path for workbooks. excelize decodes a worksheet with
// encoding/xml, which costs about sixteen times what inflating the bytes
// does; an extract is a plain grid of cells, so this file reads the sheet
// XML with a small scanner that knows just the parts of SpreadsheetML a
// grid of values uses: rows, cells with their types (shared, inline and
// formula strings, numbers, booleans, errors, ISO dates), the five XML
// entities and character references, and Excel's _xHHHH_ escapes. It gives
// exactly the values excelize's Rows().Columns(RawCellValue) gives (the
// tests compare the two). On anything else (CDATA, a DOCTYPE, an unknown
// entity, a malformed tag) it stops with errFastUnsupported and the
// caller carries on with excelize from the same row.

// fastPath turns the fast path on; benchmarks turn it off to measure what
// it saves.
var fastPath = true

// errFastUnsupported says the fast path met XML it does not read.
var errFastUnsupported = errors.New("not a plain worksheet")

// maxSheetRows is the most rows a worksheet may have (Excel's limit, which
// excelize enforces too).
const maxSheetRows = 1048576

// fastBook is a workbook opened as a zip archive: its sheets in workbook
// order, its shared strings and its date system.
type fastBook struct {
	zr       *zip.Reader
	sheets   []fastSheet
	sst      *sharedStrings
	date1904 bool
}

type fastSheet struct {
	name string
	file *zip.File // nil: not a worksheet (a chart sheet, say), or missing
}

// close lets the workbook go; the file under it is closed by its input.
func (b *fastBook) close() error { return b.sst.close() }

// sheet returns a sheet by name.
func (b *fastBook) sheet(name string) *fastSheet {
	for i := range b.sheets {
		if b.sheets[i].name == name {
			return &b.sheets[i]
		}
	}
	return nil
}

// openFastBook opens a workbook for the fast path from its zip directory.
// Any error means "use excelize", which gives the user-facing reason for a
// damaged file.
func openFastBook(zr *zip.Reader) (*fastBook, error) {
	b := &fastBook{zr: zr}
	if err := b.load(); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *fastBook) load() error {
	files := make(map[string]*zip.File, len(b.zr.File))
	for _, f := range b.zr.File {
		files[f.Name] = f
	}
	var wb struct {
		Pr struct {
			Date1904 string `xml:"date1904,attr"`
		} `xml:"workbookPr"`
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
			RIDs string `xml:"http://purl.oclc.org/ooxml/officeDocument/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := decodePart(files, "xl/workbook.xml", &wb); err != nil {
		return err
	}
	var rels struct {
		Rel []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
			Type   string `xml:"Type,attr"`
		} `xml:"Relationship"`
	}
	if err := decodePart(files, "xl/_rels/workbook.xml.rels", &rels); err != nil {
		return err
	}
	switch strings.ToLower(strings.TrimSpace(wb.Pr.Date1904)) {
	case "1", "true":
		b.date1904 = true
	case "", "0", "false":
	default:
		return errFastUnsupported
	}
	for _, s := range wb.Sheets {
		id := s.RID
		if id == "" {
			id = s.RIDs
		}
		sh := fastSheet{name: s.Name}
		for _, r := range rels.Rel {
			if r.ID != id || !strings.HasSuffix(r.Type, "/worksheet") {
				continue
			}
			target := r.Target
			if strings.HasPrefix(target, "/") {
				target = strings.TrimPrefix(target, "/")
			} else {
				target = path.Join("xl", target)
			}
			sh.file = files[target]
		}
		b.sheets = append(b.sheets, sh)
	}
	b.sst = &sharedStrings{file: files["xl/sharedStrings.xml"]}
	return nil
}

// decodePart unmarshals a small XML part.
func decodePart(files map[string]*zip.File, name string, v any) error {
	f := files[name]
	if f == nil {
		return fmt.Errorf("no %s", name)
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return xml.NewDecoder(rc).Decode(v)
}

// sharedStrings is a workbook's shared string table, read as far as the
// cells read so far need: a sheet's first rows (all that telling its kind
// takes) name the first strings of a table Excel numbers in order of first
// use, so most of a large table is never inflated unless every row is
// read. The strings read are kept for the cells that follow.
type sharedStrings struct {
	file *zip.File // nil: the workbook has none
	rc   io.ReadCloser
	sc   *scanner
	s    []string // each <si>'s text, in order, as far as read
	end  error    // io.EOF once the table is read to its end; else why it cannot be read further
}

// at returns string i, reading the table up to it. At the table's end it
// returns io.EOF: no such string.
func (t *sharedStrings) at(i int) (string, error) {
	for i >= len(t.s) {
		if t.end != nil {
			return "", t.end
		}
		if err := t.more(); err != nil {
			t.end = err
			_ = t.close()
		}
	}
	return t.s[i], nil
}

// more reads the next string item, or fails (io.EOF at the end).
func (t *sharedStrings) more() error {
	if t.sc == nil {
		if t.file == nil {
			return io.EOF
		}
		rc, err := t.file.Open()
		if err != nil {
			return err
		}
		t.rc, t.sc = rc, newScanner(rc)
	}
	for {
		tg, err := t.sc.next(false)
		if err != nil {
			return err
		}
		if tg.start && !tg.empty && tg.is("si") {
			b, err := t.sc.stringItem("si", nil)
			if err != nil {
				return err
			}
			t.s = append(t.s, string(b))
			return nil
		} else if tg.start && tg.empty && tg.is("si") {
			t.s = append(t.s, "")
			return nil
		}
	}
}

func (t *sharedStrings) close() error {
	if t == nil || t.rc == nil {
		return nil
	}
	err := t.rc.Close()
	t.rc = nil
	return err
}

// fastRows streams one worksheet's rows.
type fastRows struct {
	rc      io.ReadCloser
	sc      *scanner
	sst     *sharedStrings
	cells   []string
	spans   []cellSpan // this row's values: in rowBuf, or shared strings
	rowBuf  []byte
	row     int // the last row read
	lastRow int // from the sheet's dimension; 0 if unknown
	inData  bool
	done    bool
}

// cellSpan is one cell value of the row being read: rowBuf[start:end], or
// the shared string sst when sst >= 0. A row's text is made into one
// string at its end, so that a row costs one allocation, not one per cell.
type cellSpan struct {
	col, sst, start, end int
}

func openFastRows(f *zip.File, sst *sharedStrings) (*fastRows, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	r := &fastRows{rc: rc, sc: newScanner(rc), sst: sst}
	// Up to <sheetData>: note the dimension on the way.
	for !r.inData {
		t, err := r.sc.next(false)
		if err != nil {
			_ = rc.Close()
			if err == io.EOF {
				return nil, errFastUnsupported
			}
			return nil, err
		}
		switch {
		case t.start && t.is("dimension"):
			if ref, ok := t.attrString("ref"); ok {
				if i := strings.LastIndexByte(ref, ':'); i >= 0 {
					ref = ref[i+1:]
				}
				_, r.lastRow = splitCellRef([]byte(ref))
			}
		case t.start && t.is("sheetData"):
			r.inData, r.done = true, t.empty
		}
	}
	return r, nil
}

func (r *fastRows) close() error { return r.rc.Close() }

// next returns the next row that has a <row> element: its cells as
// excelize's Columns(RawCellValue) gives them, and its row number.
func (r *fastRows) next() ([]string, int, error) {
	for !r.done {
		t, err := r.sc.next(false)
		if err == io.EOF {
			return nil, 0, errFastUnsupported // the sheet ended inside <sheetData>
		}
		if err != nil {
			return nil, 0, err
		}
		switch {
		case !t.start && t.is("sheetData"):
			r.done = true
		case t.start && t.is("row"):
			n := r.row + 1
			if v, ok := t.attr("r"); ok {
				if n, err = strconv.Atoi(string(bytes.TrimSpace(v))); err != nil || n < 1 {
					return nil, 0, errFastUnsupported
				}
			}
			if n > maxSheetRows {
				return nil, 0, fmt.Errorf("row number exceeds maximum limit")
			}
			r.row = n
			r.cells, r.spans, r.rowBuf = r.cells[:0], r.spans[:0], r.rowBuf[:0]
			if !t.empty {
				if err := r.readCells(); err != nil {
					return nil, 0, err
				}
			}
			r.makeCells()
			return r.cells, n, nil
		case t.start && !t.empty:
			if err := r.sc.skip(string(t.local)); err != nil {
				return nil, 0, err
			}
		}
	}
	return nil, 0, io.EOF
}

// makeCells lays the row's values out by column, as excelize does: blanks
// between them, none after the last.
func (r *fastRows) makeCells() {
	text := string(r.rowBuf)
	for _, sp := range r.spans {
		for len(r.cells) < sp.col-1 {
			r.cells = append(r.cells, "")
		}
		if sp.sst >= 0 {
			r.cells = append(r.cells, r.sst.s[sp.sst])
		} else {
			r.cells = append(r.cells, text[sp.start:sp.end])
		}
	}
}

// readCells reads the cells of a row up to </row>.
func (r *fastRows) readCells() error {
	col := 0
	for {
		t, err := r.sc.next(false)
		if err != nil {
			return unexpectedEOF(err)
		}
		switch {
		case !t.start && t.is("row"):
			return nil
		case t.start && t.is("c"):
			col++
			if ref, ok := t.attr("r"); ok && len(ref) > 0 {
				c, _ := splitCellRef(ref)
				if c < 1 {
					return errFastUnsupported
				}
				col = c
			}
			typ := cellNumber
			if v, ok := t.attr("t"); ok {
				typ = cellTypeOf(v)
			}
			if t.empty {
				continue
			}
			sp := cellSpan{col: col, sst: -1, start: len(r.rowBuf)}
			formula, err := r.cellValue(typ, &sp)
			if err != nil {
				return err
			}
			sp.end = len(r.rowBuf)
			if sp.sst >= 0 && r.sst.s[sp.sst] == "" {
				sp.sst, sp.end = -1, sp.start
			}
			if sp.sst >= 0 || sp.end > sp.start || formula {
				r.spans = append(r.spans, sp)
			}
		case t.start && !t.empty:
			if err := r.sc.skip(string(t.local)); err != nil {
				return err
			}
		}
	}
}

// Cell types, from the t attribute.
const (
	cellNumber = iota // n, b, d, e, str, absent: the value as written
	cellShared        // s: an index into the shared strings
	cellInline        // inlineStr: the text of <is>
)

func cellTypeOf(v []byte) int {
	switch string(v) {
	case "s":
		return cellShared
	case "inlineStr":
		return cellInline
	}
	return cellNumber
}

// cellValue reads a cell's children up to </c>, leaving its raw value in
// r.rowBuf (from sp.start) or naming its shared string in sp.sst.
func (r *fastRows) cellValue(typ int, sp *cellSpan) (formula bool, err error) {
	vStart, vEnd := -1, -1 // the <v> text in rowBuf
	inline := false
	for {
		t, err := r.sc.next(false)
		if err != nil {
			return false, unexpectedEOF(err)
		}
		switch {
		case !t.start && t.is("c"):
			switch {
			case typ == cellShared:
				var err error
				if vStart >= 0 && vEnd > vStart {
					err = r.sharedIndex(r.rowBuf[vStart:vEnd], sp)
				}
				r.rowBuf = r.rowBuf[:sp.start]
				return formula, err
			case typ == cellInline && inline:
				return formula, nil // the <is> text is what is left in rowBuf
			}
			if vStart >= 0 { // keep just the <v> text
				n := copy(r.rowBuf[sp.start:], r.rowBuf[vStart:vEnd])
				r.rowBuf = r.rowBuf[:sp.start+n]
			} else {
				r.rowBuf = r.rowBuf[:sp.start]
			}
			return formula, nil
		case t.start && t.is("v"):
			vStart, vEnd = len(r.rowBuf), len(r.rowBuf)
			if t.empty {
				continue
			}
			if r.rowBuf, err = r.sc.text("v", r.rowBuf); err != nil {
				return false, err
			}
			vEnd = len(r.rowBuf)
		case t.start && t.is("f"):
			formula = true
			if !t.empty {
				if err := r.sc.skip("f"); err != nil {
					return false, err
				}
			}
		case t.start && t.is("is"):
			if typ != cellInline {
				if !t.empty {
					if err := r.sc.skip("is"); err != nil {
						return false, err
					}
				}
				continue
			}
			// The inline text replaces anything read before it.
			r.rowBuf = r.rowBuf[:sp.start]
			vStart, vEnd, inline = -1, -1, true
			if !t.empty {
				if r.rowBuf, err = r.sc.stringItem("is", r.rowBuf); err != nil {
					return false, err
				}
			}
		case t.start && !t.empty:
			if err := r.sc.skip(string(t.local)); err != nil {
				return false, err
			}
		}
	}
}

// sharedIndex reads a shared string index as excelize does (a value
// that is not a number reads as 0).
func (r *fastRows) sharedIndex(v []byte, sp *cellSpan) error {
	v = bytes.TrimSpace(v)
	i := 0
	for k, c := range v {
		if !isDigit(c) || k > 9 {
			i, _ = strconv.Atoi(string(v))
			break
		}
		i = i*10 + int(c-'0')
	}
	if i < 0 {
		return fmt.Errorf("invalid shared string index %q", v)
	}
	if _, err := r.sst.at(i); err == io.EOF {
		return fmt.Errorf("invalid shared string index %q", v)
	} else if err != nil {
		return err // excelize reads the table from here
	}
	sp.sst = i
	return nil
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return errFastUnsupported
	}
	return err
}

// splitCellRef reads a cell reference such as "AB12" as its column (1 for
// A) and row; 0 for a part that is missing or bad.
func splitCellRef(ref []byte) (col, row int) {
	i := 0
	for i < len(ref) && isLetter(ref[i]) {
		col = col*26 + int(ref[i]|0x20-'a'+1)
		if col > 16384 {
			return 0, 0
		}
		i++
	}
	if i == 0 {
		col = 0
	}
	j := i
	for j < len(ref) && isDigit(ref[j]) {
		row = row*10 + int(ref[j]-'0')
		if row > maxSheetRows*10 {
			return col, 0
		}
		j++
	}
	if j != len(ref) || j == i {
		return col, 0
	}
	return col, row
}

// scanner reads the tags of an XML stream, and the text inside the few
// elements whose text is wanted.
type scanner struct {
	br  *bufio.Reader
	tag []byte // the current tag, between < and >
	txt []byte // scratch for text
}

func newScanner(r io.Reader) *scanner {
	return &scanner{br: bufio.NewReaderSize(r, 64<<10)}
}

// tag is a parsed tag. Its bytes are valid until the next call.
type tag struct {
	raw   []byte // name and attributes, without < > and the / marks
	local []byte // the name without a namespace prefix
	start bool   // a start (or empty-element) tag, not an end tag
	empty bool   // <x/>
}

func newTag(raw []byte, start, empty bool) tag {
	n := raw
	for i, c := range n {
		if isSpace(c) {
			n = n[:i]
			break
		}
	}
	if i := bytes.IndexByte(n, ':'); i >= 0 {
		n = n[i+1:]
	}
	return tag{raw: raw, local: n, start: start, empty: empty}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func (t tag) is(local string) bool { return string(t.local) == local }

// attr returns an attribute's raw value by name (without a prefix), valid
// until the next tag is read; entities are not decoded.
func (t tag) attr(name string) ([]byte, bool) {
	b := t.raw
	i := 0
	for i < len(b) && !isSpace(b[i]) { // the tag's name
		i++
	}
	for i < len(b) {
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		k := i
		for i < len(b) && b[i] != '=' && !isSpace(b[i]) {
			i++
		}
		key := b[k:i]
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i >= len(b) || b[i] != '=' {
			return nil, false
		}
		i++
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i >= len(b) || (b[i] != '"' && b[i] != '\'') {
			return nil, false
		}
		end := bytes.IndexByte(b[i+1:], b[i])
		if end < 0 {
			return nil, false
		}
		val := b[i+1 : i+1+end]
		i += end + 2
		if string(key) == name {
			return val, true
		}
	}
	return nil, false
}

// attrString is attr decoded to a string.
func (t tag) attrString(name string) (string, bool) {
	v, ok := t.attr(name)
	if !ok {
		return "", false
	}
	s, err := unescape(v, nil)
	if err != nil {
		return "", false
	}
	return string(s), true
}

// next reads the next tag, skipping comments, processing instructions and
// (unless keep) the text before it; with keep, the raw text before the tag
// is appended to s.txt.
func (s *scanner) next(keep bool) (tag, error) {
	for {
		if err := s.until('<', keep); err != nil {
			return tag{}, err
		}
		s.tag = s.tag[:0]
		// Read to the closing '>' outside quotes.
		quote := byte(0)
		for {
			chunk, err := s.br.ReadSlice('>')
			s.tag = append(s.tag, chunk...)
			if err == bufio.ErrBufferFull {
				continue
			}
			if err != nil {
				return tag{}, unexpectedEOF(err)
			}
			if quote == 0 && bytes.IndexByte(chunk, '"') < 0 && bytes.IndexByte(chunk, '\'') < 0 {
				break // no attribute values: the '>' ends the tag
			}
			for _, c := range chunk {
				switch {
				case quote != 0 && c == quote:
					quote = 0
				case quote == 0 && (c == '"' || c == '\''):
					quote = c
				}
			}
			if quote == 0 {
				break
			}
		}
		t := s.tag[:len(s.tag)-1] // drop '>'
		switch {
		case len(t) == 0:
			return tag{}, errFastUnsupported
		case t[0] == '?':
			continue // <?xml ...?>
		case t[0] == '!':
			if bytes.HasPrefix(t, []byte("!--")) {
				if err := s.skipComment(t); err != nil {
					return tag{}, err
				}
				continue
			}
			return tag{}, errFastUnsupported // CDATA, DOCTYPE
		case t[0] == '/':
			return newTag(bytes.TrimRight(t[1:], " \t\r\n"), false, false), nil
		}
		if t[len(t)-1] == '/' {
			return newTag(t[:len(t)-1], true, true), nil
		}
		return newTag(t, true, false), nil
	}
}

// until advances past the next c, keeping the bytes before it in s.txt
// when keep is set.
func (s *scanner) until(c byte, keep bool) error {
	for {
		chunk, err := s.br.ReadSlice(c)
		if keep {
			if err == nil {
				s.txt = append(s.txt, chunk[:len(chunk)-1]...)
			} else {
				s.txt = append(s.txt, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return err
	}
}

// skipComment accepts a comment read whole as a tag; one holding a '>'
// (rare in a worksheet) is left to excelize.
func (s *scanner) skipComment(t []byte) error {
	if len(t) >= 5 && bytes.HasSuffix(t, []byte("--")) {
		return nil
	}
	return errFastUnsupported
}

// skip reads past the end of the element whose start tag was just read.
func (s *scanner) skip(local string) error {
	depth := 1
	for {
		t, err := s.next(false)
		if err != nil {
			return unexpectedEOF(err)
		}
		switch {
		case t.start && !t.empty:
			depth++
		case !t.start:
			depth--
			if depth == 0 {
				if !t.is(local) {
					return errFastUnsupported
				}
				return nil
			}
		}
	}
}

// text appends an element's character data up to its end tag, decoded,
// to dst.
func (s *scanner) text(local string, dst []byte) ([]byte, error) {
	s.txt = s.txt[:0]
	t, err := s.next(true)
	if err != nil {
		return dst, unexpectedEOF(err)
	}
	if t.start || !t.is(local) {
		return dst, errFastUnsupported // markup inside a value
	}
	return unescape(s.txt, dst)
}

// stringItem appends a rich or plain string (<si> or <is>) up to its end
// tag to dst: the text of its <t> elements, directly or in runs <r>, but
// not in phonetic runs <rPh>; with Excel's _xHHHH_ escapes decoded.
func (s *scanner) stringItem(end string, dst []byte) ([]byte, error) {
	start := len(dst)
	for {
		t, err := s.next(false)
		if err != nil {
			return dst, unexpectedEOF(err)
		}
		switch {
		case !t.start && t.is(end):
			if bytes.Contains(dst[start:], []byte("_x")) {
				dst = append(dst[:start], bstr(string(dst[start:]))...)
			}
			return dst, nil
		case t.start && t.is("t"):
			if t.empty {
				continue
			}
			if dst, err = s.text("t", dst); err != nil {
				return dst, err
			}
		case t.start && !t.empty && (t.is("rPh") || t.is("phoneticPr") || t.is("rPr")):
			if err := s.skip(string(t.local)); err != nil {
				return dst, err
			}
		}
	}
}

// unescape appends raw character data to dst with entities and character
// references decoded and line ends normalised to \n, as XML requires.
func unescape(raw, dst []byte) ([]byte, error) {
	if bytes.IndexByte(raw, '&') < 0 && bytes.IndexByte(raw, '\r') < 0 {
		return append(dst, raw...), nil
	}
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch c {
		case '\r':
			dst = append(dst, '\n')
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
		case '&':
			end := bytes.IndexByte(raw[i:], ';')
			if end < 0 {
				return nil, errFastUnsupported
			}
			ent := raw[i+1 : i+end]
			i += end
			switch string(ent) {
			case "lt":
				dst = append(dst, '<')
			case "gt":
				dst = append(dst, '>')
			case "amp":
				dst = append(dst, '&')
			case "quot":
				dst = append(dst, '"')
			case "apos":
				dst = append(dst, '\'')
			default:
				if len(ent) < 2 || ent[0] != '#' {
					return nil, errFastUnsupported
				}
				var n uint64
				var err error
				if ent[1] == 'x' {
					n, err = strconv.ParseUint(string(ent[2:]), 16, 32)
				} else {
					n, err = strconv.ParseUint(string(ent[1:]), 10, 32)
				}
				if err != nil || !isXMLChar(rune(n)) {
					return nil, errFastUnsupported
				}
				dst = utf8.AppendRune(dst, rune(n))
			}
		default:
			dst = append(dst, c)
		}
	}
	return dst, nil
}

// isXMLChar is XML 1.0's Char production, as encoding/xml checks it.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// bstr decodes Excel's _xHHHH_ escapes of characters XML cannot carry,
// as excelize does: "_x005F_" is "_", and an escape of a lone surrogate
// is dropped.
func bstr(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var b strings.Builder
	i := 0
	for i < len(s) {
		j := strings.Index(s[i:], "_x")
		if j < 0 {
			break
		}
		j += i
		if j+7 <= len(s) && s[j+6] == '_' && isHex4(s[j+2:j+6]) {
			b.WriteString(s[i:j])
			v, _ := strconv.ParseUint(s[j+2:j+6], 16, 32)
			if s[j:j+7] == "_x005F_" {
				b.WriteByte('_')
			} else if r := rune(v); utf8.ValidRune(r) {
				b.WriteRune(r)
			}
			i = j + 7
			continue
		}
		b.WriteString(s[i : j+1])
		i = j + 1
	}
	b.WriteString(s[i:])
	return b.String()
}

func isHex4(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) && !('a' <= c|0x20 && c|0x20 <= 'f') {
			return false
		}
	}
	return len(s) == 4
}
