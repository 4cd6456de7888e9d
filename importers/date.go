package importers

import (
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// dateForms is what a date cell may hold, for messages.
const dateForms = "dd/mm/yyyy, yyyy-mm-dd, dd-Mon-yyyy, d Mon yyyy, a Moodle date or an Excel date"

const (
	reasonNotDate  = "is not a date (want " + dateForms + ")"
	reasonFake1900 = "is Excel's non-existent 29 February 1900 (serial 60), not a real date"
)

// DateError is a date cell value that ParseDate cannot read.
type DateError struct {
	Value  string // the cell value as written
	Reason string // e.g. `is not a date (want dd/mm/yyyy, ...)`
}

func (e *DateError) Error() string { return quote(e.Value) + " " + e.Reason }

// Excel's serial numbers run from 1 (1 January 1900) to 2958465
// (31 December 9999).
const maxSerial = 2958465

// date1904Offset is the difference in days between the 1904 and the 1900
// date systems of Excel.
const date1904Offset = 1462

// ParseDate parses a date cell value written as text, as the contract lists:
//
//   - dd/mm/yyyy and d/m/yy (UK order, never US; two-digit years follow
//     Excel: 00-29 are 2000-2029, 30-99 are 1930-1999),
//   - yyyy-mm-dd (ISO 8601, also with a "T" time part and a zone),
//   - dd-Mon-yyyy and dd Mon yyyy (month abbreviated or in full, any case;
//     a two-digit year as above),
//   - Excel serial numbers in the 1900 date system ("45231", "45231.5"),
//   - any of these after a weekday, as Moodle writes them ("Thursday, 14
//     March 2024, 10:30 AM"; the weekday must agree with the date).
//
// A time of day may follow a comma, as in Moodle's "14/03/24, 10:30".
//
// Each written form may carry a time of day ("14:30", "14:30:00",
// "09:15:00.000", "2:30 PM"), which is dropped. The result is midnight UTC of
// the calendar day as written. Impossible dates (31/02/2026, 13/13/2020),
// years before 1900 and Excel's fictitious 29 February 1900 (serial 60) are
// errors (*DateError). ParseDate does not allocate unless it fails.
func ParseDate(s string) (time.Time, error) {
	t, reason := parseDate(s, false)
	if reason != "" {
		return time.Time{}, &DateError{Value: s, Reason: reason}
	}
	return t, nil
}

// parseDate is ParseDate returning a reason instead of an error; date1904
// says that a serial number counts from 1904 (a workbook setting).
func parseDate(s string, date1904 bool) (time.Time, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, reasonNotDate
	}
	if isSerial(s) {
		return parseSerial(s, date1904)
	}
	if isLetter(s[0]) {
		return parseWeekdayDate(s, date1904)
	}
	n1, i := digits(s, 0)
	l1 := i
	if l1 == 0 || i >= len(s) {
		return time.Time{}, reasonNotDate
	}
	var y, m, d int
	switch {
	case l1 == 4 && s[i] == '-': // yyyy-mm-dd
		var l int
		y = n1
		if m, l, i = numField(s, i+1, 1, 2); l == 0 || i >= len(s) || s[i] != '-' {
			return time.Time{}, reasonNotDate
		}
		if d, l, i = numField(s, i+1, 1, 2); l == 0 {
			return time.Time{}, reasonNotDate
		}
	case l1 <= 2 && s[i] == '/': // dd/mm/yyyy, d/m/yy
		var l int
		d = n1
		if m, l, i = numField(s, i+1, 1, 2); l == 0 || i >= len(s) || s[i] != '/' {
			return time.Time{}, reasonNotDate
		}
		if y, l, i = numField(s, i+1, 2, 4); l == 3 || l == 0 {
			return time.Time{}, reasonNotDate
		} else if l == 2 {
			y = twoDigitYear(y)
		}
	case l1 <= 2 && (s[i] == '-' || s[i] == ' '): // dd-Mon-yyyy, dd Mon yyyy
		sep := s[i]
		d = n1
		i++
		j := i
		for j < len(s) && isLetter(s[j]) {
			j++
		}
		if m = monthNumber(s[i:j]); m == 0 || j >= len(s) || s[j] != sep {
			return time.Time{}, reasonNotDate
		}
		var l int
		if y, l, i = numField(s, j+1, 2, 4); l == 3 || l == 0 {
			return time.Time{}, reasonNotDate
		} else if l == 2 {
			y = twoDigitYear(y)
		}
	default:
		return time.Time{}, reasonNotDate
	}
	if !validTime(s[i:]) || !validDate(y, m, d) {
		return time.Time{}, reasonNotDate
	}
	return compliance.Date(y, time.Month(m), d), ""
}

