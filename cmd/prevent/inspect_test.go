package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInspect(t *testing.T) {
	dir := t.TempDir()
	dbFile := filepath.Join(dir, "prevent.db")
	for _, tc := range []struct {
		rule string
		args []string
		code int
		want []string // lines (or parts) the output must hold
	}{
		{"a Moodle report: the flag, the date column, the forms and the rows",
			[]string{realExport(t, dir, "moodle_custom_report.csv")}, 0, []string{
				"moodle_custom_report.csv: a completions file\n",
				`completed           column E   "Time completed"               built-in header (the date; "Completed" (column D) is a Yes/No completion flag, No = not completed)`,
				"  Weekday, d Month yyyy, time (Moodle)   3\n",
				"Rows: 4 read, 2 completions, 2 not completed, 0 row errors\n",
				`row 2: eli.moodle@newtrust.nhs.uk  "Preventing Radicalisation - Basic Prevent Awareness"  2024-03-14`,
				`row 3: not completed: Completed is "No"`,
			}},
		{"each course with the level the course rules give it",
			[]string{realExport(t, dir, "totara_record_of_learning.csv")}, 0, []string{
				"Courses, by the course rules of the config (2):\n" +
					"  basic         \"Preventing Radicalisation - Basic Prevent Awareness\"  1\n" +
					"  no rule       \"Infection Prevention and Control\"  1\n",
				`row 4: not completed: Progress is "In progress"`,
			}},
		{"an ESR export: the detail sheet after the summary, Excel and text dates",
			[]string{realExport(t, dir, "esr_competence_meets.xlsx")}, 0, []string{
				`Header row: row 4 of sheet "Detail"`,
				"  Excel date                             1\n  dd-Mon-yyyy                            1\n",
				`Columns not used: "Meets Requirement" (column D), "Expiry Date" (column F)`,
				"row 6: not completed: Achievement Date is blank",
			}},
		{"a config alias is named as such",
			[]string{"--config", write(t, dir, "alias.yaml", "columns:\n  completed: [\"Finished On\"]\n"),
				write(t, dir, "alias.csv", "Person Number,Course,Finished On\n1,Prevent Awareness,01/02/2024\n")}, 0, []string{
				`completed           column C   "Finished On"                  your columns: alias`,
			}},
		{"a columns: key may be a synonym of the field's name",
			[]string{"--config", write(t, dir, "synonym.yaml", "columns:\n  completion_date: [\"Finished On\"]\n"),
				filepath.Join(dir, "alias.csv")}, 0, []string{
				`completed           column C   "Finished On"                  your columns: alias`,
				"Rows: 1 read, 1 completion, 0 not completed, 0 row errors",
			}},
		{"a missing column names the columns: line to add",
			[]string{write(t, dir, "miss.csv", "Learner Email,Course,Finished On\na@x,Prevent,01/02/2024\n")}, 1, []string{
				"Missing: no column for the completion date",
				"  columns:\n    completed: [\"Finished On\"]",
				"An import would refuse this file",
			}},
		{"of the headers no rule knows, those that sound like the missing field are named",
			[]string{write(t, dir, "hub.csv", "Employee No,Learner,Course Title,Passed On,Status\n1,Ann,Prevent,01/02/2024,Completed\n")}, 1, []string{
				"  columns:\n    completed: [\"Passed On\"]   # the completion date",
			}},
		{"a learning hub's Completed Date is read without configuration",
			[]string{write(t, dir, "hub2.csv", "Learning Hub export\n\nEmployee No,Learner,Course Title,Completed Date,Status\n1,Ann,Prevent Awareness,12/03/2024,Completed\n")}, 0, []string{
				`completed           column D   "Completed Date"               built-in header`,
			}},
		{"a folder is each extract in it, Windows' Thumbs.db passed over",
			[]string{folderOf(t, dir, "hub.csv", "hub2.csv")}, 1, []string{
				"hub.csv: a completions file\n", "hub2.csv: a completions file\n",
			}},
		{"weekdays without a comma, and a weekday before a bare number, inspect as an import reads them",
			[]string{write(t, dir, "weekday.csv", "Employee Number,Course,Completion Date\n1,Prevent Awareness,Thu 14 Mar 2024\n2,Prevent Awareness,Monday 2024\n")}, 0, []string{
				"  Weekday d Mon yyyy                     1\n",
				"  not a date                             1\n",
				`weekday.csv row 3, column "Completion Date": "Monday 2024" is not a date`,
			}},
		{"a one-course report's import line keeps its --course",
			[]string{write(t, dir, "wrap.csv", "Employee Number,Date Attended\n1,14/03/2024\n"), "--course", "Prevent WRAP"}, 0, []string{
				`To import it: prevent import completions --course "Prevent WRAP" "wrap.csv"`,
			}},
		{"row errors are those an import would report",
			[]string{write(t, dir, "bad.csv", "Email,Course,Completion Date\na@x,Prevent,31/02/2024\n")}, 0, []string{
				"Row errors an import would report",
				`bad.csv row 2, column "Completion Date": "31/02/2024" is not a date`,
			}},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			r := prevent(t, dir, "sqlite:"+dbFile, append([]string{"inspect"}, tc.args...)...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, tc.code, r.stdout, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, r.stdout)
				}
			}
		})
	}
	if _, err := os.Stat(dbFile); !os.IsNotExist(err) {
		t.Errorf("inspect touched the database: %v", err)
	}
	t.Run("needs no database at all", func(t *testing.T) {
		r := prevent(t, dir, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1", "inspect", filepath.Join(dir, "moodle_custom_report.csv"))
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
	})
}

