package importers

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNotCompletedRows(t *testing.T) {
	for _, tc := range []struct {
		rule, csv        string
		ok, notCompleted int
		errs             int
	}{
		{"a blank date is not completed, whatever else",
			"Employee Number,Course,Completion Date\n1,Prevent,\n2,Prevent,01/02/2024\n", 1, 1, 0},
		{"In progress with a date is still not completed",
			"Employee Number,Course,Progress,Completion Date\n1,Prevent,In progress,01/02/2024\n2,Prevent,Complete,01/02/2024\n", 1, 1, 0},
		{"status values any case and spacing: not started, NOT YET STARTED",
			"Employee Number,Course,Status,Completion Date\n1,Prevent,not started,01/02/2024\n2,Prevent,NOT YET STARTED,\n3,Prevent,Not-Started,01/02/2024\n", 0, 3, 0},
		{"Failed and Expired are judged by their date",
			"Employee Number,Course,Status,Completion Date\n1,Prevent,Expired,01/02/2020\n2,Prevent,Failed,nonsense\n", 1, 0, 1},
		{"Meets Requirement No with a date is judged by its date",
			"Employee Number,Competence Name,Meets Requirement,Achievement Date\n1,Prevent,No,01/02/2024\n2,Prevent,No,\n", 1, 1, 0},
		{"Completed No is not completed even with a time; Yes counts",
			"Email address,Course full name,Completed,Time completed\na@x,Prevent,No,\"Thursday, 14 March 2024, 10:30 AM\"\nb@x,Prevent,Y,\"Thursday, 14 March 2024, 10:30 AM\"\n", 1, 1, 0},
		{"a Completed column of True/False beside Date Completed is the flag, the other the date",
			"Employee Number,Course,Completed,Date Completed\n1,Prevent,True,14/03/2024\n2,Prevent,FALSE,\n3,Prevent,false,15/03/2024\n", 1, 2, 0},
		{"a Completed column of dates stays the date column",
			"Email,Course,Completed,Time completed\na@x,Prevent,01/02/2024,\nb@x,Prevent,,03/04/2024\n", 1, 1, 0},
		{"a weekday that disagrees is a row error",
			"Email,Course,Time completed\na@x,Prevent,\"Friday, 14 March 2024, 10:30 AM\"\n", 0, 0, 1},
		{"a blank person with a blank date is not an error",
			"Employee Number,Email,Course,Completion Date\n,,Prevent,\n", 0, 1, 0},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			got, sum := readCompletions(t, writeFile(t, "c.csv", []byte(tc.csv)), Options{})
			if len(got) != tc.ok || sum.NotCompleted != tc.notCompleted || len(sum.Errors) != tc.errs {
				t.Fatalf("%d read, %d not completed, errors %v; want %d, %d, %d", len(got), sum.NotCompleted, sum.Errors, tc.ok, tc.notCompleted, tc.errs)
			}
		})
	}
}

func TestCompletedFlagReadsTheOtherDate(t *testing.T) {
	csv := "Email address,Course full name,Completed,Time completed\na@x,Prevent,Yes,\"Thursday, 14 March 2024, 10:30 AM\"\n"
	got, sum := readCompletions(t, writeFile(t, "m.csv", []byte(csv)), Options{})
	if len(got) != 1 || got[0].CompletedOn.Format(time.DateOnly) != "2024-03-14" || sum.Columns["completed"] != "Time completed" {
		t.Fatalf("got %+v, columns %v", got, sum.Columns)
	}
}

func TestCompletedFlagAloneIsRefused(t *testing.T) {
	csv := "Email address,Course full name,Completed\na@x,Prevent,Yes\nb@x,Prevent,\n"
	_, err := ReadCompletions(writeFile(t, "flag.csv", []byte(csv)), Options{}, func(CompletionRow) error { return nil })
	var fe *FileError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), `flag.csv has no completion date column: its "Completed" column (header row 1) holds Yes/No`) {
		t.Fatalf("err = %v", err)
	}
}

func TestOneCourseReport(t *testing.T) {
	csv := "Email address,Completed,Time completed\na@x,Yes,\"5/3/24, 10:30\"\n"
	p := writeFile(t, "one.csv", []byte(csv))
	got, _ := readCompletions(t, p, Options{Course: "Prevent Awareness"})
	if len(got) != 1 || got[0].Course != "Prevent Awareness" || got[0].CompletedOn.Format(time.DateOnly) != "2024-03-05" {
		t.Fatalf("got %+v", got)
	}
	t.Run("without --course it has no course column", func(t *testing.T) {
		_, err := ReadCompletions(p, Options{}, func(CompletionRow) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "no column for the course name") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a file with a course column is not relabelled", func(t *testing.T) {
		p := writeFile(t, "two.csv", []byte("Email,Course,Completion Date\na@x,Fire Safety,01/01/2025\n"))
		_, err := ReadCompletions(p, Options{Course: "Prevent Awareness"}, func(CompletionRow) error { return nil })
		if err == nil || !strings.Contains(err.Error(), `has a course column ("Course", header row 1)`) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestNotCompletedDoesNotAllocate(t *testing.T) {
	m := newMatcher(nil)
	h := m.match([]string{"Email", "Course", "Progress", "Completed", "Time completed"}, 1)
	h.flag = h.bare
	cells := []string{"a@x", "Prevent", "Complete", "Yes", "14/03/2024"}
	if n := testing.AllocsPerRun(100, func() { _ = notCompleted(cells, h) }); n != 0 {
		t.Errorf("notCompleted allocates %v times a row", n)
	}
}

func TestCourseWrittenAsALink(t *testing.T) {
	csv := "Email address,Course full name with link,Completed,Time completed\n" +
		"a@x,\"<a href=\"\"https://lms.example.nhs.uk/course/view.php?id=7\"\">Prevent &amp; Radicalisation   Level 3</a>\",Yes,\"14/03/24, 10:30\"\n"
	got, _ := readCompletions(t, writeFile(t, "link.csv", []byte(csv)), Options{})
	if len(got) != 1 || got[0].Course != "Prevent & Radicalisation Level 3" {
		t.Fatalf("got %+v", got)
	}
}
