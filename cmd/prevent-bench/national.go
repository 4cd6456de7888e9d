package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nhs-prevent/prevent/internal/collate"
	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/schema"
)

// national times status and the returns over a national-scale database:
// people and completions seeded straight into PostgreSQL with SQL (as if
// years of extracts had been imported), then prevent run on it, and then
// the dashboard (web.go).
//
//	prevent-bench national [-pg DSN|auto] [-people 2000000] [-completions 10000000] [-seeded] [-web=false]
func national(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("prevent-bench national", flag.ContinueOnError)
	pgFlag := fs.String("pg", "auto", "PostgreSQL `DSN` (\"auto\": a throwaway server from initdb)")
	people := fs.Int("people", 2_000_000, "people in the staff snapshot")
	completions := fs.Int("completions", 10_000_000, "completions held (a quarter of them Prevent courses)")
	months := fs.Int("months", 12, "monthly staff snapshots, the last effective 2026-11-30 (the status and the return use 2026-09-30's)")
	providers := fs.Int("providers", 40, "providers whose returns for the 8 quarters to 2026-27Q2 are collated, for the commissioner page (0 for none)")
	prevent := fs.String("prevent", "bin/prevent", "the prevent `binary`")
	config := fs.String("config", "prevent.example.yaml", "prevent config `file`")
	keep := fs.Bool("keep", false, "leave the throwaway server running with its data, for profiling or -seeded")
	seeded := fs.Bool("seeded", false, "use the database of -pg DSN as an earlier run seeded it, without resetting or seeding it")
	cli := fs.Bool("cli", true, "time status and the returns (-cli=false: the dashboard only)")
	web := fs.Bool("web", true, "time the dashboard's pages (prevent serve on loopback)")
	load := defaultWebLoad
	fs.DurationVar(&load.leg, "web-limit", load.leg, "bound on the whole dashboard leg")
	maxMB := fs.Int64("web-max-mb", halfMemory()/1024, "stop the dashboard's server when its RSS passes this many `MB` (default half the machine's memory; 0 for no bound)")
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
	switch {
	case *seeded && dsn == "auto":
		return errors.New("-seeded needs -pg DSN: a database an earlier run seeded (-keep leaves one running)")
	case *seeded:
		n, err := checkSeeded(dsn)
		if err != nil {
			return err
		}
		*people = n
	case dsn == "auto":
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
	default:
		if err := resetPostgres(dsn); err != nil {
			return err
		}
	}
	run := func(name string, args ...string) (step, error) {
		cmd := exec.Command(*prevent, append([]string{"--db", dsn, "--config", *config}, args...)...)
		cmd.Env = append(os.Environ(), "PREVENT_CONFIG=", "PREVENT_DB=")
		s, _, err := timed(name, cmd)
		return s, err
	}
	fmt.Fprintf(out, "machine: %s\n", machine())
	if !*seeded {
		if *months < 3 {
			return fmt.Errorf("-months %d: at least 3, so that 2026-09-30 has a snapshot", *months)
		}
		if _, err := run("migrate", "migrate"); err != nil {
			return err
		}
		fmt.Fprintf(out, "seeding %d people (%d monthly snapshots), %d completions and %d providers' returns into PostgreSQL...\n",
			*people, *months, *completions, *providers)
		start := time.Now()
		if err := seed(dsn, *people, *completions, *months); err != nil {
			return err
		}
		if err := seedProviders(dsn, *providers, work); err != nil {
			return err
		}
		fmt.Fprintf(out, "seeded in %.0f s\n", time.Since(start).Seconds())
	}
	if *cli {
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "step\ttime s\tpeople\tpeak RSS MB\t\n")
		for _, c := range []struct {
			name string
			args []string
		}{
			{"status --format csv", []string{"status", "--as-of", "2026-09-30", "--format", "csv", "--out", filepath.Join(work, "status.csv")}},
			{"return --format csv", []string{"return", "--quarter", "2026-27Q2", "--format", "csv", "--out", filepath.Join(work, "return.csv")}},
			// The XLSX carries the trend: each earlier quarter with a
			// snapshot is a position of its own.
			{"return --format xlsx", []string{"return", "--quarter", "2026-27Q2", "--format", "xlsx", "--out", filepath.Join(work, "return.xlsx")}},
		} {
			s, err := run(c.name, c.args...)
			if err != nil {
				return err
			}
			fmt.Fprintf(tw, "%s\t%.2f\t%d\t%.0f\t\n", s.name, s.wall.Seconds(), *people, float64(s.rssKB)/1024)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if *web {
		load.maxRSSKB = *maxMB * 1024
		return dashboardLeg(out, *prevent, dsn, *config, work, load)
	}
	return nil
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
		// Every employee number held, and each email's owner, as a staff
		// import keeps them (migrations 0016 and 0015).
		`INSERT INTO staff_numbers (employee_number) SELECT DISTINCT employee_number FROM assignments`,
		`INSERT INTO email_owners (email, employee_number, snapshot_id, effective_date, row_no, assignment_id)
			SELECT DISTINCT ON (a.email) a.email, a.employee_number, a.snapshot_id, s.effective_date, a.row_no, a.id
			FROM assignments a JOIN snapshots s ON s.id = a.snapshot_id
			WHERE a.email <> ''
			ORDER BY a.email, s.effective_date DESC, a.row_no, a.id`,
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

// checkSeeded makes sure dsn holds what seed left there, at this build's
// schema, and returns the people in its 2026-09-30 snapshot. Running
// prevent on a database of an older schema would migrate it, which
// -seeded promises not to do.
func checkSeeded(dsn string) (int, error) {
	want, err := schemaVersion("postgres")
	if err != nil {
		return 0, err
	}
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var version int
	if err := db.QueryRow(`SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
		return 0, fmt.Errorf("-seeded: %v (is it a prevent database?)", err)
	}
	if version != want {
		return 0, fmt.Errorf("-seeded: the database's schema is version %d and this build's %d: prevent would migrate it on opening; "+
			"-seeded leaves a database as it is (seed one without -seeded, or bench the build that seeded it)", version, want)
	}
	var staff, lms int
	if err := db.QueryRow(`SELECT COUNT(*) FILTER (WHERE sha256 LIKE 'seed-staff-%'), COUNT(*) FILTER (WHERE sha256 = 'seed-lms')
		FROM imports`).Scan(&staff, &lms); err != nil {
		return 0, fmt.Errorf("-seeded: %v", err)
	}
	var people int
	err = db.QueryRow(`SELECT COALESCE(MAX(people), 0) FROM snapshots WHERE effective_date = '2026-09-30'`).Scan(&people)
	if err != nil {
		return 0, fmt.Errorf("-seeded: %v", err)
	}
	if staff < 3 || lms != 1 || people == 0 {
		return 0, fmt.Errorf("-seeded: the database does not hold prevent-bench national's seed (%d seeded staff snapshots, %d seeded completions files, "+
			"%d people on 2026-09-30): run without -seeded to seed one", staff, lms, people)
	}
	return people, nil
}

// schemaVersion is the highest migration this build has for a dialect.
func schemaVersion(dialect string) (int, error) {
	entries, err := fs.ReadDir(schema.FS, dialect)
	if err != nil {
		return 0, err
	}
	v := 0
	for _, e := range entries {
		num, _, _ := strings.Cut(e.Name(), "_")
		if n, err := strconv.Atoi(num); err == nil {
			v = max(v, n)
		}
	}
	return v, nil
}

// seedProviders collates n providers' returns for the 8 quarters to
// 2026-27Q2 into the database, as `prevent collate` would store the files
// they send, so that the commissioner page has a table and a trend to
// show. Each return has 8 organisations of a few hundred people.
func seedProviders(dsn string, n int, work string) error {
	if n <= 0 {
		return nil
	}
	ctx := context.Background()
	s, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	return collateProviders(ctx, s, n, filepath.Join(work, "provider-returns"))
}

// collateProviders writes n providers' returns for each of the 8
// quarters to 2026-27Q2 into dir and collates each quarter's files, all
// received 5 days after the quarter ends.
func collateProviders(ctx context.Context, s *store.Store, n int, dir string) error {
	const threshold = 0.85
	last := returns.Quarter{StartYear: 2026, Q: 2}
	q := last
	for range 7 {
		q = q.Prev()
	}
	for qi := 0; ; qi, q = qi+1, q.Next() {
		qdir := filepath.Join(dir, q.String())
		if err := os.MkdirAll(qdir, 0o755); err != nil {
			return err
		}
		var paths []string
		for p := range n {
			var people []compliance.Person
			for o := range 8 {
				org := fmt.Sprintf("Directorate %d", o+1)
				for li, level := range compliance.Levels {
					required := 20 + (p*7+o*13+li*5+qi*3)%80
					compliant := required * (80 + (p+o+qi)%20) / 100
					for i := range required {
						st := compliance.Expired
						if i < compliant {
							st = compliance.Compliant
						}
						people = append(people, compliance.Person{EmployeeNumber: strconv.Itoa(len(people)), Organisation: org,
							Requirement: level, Status: st})
					}
				}
			}
			ret := returns.Build(q, returns.Provider{Name: fmt.Sprintf("Provider %d NHS Trust", p+1), ODSCode: fmt.Sprintf("R%02d", p+1)},
				people, threshold)
			var buf bytes.Buffer
			if err := ret.WriteCSV(&buf); err != nil {
				return err
			}
			path := filepath.Join(qdir, ret.FileName()+".csv")
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				return err
			}
			paths = append(paths, path)
		}
		received := time.Date(q.End().Year(), q.End().Month(), q.End().Day()+5, 10, 0, 0, 0, collate.London)
		results, err := collate.Files(ctx, s, paths, collate.FileOptions{Rules: collate.Rules{Quarter: q, Threshold: threshold},
			Received: received, Now: received.Add(time.Hour)})
		if err != nil {
			return err
		}
		for _, r := range results {
			if !r.Accepted() {
				return fmt.Errorf("collating %s: refused: %v %v", r.Path, r.Err, r.Problems)
			}
		}
		if q == last {
			return nil
		}
	}
}