// numField reads an unsigned decimal of minLen to maxLen digits at s[i:]; l is
// the number of digits read (0 when there are too few or too many).
func numField(s string, i, minLen, maxLen int) (v, l, next int) {
	v, next = digits(s, i)
	l = next - i
	if l < minLen || l > maxLen {
		return 0, 0, next
	}
	return v, l, next
}

// digits reads a run of ASCII digits at s[i:] (at most 9 count toward the
// value, so it cannot overflow) and returns the value and the index after it.
func digits(s string, i int) (v, next int) {
	j := i
	for j < len(s) && '0' <= s[j] && s[j] <= '9' {
		if j-i < 9 {
			v = v*10 + int(s[j]-'0')
		}
		j++
	}
	return v, j
}

// twoDigitYear follows Excel: 00-29 are 2000-2029, 30-99 are 1930-1999.
func twoDigitYear(y int) int {
	if y < 30 {
		return 2000 + y
	}
	return 1900 + y
}

func isLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

func validDate(y, m, d int) bool {
	return y >= 1900 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m)
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

var monthNames = [...]string{"january", "february", "march", "april", "may", "june",
	"july", "august", "september", "october", "november", "december"}

// monthNumber reads an English month name, abbreviated to three letters (or
// "Sept") or in full, in any case; 0 when it is not one.
func monthNumber(w string) int {
	if len(w) < 3 {
		return 0
	}
	for i, name := range monthNames {
		if len(w) > len(name) || (len(w) > 3 && len(w) < len(name) && !(i == 8 && len(w) == 4)) {
			continue
		}
		match := true
		for k := 0; k < len(w); k++ {
			if w[k]|0x20 != name[k] {
				match = false
				break
			}
		}
		if match {
			return i + 1
		}
	}
	return 0
}

// validTime accepts what may follow the date: nothing, or spaces or "T" and
// a time of day h:mm[:ss[.fff]], optionally followed by AM/PM and a zone
// ("Z", "+01:00", "-0500").
func validTime(s string) bool {
	if s == "" {
		return true
	}
	i := 0
	if s[0] == 'T' || s[0] == 't' {
		i = 1
	} else if s[0] == ',' { // Moodle: "14/03/24, 10:30", "14 March 2024, 10:30 AM"
		for i = 1; i < len(s) && s[i] == ' '; i++ {
		}
	} else {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i == 0 {
			return false
		}
	}
	h, l, i := numField(s, i, 1, 2)
	if l == 0 || i >= len(s) || s[i] != ':' {
		return false
	}
	mi, l, i := numField(s, i+1, 2, 2)
	if l == 0 || mi > 59 {
		return false
	}
	if i < len(s) && s[i] == ':' {
		var sec int
		if sec, l, i = numField(s, i+1, 2, 2); l == 0 || sec > 60 {
			return false
		}
		if i < len(s) && (s[i] == '.' || s[i] == ',') {
			_, j := digits(s, i+1)
			if j == i+1 {
				return false
			}
			i = j
		}
	}
	j := i
	for j < len(s) && s[j] == ' ' {
		j++
	}
	if j+2 <= len(s) && (s[j]|0x20 == 'a' || s[j]|0x20 == 'p') && s[j+1]|0x20 == 'm' {
		if h < 1 || h > 12 {
			return false
		}
		i = j + 2
	} else if h > 23 {
		return false
	}
	return validZone(s[i:])
}

// validZone accepts "", "Z", "+hh", "+hh:mm", "+hhmm" (or "-").
func validZone(s string) bool {
	switch {
	case s == "":
		return true
	case s == "Z" || s == "z":
		return true
	case s[0] == '+' || s[0] == '-':
		h, l, i := numField(s, 1, 2, 4)
		if l == 2 && i < len(s) && s[i] == ':' {
			var m int
			if m, l, i = numField(s, i+1, 2, 2); l == 0 || m > 59 {
				return false
			}
		} else if l == 4 {
			h /= 100
		}
		return l != 0 && l != 3 && h <= 23 && i == len(s)
	}
	return false
}

// isSerial reports whether s is an unsigned decimal number (digits with at
// most one decimal point), the way a raw Excel date cell reads.
func isSerial(s string) bool {
	dot := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
		case c == '.' && !dot && i > 0:
			dot = true
		default:
			return false
		}
	}
	return true
}

// parseSerial reads an Excel serial day number; the fraction (time of day)
// is dropped.
func parseSerial(s string, date1904 bool) (time.Time, string) {
	n, i := digits(s, 0)
	if i > 7 || n < 1 {
		return time.Time{}, reasonNotDate
	}
	if date1904 {
		n += date1904Offset
	}
	switch {
	case n > maxSerial:
		return time.Time{}, reasonNotDate
	case n == 60:
		return time.Time{}, reasonFake1900
	case n < 60: // Excel counts a 29 February 1900 that never was
		return compliance.Date(1899, time.December, 31+n), ""
	}
	return compliance.Date(1899, time.December, 30+n), ""
}

