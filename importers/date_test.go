package importers

import (
	"errors"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	for _, tc := range []struct {
		rule, in, want string // want "" means an error
	}{
		{"dd/mm/yyyy is UK order", "02/11/2023", "2023-11-02"},
		{"d/m/yyyy single digits", "2/3/2024", "2024-03-02"},
		{"cell is trimmed", "  02/11/2023 ", "2023-11-02"},
		{"two-digit year 29 is 2029", "1/1/29", "2029-01-01"},
		{"two-digit year 00 is 2000", "01/01/00", "2000-01-01"},
		{"two-digit year 30 is 1930", "1/1/30", "1930-01-01"},
		{"two-digit year 99 is 1999", "31/12/99", "1999-12-31"},
		{"three-digit year is not a year", "1/1/202", ""},
		{"yyyy-mm-dd", "2023-11-02", "2023-11-02"},
		{"ISO with T time", "2023-11-02T14:30:00", "2023-11-02"},
		{"ISO with zone Z and fraction", "2023-11-02T23:59:59.999Z", "2023-11-02"},
		{"ISO with offset keeps the day as written", "2023-11-02T00:30:00+01:00", "2023-11-02"},
		{"ISO with space time", "2023-11-02 14:30", "2023-11-02"},
		{"dd-Mon-yyyy", "02-Nov-2023", "2023-11-02"},
		{"dd-MON-yyyy any case", "02-NOV-2023", "2023-11-02"},
		{"dd-Mon-yy as Oracle writes it", "02-nov-23", "2023-11-02"},
		{"dd Mon yyyy", "2 Nov 2023", "2023-11-02"},
		{"full month name", "02 November 2023", "2023-11-02"},
		{"full month name with dashes", "15-September-2024", "2024-09-15"},
		{"Sept abbreviation", "15 Sept 2024", "2024-09-15"},
		{"dd/mm/yyyy with hh:mm:ss", "02/11/2023 09:15:00", "2023-11-02"},
		{"dd/mm/yyyy with hh:mm", "02/11/2023 14:30", "2023-11-02"},
		{"with 12-hour time", "02/11/2023 2:30 PM", "2023-11-02"},
		{"dd Mon yyyy with time", "02 Nov 2023 09:15", "2023-11-02"},
		{"leap day in a leap year", "29/02/2024", "2024-02-29"},
		{"Excel serial", "45231", "2023-11-01"},
		{"Excel serial with a time fraction", "45231.5", "2023-11-01"},
		{"Excel serial 1 is 1 January 1900", "1", "1900-01-01"},
		{"Excel serial 59 is 28 February 1900", "59", "1900-02-28"},
		{"Excel serial 61 is 1 March 1900", "61", "1900-03-01"},
		{"Excel serial 60 is the fake 29 February 1900", "60", ""},
		{"Excel serial 0 is no date", "0", ""},
		{"Excel serial past 9999", "2958466", ""},
		{"Excel serial last day", "2958465", "9999-12-31"},
		{"31 February is invalid", "31/02/2026", ""},
		{"month 13 is invalid", "13/13/2020", ""},
		{"US order is never read", "12/31/2020", ""},
		{"US order with a short year", "12/31/20", ""},
		{"29 February in a common year", "29/02/2023", ""},
		{"29 February 1900 written out", "29/02/1900", ""},
		{"29 February 2000 (a leap year)", "29/02/2000", "2000-02-29"},
		{"31 April", "2026-04-31", ""},
		{"day zero", "00/01/2020", ""},
		{"year before 1900", "01/01/1899", ""},
		{"yyyy/mm/dd is not a listed form", "2023/11/02", ""},
		{"dd.mm.yyyy is not a listed form", "02.11.2023", ""},
		{"unknown month name", "02-Nox-2023", ""},
		{"mixed separators", "02-Nov 2023", ""},
		{"hour 24", "02/11/2023 24:00", ""},
		{"minute 60", "02/11/2023 12:60", ""},
		{"13 PM", "02/11/2023 13:00 PM", ""},
		{"trailing junk", "02/11/2023x", ""},
		{"trailing junk after time", "02/11/2023 10:00 tomorrow", ""},
		{"blank", "", ""},
		{"spaces", "   ", ""},
		{"words", "yesterday", ""},
		{"negative serial", "-45231", ""},
		{"two dots", "45231.5.5", ""},
		{"leading dot", ".5", ""},
		{"huge digits", "999999999999999999999/1/2020", ""},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			got, err := ParseDate(tc.in)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("ParseDate(%q) = %s, want an error", tc.in, got.Format(time.DateOnly))
				}
				var de *DateError
				if !errors.As(err, &de) || de.Value != tc.in {
					t.Fatalf("ParseDate(%q) error = %#v, want a *DateError with the value", tc.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDate(%q): %v", tc.in, err)
			}
			if got.Format(time.DateOnly) != tc.want || got.Location() != time.UTC || got != got.Truncate(24*time.Hour) {
				t.Fatalf("ParseDate(%q) = %v, want %s at midnight UTC", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseDateMessage(t *testing.T) {
	_, err := ParseDate("31/02/2026")
	want := `"31/02/2026" is not a date (want dd/mm/yyyy, yyyy-mm-dd, dd-Mon-yyyy, d Mon yyyy, a Moodle date or an Excel date)`
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %s", err, want)
	}
}

func TestParseDate1904Serial(t *testing.T) {
	got, reason := parseDate("43770", true)
	if reason != "" || got.Format(time.DateOnly) != "2023-11-02" {
		t.Fatalf("1904 serial 43770 = %v %q, want 2023-11-02", got, reason)
	}
}

func TestParseDateDoesNotAllocate(t *testing.T) {
	for _, s := range []string{"02/11/2023", "2023-11-02T14:30:00", "02-Nov-2023", "45231.5"} {
		if n := testing.AllocsPerRun(100, func() { _, _ = ParseDate(s) }); n != 0 {
			t.Errorf("ParseDate(%q) allocates %v times", s, n)
		}
	}
}

func TestEffectiveDateFromName(t *testing.T) {
	for _, tc := range []struct {
		rule, name, want string // want "" means none
	}{
		{"ISO date", "ESR_staff_2026-09-30.xlsx", "2026-09-30"},
		{"compact yyyymmdd", "staff20260930.csv", "2026-09-30"},
		{"compact after an underscore", "ESR_Staff_In_Post_20260930.xlsx", "2026-09-30"},
		{"dd-mm-yyyy", "staff 30-09-2026.csv", "2026-09-30"},
		{"dd.mm.yyyy", "staff_30.09.2026.csv", "2026-09-30"},
		{"dd_mm_yyyy", "staff_30_09_2026.csv", "2026-09-30"},
		{"yyyy_mm_dd", "staff_2026_09_30.csv", "2026-09-30"},
		{"dd-Mon-yyyy", "staff 30-Sep-2026.xlsx", "2026-09-30"},
		{"compact ddmmyyyy", "staff_30092026.csv", "2026-09-30"},
		{"single-digit day", "staff 1-10-2026.csv", "2026-10-01"},
		{"first plausible date wins", "v2 staff 2026-09-30 (copy 2026-10-01).csv", "2026-09-30"},
		{"no date", "staff.csv", ""},
		{"an employee number is not a date", "staff_12345678.csv", ""},
		{"invalid calendar day", "staff_2026-02-30.csv", ""},
		{"year and month only", "staff_2026-09.csv", ""},
		{"a longer run of digits", "export_202609301200.csv", ""},
		{"US order is not read", "staff_09-30-2026.csv", ""},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			got, ok := EffectiveDateFromName(tc.name)
			switch {
			case tc.want == "" && ok:
				t.Fatalf("EffectiveDateFromName(%q) = %s, want none", tc.name, got.Format(time.DateOnly))
			case tc.want != "" && (!ok || got.Format(time.DateOnly) != tc.want || got.Location() != time.UTC):
				t.Fatalf("EffectiveDateFromName(%q) = %v, %v; want %s", tc.name, got, ok, tc.want)
			}
		})
	}
}

func TestNormID(t *testing.T) {
	for _, tc := range []struct{ rule, in, want string }{
		{"digits stay", "12345678", "12345678"},
		{"leading zeros of text stay", "00012345", "00012345"},
		{"float with .0 reads as digits", "12345678.0", "12345678"},
		{"scientific reads as digits", "1.2345678E7", "12345678"},
		{"scientific with sign", "1.2345678e+07", "12345678"},
		{"an assignment number stays", "12345678-2", "12345678-2"},
		{"a fraction stays", "1234.5", "1234.5"},
		{"letters stay", "E123", "E123"},
		{"blank", "", ""},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			if got := normID(tc.in); got != tc.want {
				t.Fatalf("normID(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
