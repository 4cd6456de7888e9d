package returns

import (
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

func mustQuarter(t *testing.T, s string) Quarter {
	t.Helper()
	q, err := ParseQuarter(s)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestWindowOpens(t *testing.T) {
	for _, tc := range []struct {
		rule    string
		quarter string
		want    time.Time
	}{
		{"a quarter ending on a Wednesday opens on the Thursday", "2026-27Q2", compliance.Date(2026, 10, 1)},
		{"a year ending on a Tuesday opens on Wednesday 1 April", "2025-26Q4", compliance.Date(2026, 4, 1)},
		{"New Year's Day on a Friday pushes it past the weekend", "2026-27Q3", compliance.Date(2027, 1, 4)},
		{"a quarter ending on Easter Sunday skips Easter Monday", "2023-24Q4", compliance.Date(2024, 4, 2)},
		{"a quarter ending on Easter Saturday skips Sunday and Easter Monday", "2017-18Q4", compliance.Date(2018, 4, 3)},
		{"a quarter ending on a Friday opens on the Monday", "2027-28Q4", compliance.Date(2028, 4, 3)},
		{"a quarter ending on a Sunday before New Year's Day skips both", "2028-29Q3", compliance.Date(2029, 1, 2)},
		{"2020's Q3 ended on Thursday 31 December and opened on Monday 4 January", "2020-21Q3", compliance.Date(2021, 1, 4)},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			q := mustQuarter(t, tc.quarter)
			if got := WindowOpens(q); !got.Equal(tc.want) {
				t.Fatalf("WindowOpens(%s) (ends %s) = %s, want %s", q, q.End().Format("Mon 2 Jan 2006"),
					got.Format("Mon 2 Jan 2006"), tc.want.Format("Mon 2 Jan 2006"))
			}
		})
	}
}

func dates(year int, md ...[2]int) []time.Time {
	var out []time.Time
	for _, d := range md {
		out = append(out, compliance.Date(year, time.Month(d[0]), d[1]))
	}
	return out
}

func TestBankHolidays(t *testing.T) {
	// The published gov.uk lists for England and Wales.
	for _, tc := range []struct {
		rule string
		year int
		want []time.Time
	}{
		{"2026 has the usual eight, Boxing Day on Monday 28th", 2026,
			dates(2026, [2]int{1, 1}, [2]int{4, 3}, [2]int{4, 6}, [2]int{5, 4}, [2]int{5, 25}, [2]int{8, 31}, [2]int{12, 25}, [2]int{12, 28})},
		{"2027 moves Christmas from Saturday to Monday 27th and Boxing Day to Tuesday 28th", 2027,
			dates(2027, [2]int{1, 1}, [2]int{3, 26}, [2]int{3, 29}, [2]int{5, 3}, [2]int{5, 31}, [2]int{8, 30}, [2]int{12, 27}, [2]int{12, 28})},
		{"2022 has the jubilee, the state funeral and a substitute New Year and Christmas", 2022,
			dates(2022, [2]int{1, 3}, [2]int{4, 15}, [2]int{4, 18}, [2]int{5, 2}, [2]int{6, 2}, [2]int{6, 3}, [2]int{8, 29}, [2]int{9, 19}, [2]int{12, 26}, [2]int{12, 27})},
		{"2023 has the coronation and a substitute New Year's Day", 2023,
			dates(2023, [2]int{1, 2}, [2]int{4, 7}, [2]int{4, 10}, [2]int{5, 1}, [2]int{5, 8}, [2]int{5, 29}, [2]int{8, 28}, [2]int{12, 25}, [2]int{12, 26})},
		{"2020 moved the early May holiday to Friday 8 May", 2020,
			dates(2020, [2]int{1, 1}, [2]int{4, 10}, [2]int{4, 13}, [2]int{5, 8}, [2]int{5, 25}, [2]int{8, 31}, [2]int{12, 25}, [2]int{12, 28})},
		{"2024 has Easter at the end of March", 2024,
			dates(2024, [2]int{1, 1}, [2]int{3, 29}, [2]int{4, 1}, [2]int{5, 6}, [2]int{5, 27}, [2]int{8, 26}, [2]int{12, 25}, [2]int{12, 26})},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			got := BankHolidays(tc.year)
			if len(got) != len(tc.want) {
				t.Fatalf("BankHolidays(%d) = %s, want %s", tc.year, fmtDates(got), fmtDates(tc.want))
			}
			for i := range got {
				if !got[i].Equal(tc.want[i]) {
					t.Fatalf("BankHolidays(%d) = %s, want %s", tc.year, fmtDates(got), fmtDates(tc.want))
				}
			}
		})
	}
}

func fmtDates(ds []time.Time) string {
	s := ""
	for _, d := range ds {
		s += " " + d.Format("Mon 2 Jan")
	}
	return s
}

func TestEasterSunday(t *testing.T) {
	for _, want := range []time.Time{
		compliance.Date(2000, 4, 23), compliance.Date(2008, 3, 23), compliance.Date(2019, 4, 21),
		compliance.Date(2024, 3, 31), compliance.Date(2026, 4, 5), compliance.Date(2028, 4, 16),
		compliance.Date(2038, 4, 25),
	} {
		t.Run("Easter "+want.Format("2006 is 2 January"), func(t *testing.T) {
			if got := easterSunday(want.Year()); !got.Equal(want) {
				t.Fatalf("easterSunday(%d) = %s", want.Year(), got.Format(time.DateOnly))
			}
		})
	}
}

func TestIsWorkingDay(t *testing.T) {
	for _, tc := range []struct {
		rule string
		day  time.Time
		want bool
	}{
		{"a plain Thursday is a working day", compliance.Date(2026, 10, 1), true},
		{"Saturday is not", compliance.Date(2026, 10, 3), false},
		{"Sunday is not", compliance.Date(2026, 10, 4), false},
		{"a bank holiday Monday is not", compliance.Date(2026, 8, 31), false},
		{"the time of day does not matter", time.Date(2026, 12, 28, 23, 30, 0, 0, time.UTC), false},
		{"the 2022 state funeral was not", compliance.Date(2022, 9, 19), false},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			if got := IsWorkingDay(tc.day); got != tc.want {
				t.Fatalf("IsWorkingDay(%s) = %v, want %v", tc.day.Format("Mon 2 Jan 2006"), got, tc.want)
			}
		})
	}
}
