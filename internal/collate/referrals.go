package collate

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/nhs-prevent/prevent/internal/returns"
)

// Referrals is a provider's referrals section as read: the referrals CSV
// `prevent return` attaches, or the Referrals sheet of its XLSX return.
type Referrals struct {
	File     string
	SHA256   string
	Quarter  returns.Quarter
	Provider returns.Provider
	Cells    []string // the row, in returns.ReferralColumns order
}

// ReferredToPrevent is the section's referred_to_prevent: a count, or "*"
// when the provider withheld a small number.
func (r *Referrals) ReferredToPrevent() string {
	for i, c := range returns.ReferralColumns {
		if c == "referred_to_prevent" {
			return r.Cells[i]
		}
	}
	return ""
}

// CSV is the section's row as one CSV line.
func (r *Referrals) CSV() string {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(r.Cells)
	w.Flush()
	return strings.TrimSuffix(b.String(), "\n")
}

// ReadReferralsFile reads the referrals section of a file, if it has one:
// a CSV whose header row is the section's, or a workbook with a Referrals
// sheet. It returns nil and no error for a file without one.
func ReadReferralsFile(path string) (*Referrals, error) {
	name := filepath.Base(path)
	st, err := os.Stat(path)
	if err != nil || st.Size() > maxFileSize {
		return nil, nil // ReadFile reports it
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil
	}
	var rows [][]string
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		f, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			return nil, nil
		}
		defer f.Close()
		if idx, _ := f.GetSheetIndex(returns.SheetReferrals); idx < 0 {
			return nil, nil
		}
		if rows, err = f.GetRows(returns.SheetReferrals, excelize.Options{RawCellValue: true}); err != nil {
			return nil, nil
		}
	} else {
		d := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		r := csv.NewReader(bytes.NewReader(d))
		r.Comma, r.FieldsPerRecord = delimiter(d), -1
		if rows, err = r.ReadAll(); err != nil {
			return nil, nil
		}
	}
	return referralsFrom(name, data, rows)
}

// referralsFrom finds the section's header among the first rows and reads
// the row below it.
func referralsFrom(name string, data []byte, rows [][]string) (*Referrals, error) {
	cols := returns.ReferralColumns
	for i, r := range rows {
		if i >= headerScanRows {
			break
		}
		if !sameHeader(r, cols) {
			continue
		}
		var row []string
		for _, d := range rows[i+1:] {
			if !blank(d) {
				row = d
				break
			}
		}
		if row == nil {
			return nil, &NotReturnError{name, "has the referrals section's header but no row below it"}
		}
		cells := make([]string, len(cols))
		for c := range cells {
			if c < len(row) {
				cells[c] = strings.TrimSpace(row[c])
			}
		}
		q, err := returns.ParseQuarter(cells[0])
		if err != nil {
			return nil, &NotReturnError{name, fmt.Sprintf("referrals row %d, column quarter: %v", i+2, err)}
		}
		code := strings.ToUpper(cells[1])
		if !isODSCode(code) {
			return nil, &NotReturnError{name, fmt.Sprintf("referrals row %d, column provider_code: %q is not an ODS code", i+2, cells[1])}
		}
		for c := 3; c < len(cols)-2; c++ {
			if _, err := strconv.Atoi(cells[c]); err != nil && cells[c] != returns.Suppressed {
				return nil, &NotReturnError{name, fmt.Sprintf("referrals row %d, column %s: %q is not a count", i+2, cols[c], cells[c])}
			}
		}
		cells[0], cells[1] = q.String(), code
		sum := sha256Hex(data)
		return &Referrals{File: name, SHA256: sum, Quarter: q, Provider: returns.Provider{ODSCode: code, Name: cells[2]}, Cells: cells}, nil
	}
	return nil, nil
}

// sameHeader reports whether a row is the header given, in any case, with
// nothing but blanks after it.
func sameHeader(cells, want []string) bool {
	if len(cells) < len(want) {
		return false
	}
	for i, c := range cells {
		c = strings.ToLower(strings.TrimSpace(c))
		if (i < len(want) && c != want[i]) || (i >= len(want) && c != "") {
			return false
		}
	}
	return true
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
