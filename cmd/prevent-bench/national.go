package main

import (
	"database/sql"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
)

// national times status and the return over a national-scale database:
// people and completions seeded straight into PostgreSQL with SQL (as if
// years of extracts had been imported), then prevent run on it.
//
//	prevent-bench national [-pg DSN|auto] [-people 2000000] [-completions 10000000]
func national(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("prevent-bench national", flag.ContinueOnError)
	pgFlag := fs.String("pg", "auto", "PostgreSQL `DSN` (\"auto\": a throwaway server from initdb)")
	people := fs.Int("people", 2_000_000, "people in the staff snapshot")
	completions := fs.Int("completions", 10_000_000, "completions held (a quarter of them Prevent courses)")
	months := fs.Int("months", 12, "monthly staff snapshots, the last effective 2026-11-30 (the status and the return use 2026-09-30's)")
	prevent := fs.String("prevent", "bin/prevent", "the prevent `binary`")
	config := fs.String("config", "prevent.example.yaml", "prevent config `file`")
	keep := fs.Bool("keep", false, "leave the throwaway server running with its data, for profiling")
	if err := fs.Parse(args); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "prevent-national-")
	if err != nil {
		return err
	}
	if !*keep {
		defer os.RemoveAll(work)
	}
	dsn := *pgFlag
	if dsn == "auto" {
		_ = os.Chmod(work, 0o755)
		srv, err := startPostgres(work, *keep)
		if err != nil {
			return err
		}
		if *keep {
			fmt.Fprintf(out, "server left running: %s (data in %s)\n", srv.dsn, work)
		} else {
			defer srv.stop()
		}
		dsn = srv.dsn
	} else if err := resetPostgres(dsn); err != nil {
		return err
	}
	run := func(name string, args ...string) (step, error) {
		cmd := exec.Command(*prevent, append([]string{"--db", dsn, "--config", *config}, args...)...)
		cmd.Env = append(os.Environ(), "PREVENT_CONFIG=", "PREVENT_DB=")
		s, _, err := timed(name, cmd)
		return s, err
	}
	if _, err := run("migrate", "migrate"); err != nil {
		return err
	}
	fmt.Fprintf(out, "machine: %s\n", machine())
	if *months < 3 {
		return fmt.Errorf("-months %d: at least 3, so that 2026-09-30 has a snapshot", *months)
	}
	fmt.Fprintf(out, "seeding %d people (%d monthly snapshots) and %d completions into PostgreSQL...\n", *people, *months, *completions)
	start := time.Now()
	if err := seed(dsn, *people, *completions, *months); err != nil {
		return err
	}
	fmt.Fprintf(out, "seeded in %.0f s\n", time.Since(start).Seconds())
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "step\ttime s\tpeople\tpeak RSS MB\t\n")
	for _, c := range []struct {
		name string
		args []string
	}{
		{"status --format csv", []string{"status", "--as-of", "2026-09-30", "--format", "csv", "--out", filepath.Join(work, "status.csv")}},
		{"return --format csv", []string{"return", "--quarter", "2026-27Q2", "--format", "csv", "--out", filepath.Join(work, "return.csv")}},
		// The workbook has the trend: four quarters' figures from one pass.
		{"return --format xlsx", []string{"return", "--quarter", "2026-27Q2", "--format", "xlsx", "--out", filepath.Join(work, "return.xlsx")}},
	} {
		s, err := run(c.name, c.args...)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%d\t%.0f\t\n", s.name, s.wall.Seconds(), *people, float64(s.rssKB)/1024)
	}
	return tw.Flush()
}