// EffectiveDateFromName finds the date in a file name, such as
// "ESR_staff_2026-09-30.xlsx", "staff20260930.csv", "staff 30-09-2026.csv",
// "staff_30.09.2026.csv" or "staff_30_09_2026.csv" (also "30-Sep-2026"). The
// first plausible date (a real calendar day in the years 1950-2199) wins.
func EffectiveDateFromName(name string) (time.Time, bool) {
	for i := 0; i < len(name); i++ {
		if !isDigit(name[i]) || (i > 0 && isDigit(name[i-1])) {
			continue
		}
		if t, ok := nameDateAt(name, i); ok {
			return t, true
		}
	}
	return time.Time{}, false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isNameSep(c byte) bool { return c == '-' || c == '_' || c == '.' || c == ' ' }

// nameDateAt tries to read a date at the start of a run of digits.
func nameDateAt(s string, i int) (time.Time, bool) {
	n1, j := digits(s, i)
	l1 := j - i
	end := func(k int) bool { return k >= len(s) || !isDigit(s[k]) }
	ok := func(y, m, d int) (time.Time, bool) {
		if y < 1950 || y > 2199 || !validDate(y, m, d) {
			return time.Time{}, false
		}
		return compliance.Date(y, time.Month(m), d), true
	}
	switch {
	case l1 == 8: // yyyymmdd, else ddmmyyyy
		if t, good := ok(n1/10000, n1/100%100, n1%100); good {
			return t, true
		}
		return ok(n1%10000, n1/10000%100, n1/1000000)
	case l1 == 4 && j < len(s) && isNameSep(s[j]): // yyyy-mm-dd
		sep := s[j]
		m, l, k := numField(s, j+1, 2, 2)
		if l == 0 || k >= len(s) || s[k] != sep {
			return time.Time{}, false
		}
		d, l, k := numField(s, k+1, 2, 2)
		if l == 0 || !end(k) {
			return time.Time{}, false
		}
		return ok(n1, m, d)
	case (l1 == 1 || l1 == 2) && j < len(s) && isNameSep(s[j]): // dd-mm-yyyy, dd-Mon-yyyy
		sep := s[j]
		var m, k int
		if j+1 < len(s) && isLetter(s[j+1]) {
			k = j + 1
			for k < len(s) && isLetter(s[k]) {
				k++
			}
			m = monthNumber(s[j+1 : k])
		} else {
			var l int
			if m, l, k = numField(s, j+1, 1, 2); l == 0 {
				return time.Time{}, false
			}
		}
		if m == 0 || k >= len(s) || s[k] != sep {
			return time.Time{}, false
		}
		y, l, k := numField(s, k+1, 4, 4)
		if l == 0 || !end(k) {
			return time.Time{}, false
		}
		return ok(y, m, n1)
	}
	return time.Time{}, false
}

var weekdayNames = [...]string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

// weekdayNumber reads an English weekday name, in full or abbreviated to
// three letters, in any case; -1 when it is not one.
func weekdayNumber(w string) int {
	for i, name := range weekdayNames {
		if len(w) == len(name) || len(w) == 3 {
			if strings.EqualFold(w, name[:len(w)]) {
				return i
			}
		}
	}
	return -1
}

// parseWeekdayDate reads a date written after its weekday, as Moodle does
// ("Thursday, 14 March 2024, 10:30 AM"). A weekday that disagrees with the
// date means the cell cannot be trusted, so it is an error.
func parseWeekdayDate(s string, date1904 bool) (time.Time, string) {
	j := 0
	for j < len(s) && isLetter(s[j]) {
		j++
	}
	wd := weekdayNumber(s[:j])
	if wd < 0 || j >= len(s) || (s[j] != ',' && s[j] != ' ') {
		return time.Time{}, reasonNotDate
	}
	rest := strings.TrimLeft(s[j+1:], " ")
	if rest == "" || !isDigit(rest[0]) || isSerial(rest) { // a weekday names a day, not a number
		return time.Time{}, reasonNotDate
	}
	t, reason := parseDate(rest, date1904)
	if reason != "" {
		return t, reason
	}
	if int(t.Weekday()) != wd {
		return time.Time{}, "says " + weekdayTitle(wd) + " but " + t.Format("2 January 2006") + " was a " + t.Weekday().String() + " (the weekday must agree with the date)"
	}
	return t, ""
}

func weekdayTitle(wd int) string { return time.Weekday(wd).String() }
