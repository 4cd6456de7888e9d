package importers

import (
	"strings"
	"testing"
	"time"
)

func TestParseDateRealSystemForms(t *testing.T) {
	for _, tc := range []struct {
		rule, in, want string // want "" means an error
	}{
		{"Totara text export d Mon yyyy", "5 Mar 2024", "2024-03-05"},
		{"Moodle long form", "Thursday, 14 March 2024, 10:30 AM", "2024-03-14"},
		{"Moodle long form, lower-case pm", "Friday, 1 November 2024, 4:05 pm", "2024-11-01"},
		{"Moodle long form without a time", "Thursday, 14 March 2024", "2024-03-14"},
		{"abbreviated weekday", "Thu, 14 Mar 2024, 10:30", "2024-03-14"},
		{"Moodle default date and time", "14 March 2024, 10:30 AM", "2024-03-14"},
		{"Moodle zero-padded day and hour", "04 March 2024, 09:05 PM", "2024-03-04"},
		{"Moodle short form is day first", "5/3/24, 10:30", "2024-03-05"},
		{"Moodle short form, day above 12", "14/03/24, 09:05", "2024-03-14"},
		{"a comma without a time is not a date", "14/03/24,", ""},
		{"a word that is not a weekday", "Someday, 14 March 2024", ""},
		{"a weekday alone", "Thursday", ""},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			got, err := ParseDate(tc.in)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("ParseDate(%q) = %s, want an error", tc.in, got.Format(time.DateOnly))
				}
				return
			}
			if err != nil || got.Format(time.DateOnly) != tc.want {
				t.Fatalf("ParseDate(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestParseDateWeekdayMustAgree(t *testing.T) {
	_, err := ParseDate("Thursday, 14 March 2025, 10:30 AM")
	if err == nil {
		t.Fatal("a Thursday that is a Friday was read as a date")
	}
	want := `"Thursday, 14 March 2025, 10:30 AM" says Thursday but 14 March 2025 was a Friday`
	if !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("error = %q, want it to start %q", err, want)
	}
}

func TestDateForm(t *testing.T) {
	for in, want := range map[string]string{
		"02/11/2023":                        "dd/mm/yyyy",
		"2/3/24":                            "d/m/yy",
		"5/3/24, 10:30":                     "d/m/yy, time",
		"02/11/2023 14:30":                  "dd/mm/yyyy time",
		"2023-11-02T14:30:00":               "yyyy-mm-dd time",
		"2023-11-02":                        "yyyy-mm-dd",
		"02-Nov-2023":                       "dd-Mon-yyyy",
		"5 Mar 2024":                        "d Mon yyyy",
		"14 March 2024":                     "d Month yyyy",
		"Thursday, 14 March 2024, 10:30 AM": "Weekday, d Month yyyy, time (Moodle)",
		"Friday, 14 March 2024, 10:30 AM":   "Weekday, d Month yyyy, time (Moodle)",
		"Monday, 15 July 2024, 9:05 AM":     "Weekday, d Month yyyy, time (Moodle)",
		"4 June 2024":                       "d Month yyyy",
		"4 Jun 2024":                        "d Mon yyyy",
		"45231":                             "Excel date",
		"yesterday":                         "not a date",
		"31/02/2026":                        "not a date",
		"Thu 14 Mar 2024":                   "Weekday d Mon yyyy",
		"Thursday 14 March 2024":            "Weekday d Month yyyy",
		"Tuesday 14 March 2024":             "Weekday d Month yyyy", // read, and a row error for its weekday
		"Monday 2024":                       "not a date",           // a weekday before a number is no date
		"Monday, 45231":                     "not a date",
	} {
		if got := DateForm(in); got != want {
			t.Errorf("DateForm(%q) = %q, want %q", in, got, want)
		}
	}
}