// TestInspectLogs: inspect reads an exemptions list, a referral log and a
// meetings log as their imports would, shows no case reference, and says
// why a log with a personal-data column would be refused.
func TestInspectLogs(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "never.db")
	for _, tc := range []struct {
		name, file, content string
		code                int
		want                []string
		not                 []string
	}{
		{"an exemptions list", "exemptions.csv", "Employee Number,Reason,From,Until\n100,Maternity leave,01/05/2026,\n200,Secondment,01/06/2026,01/03/2026\n", 0,
			[]string{"exemptions.csv: an exemptions list", "Rows: 2 read, 1 exemption, 1 row error", "row 2: 100  Maternity leave  from 2026-05-01 until open",
				"prevent import exemptions"}, nil},
		{"a referral log shows no reference", "refs.csv", "Reference,Date Raised,Subject,Outcome\nPRV-26-0042,01/07/2026,patient,referred\nPRV-26-0043,02/07/2026,martian,referred\n", 0,
			[]string{"refs.csv: a referral log", "Rows: 2 read, 1 concern, 1 row error", "rows are not shown"}, []string{"PRV-26-0042"}},
		{"a meetings log", "meetings.csv", "Date,Forum,Attended\n09/07/2026,Channel panel,Yes\n", 0,
			[]string{"meetings.csv: a partnership meetings log", "row 2: 2026-07-09  Channel panel  attended: true"}, nil},
		{"a log with a personal-data column", "named.csv", "Reference,Date,Patient Name,Outcome\nPRV-1,01/07/2026,Jane Doe,concern\n", 1,
			[]string{`a column headed "Patient Name", which is personal data`}, []string{"Jane Doe"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := prevent(t, dir, db, "inspect", write(t, dir, tc.file, tc.content))
			out := r.stdout + r.stderr
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\n%s", r.code, tc.code, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("lacks %q:\n%s", w, out)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(out, n) {
					t.Errorf("shows %q:\n%s", n, out)
				}
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "never.db")); !os.IsNotExist(err) {
		t.Errorf("inspect made a database: %v", err)
	}
}

// folderOf copies the files named from dir into a folder of their own,
// with a Thumbs.db beside them, and returns the folder.
func folderOf(t *testing.T, dir string, names ...string) string {
	t.Helper()
	folder := filepath.Join(dir, "folder")
	if err := os.MkdirAll(folder, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, n := range append(names, "Thumbs.db") {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			b = []byte("\x00binary")
		}
		if err := os.WriteFile(filepath.Join(folder, n), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return folder
}