// seed fills an empty, migrated database: monthly staff snapshots of
// people (a fifth with a second assignment), the last effective
// 2026-11-30, and completions, a quarter of them Prevent courses, a tenth
// keyed by email. Each month but the first copies the first one without a
// different two-hundredth of its rows, as leavers and joiners would.
func seed(dsn string, people, completions, months int) error {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	last := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	var staff, snapshots, copies []string
	for m := 1; m <= months; m++ {
		// Month m is the m-th before the last, counting it as the first.
		day := time.Date(last.Year(), last.Month()-time.Month(m-1)+1, 0, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
		staff = append(staff, fmt.Sprintf("(%d, 'staff', 'ESR national %s.csv', 'seed-staff-%d', '%s', now(), current_date)", m, day, m, day))
		snapshots = append(snapshots, fmt.Sprintf("(%d, %d, '%s')", m, m, day))
		if m > 1 {
			copies = append(copies, fmt.Sprintf(`INSERT INTO assignments (snapshot_id, row_no, employee_number, assignment_number, name, organisation,
					staff_group, job_role, position_title, assignment_status, is_primary, email)
				SELECT %d, row_no, employee_number, assignment_number, name, organisation, staff_group, job_role,
					position_title, assignment_status, is_primary, email
				FROM assignments WHERE snapshot_id = 1 AND row_no %% 200 <> %d`, m, m))
		}
	}
	stmts := []string{
		`INSERT INTO imports (id, kind, file_name, sha256, effective_date, imported_at, imported_on)
			VALUES ` + strings.Join(staff, ",\n") + fmt.Sprintf(`,
			       (%d, 'completions', 'LMS national.csv', 'seed-lms', NULL, now(), current_date)`, months+1),
		`INSERT INTO snapshots (id, import_id, effective_date) VALUES ` + strings.Join(snapshots, ", "),
		`DROP INDEX IF EXISTS assignments_snapshot_employee, assignments_employee, assignments_email`,
		fmt.Sprintf(`INSERT INTO assignments (snapshot_id, row_no, employee_number, assignment_number, name, organisation,
				staff_group, job_role, position_title, assignment_status, is_primary, email)
			SELECT 1, r, (20000000 + p)::text, (20000000 + p)::text || '-' || (r - p + 1), 'Person ' || p,
				'Trust ' || (p %% 200) || CASE WHEN p %% 9 = 0 THEN ' Mental Health' ELSE ' Acute' END,
				(ARRAY['Nursing and Midwifery Registered','Additional Clinical Services','Administrative and Clerical',
				       'Allied Health Professionals','Medical and Dental','Estates and Ancillary'])[1 + p %% 6],
				CASE WHEN p %% 97 = 0 THEN 'Safeguarding Lead' ELSE 'Staff' END, 'Post', 'Active Assignment', r = p,
				'person' || p || '@nhs.net'
			FROM (SELECT p, p AS r FROM generate_series(1, %d) p
			      UNION ALL SELECT p, %d + p FROM generate_series(1, %d, 5) p) a`, people, people, people),
	}
	stmts = append(stmts, copies...)
	stmts = append(stmts,
		`UPDATE snapshots s SET people = (SELECT COUNT(DISTINCT employee_number) FROM assignments a WHERE a.snapshot_id = s.id)`,
		`CREATE INDEX assignments_snapshot_employee ON assignments (snapshot_id, employee_number)`,
		`CREATE INDEX assignments_employee ON assignments (employee_number)`,
		`CREATE INDEX assignments_email ON assignments (email)`,
		`ALTER TABLE completions DROP CONSTRAINT IF EXISTS completions_employee_number_email_key_course_key_completed_on_key`,
		// Row i is person p = i mod people's k-th completion, of course
		// (k + p) mod 8: no two rows share a person and course, so the
		// history is free of duplicates by construction.
		fmt.Sprintf(`INSERT INTO completions (import_id, source_row, employee_number, email, email_key, course, course_key, completed_on)
			SELECT %d, i + 1,
				CASE WHEN i %% 10 = 0 THEN '' ELSE (20000000 + p)::text END,
				'person' || p || '@nhs.net',
				CASE WHEN i %% 10 = 0 THEN 'person' || p || '@nhs.net' ELSE '' END,
				c.course, lower(c.course), DATE '2019-01-01' + ((p * 31 + k * 97) %% 2800)
			FROM (SELECT i, 1 + i %% %d AS p, i / %d AS k FROM generate_series(0, %d) i) g
			JOIN (VALUES (0, 'Preventing Radicalisation - Basic Prevent Awareness'), (1, 'Fire Safety'),
				(2, 'Infection Prevention and Control Level 2'), (3, 'Information Governance and Data Security'),
				(4, 'NHS|MAND|Prevent Level 3 - 3 Years|'), (5, 'Moving and Handling Level 1'),
				(6, 'Basic Life Support'), (7, 'Safeguarding Adults Level 2')) c (n, course) ON c.n = (g.k + g.p) %% 8`,
			months+1, people, people, completions-1),
		`ALTER TABLE completions ADD UNIQUE (employee_number, email_key, course_key, completed_on)`,
		`INSERT INTO course_keys (course_key) SELECT DISTINCT course_key FROM completions`,
		// As autovacuum would have left a database in service: hint bits
		// set and the visibility map built, so that the first report does
		// not pay for them; and the gigabytes just loaded written out, so
		// that the checkpoint writing them does not run during it.
		`VACUUM ANALYZE`,
		`CHECKPOINT`,
	)
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			return fmt.Errorf("seed: %v\n%s", err, q)
		}
	}
	return nil
}
