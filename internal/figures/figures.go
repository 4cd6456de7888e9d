// Package figures owns how compliance figures are written in every output:
// percentages to one decimal rounded half up, yes/no, the figure columns the
// summary and the quarterly return share, and spreadsheet cells made safe
// from formula injection. It is pure: no I/O beyond the values given.
package figures

import (
	"strconv"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// Columns are the figures of one organisation's row, shared by the summary
// and the quarterly return.
var Columns = []string{"headcount",
	"basic_required", "basic_compliant", "basic_pct",
	"level3_required", "level3_compliant", "level3_pct",
	"face_to_face_required", "face_to_face_compliant", "face_to_face_pct",
	"all_compliant", "all_pct", "meets_threshold"}

// Pct is the percentage to one decimal place, rounded half up, or "" when
// nobody is required.
func Pct(t compliance.Tally) string {
	tenths, ok := t.Pct10()
	if !ok {
		return ""
	}
	return strconv.Itoa(tenths/10) + "." + strconv.Itoa(tenths%10)
}

// YesNo writes a boolean as the return does.
func YesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// Record is one row's figures in Columns order.
func Record(s *compliance.Summary, threshold float64) []string {
	rec := []string{strconv.Itoa(s.Headcount)}
	for _, l := range compliance.Levels {
		t := s.Level(l)
		rec = append(rec, strconv.Itoa(t.Required), strconv.Itoa(t.Compliant), Pct(t))
	}
	return append(rec, strconv.Itoa(s.All.Compliant), Pct(s.All), YesNo(s.MeetsThreshold(threshold)))
}

// ThresholdPct writes a threshold fraction as a percentage for people:
// 0.85 -> "85%", 0.875 -> "87.5%".
func ThresholdPct(th float64) string {
	return strconv.FormatFloat(float64(int64(th*1000+0.5))/10, 'f', -1, 64) + "%"
}

// SafeCell neutralises a value that a spreadsheet would run as a formula
// (OWASP CSV injection): one starting with =, +, -, @, tab or carriage
// return gets a leading apostrophe. Plain negative numbers are left alone.
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if _, err := strconv.ParseFloat(s, 64); err == nil && s[0] == '-' {
			return s
		}
		return "'" + s
	}
	return s
}

// Dash writes an empty value as "-" for tables people read.
func Dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Clip shortens text to n characters for a terminal table, marking the cut;
// control characters are escaped first (Printable).
func Clip(s string, n int) string {
	s = Printable(s)
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
