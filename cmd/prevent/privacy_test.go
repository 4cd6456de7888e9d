package main

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/nhs-prevent/prevent/importers"
	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/mail/mailtest"
)

// demoFile is the absolute path of one of the demo extracts.
func demoFile(name string) string {
	p, err := filepath.Abs(filepath.Join("..", "..", "testdata", "demo", name))
	if err != nil {
		panic(err)
	}
	return p
}

var (
	demoStaff       = []string{"esr_staff_2026-09-30.csv", "ESR Staff Extract 2026-10-31.xlsx"}
	demoCompletions = []string{"LMS completions export 2026-11-01.csv", "ESR competences 2026-11-01.xlsx"}
)

// personalData is what identifies a member of staff in the extracts.
type personalData struct {
	numbers map[string]bool // employee and assignment numbers
	emails  map[string]bool // lower case
	names   []string        // full names, lower case
}

// demoPersonalData reads every name, employee number and email of the
// demo staff extracts.
func demoPersonalData(t *testing.T) *personalData {
	t.Helper()
	pd := &personalData{numbers: map[string]bool{}, emails: map[string]bool{}}
	names := map[string]bool{}
	for _, f := range demoStaff {
		_, err := importers.ReadStaff(demoFile(f), importers.Options{}, func(a compliance.Assignment) error {
			pd.numbers[a.EmployeeNumber] = true
			if a.AssignmentNumber != "" {
				pd.numbers[a.AssignmentNumber] = true
			}
			for _, e := range []string{a.Email, a.ManagerEmail} {
				if e != "" {
					pd.emails[strings.ToLower(e)] = true
				}
			}
			if n := strings.ToLower(strings.TrimSpace(a.Name)); len(n) >= 5 {
				names[n] = true
			}
			return nil
		})
		if err != nil {
			t.Fatalf("reading %s: %v", f, err)
		}
	}
	for n := range names {
		pd.names = append(pd.names, n)
	}
	if len(pd.numbers) < 100 || len(pd.emails) < 100 || len(pd.names) < 100 {
		t.Fatalf("the demo extracts gave only %d numbers, %d emails, %d names", len(pd.numbers), len(pd.emails), len(pd.names))
	}
	return pd
}

var (
	digitRun  = regexp.MustCompile(`[0-9]+(-[0-9]+)?`)
	emailLike = regexp.MustCompile(`[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+`)
)

// leaks lists the personal data found in text.
func (pd *personalData) leaks(text string) []string {
	var found []string
	for _, n := range digitRun.FindAllString(text, -1) {
		if pd.numbers[n] {
			found = append(found, "employee number "+n)
		}
	}
	for _, e := range emailLike.FindAllString(text, -1) {
		if e = strings.ToLower(strings.Trim(e, ".")); pd.emails[e] {
			found = append(found, "email "+e)
		}
	}
	lower := strings.ToLower(text)
	for _, n := range pd.names {
		if strings.Contains(lower, n) {
			found = append(found, "name "+strconv.Quote(n))
		}
	}
	return found
}

// output is one thing prevent wrote, by where it came from.
type output struct {
	name string
	data []byte
}

// unzipped is a zip's parts as outputs (an XLSX: its XML), or the data
// itself when it is not a zip.
func unzipped(t *testing.T, name string, data []byte) []output {
	t.Helper()
	if !bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return []output{{name, data}}
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var out []output
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatalf("%s: %s: %v", name, f.Name, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %s: %v", name, f.Name, err)
		}
		out = append(out, output{name + ":" + f.Name, b})
	}
	return out
}

// emailPart is one part of an email, decoded: a body or an attachment.
type emailPart struct {
	label    string // the file and the part's place in the MIME tree
	filename string // an attachment's file name; "" for a body
	data     []byte
}

// decodeEmail reads an .eml file into its header (decoded, as text) and
// its parts, each decoded from base64 or quoted-printable.
func decodeEmail(t *testing.T, name string, raw []byte) (mail.Header, []emailPart) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var head strings.Builder
	dec := new(mime.WordDecoder)
	for k, vs := range msg.Header {
		for _, v := range vs {
			if d, err := dec.DecodeHeader(v); err == nil {
				v = d
			}
			fmt.Fprintf(&head, "%s: %s\n", k, v)
		}
	}
	parts := []emailPart{{label: name + ":header", data: []byte(head.String())}}
	var walk func(label, contentType, encoding, disposition string, body io.Reader)
	walk = func(label, contentType, encoding, disposition string, body io.Reader) {
		mediaType, params, err := mime.ParseMediaType(contentType)
		if err != nil {
			mediaType = "text/plain"
		}
		if strings.HasPrefix(mediaType, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for i := 0; ; i++ {
				p, err := mr.NextPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatalf("%s: %v", label, err)
				}
				walk(fmt.Sprintf("%s/%d", label, i), p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"),
					p.Header.Get("Content-Disposition"), p)
			}
		}
		switch strings.ToLower(encoding) {
		case "quoted-printable":
			body = quotedprintable.NewReader(body)
		case "base64":
			body = base64.NewDecoder(base64.StdEncoding, body)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		part := emailPart{label: label, data: b}
		if _, dp, err := mime.ParseMediaType(disposition); err == nil {
			part.filename = dp["filename"]
		}
		parts = append(parts, part)
	}
	walk(name, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), "", msg.Body)
	return msg.Header, parts
}

// checkMode fails unless path has exactly the permission bits want.
func checkMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Error(err)
		return
	}
	if got := st.Mode().Perm(); got != want {
		t.Errorf("%s has mode %04o, want %04o", filepath.Base(path), got, want)
	}
}

// TestNoPersonalDataLeaves runs the demo flow through the binary and scans
// everything that goes to commissioners or into logs and records for any
// name, employee number or email of the demo extracts: the return (CSV,
// and every XML part of the XLSX), the return emails with their decoded
// attachments, the audit trail, the deliveries, the job history and the
// log of a scheduled import of a file with a bad row. It also checks that
// the files holding staff data are their owner's only.
func TestNoPersonalDataLeaves(t *testing.T) {
	t.Parallel()
	pd := demoPersonalData(t)
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	cfg, err := os.ReadFile(filepath.Join("..", "..", "prevent.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, dir, "prevent.yaml", string(cfg))
	var outputs []output
	mustRun := func(args ...string) run {
		t.Helper()
		r := prevent(t, dir, db, args...)
		if r.code != 0 {
			t.Fatalf("prevent %v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
		return r
	}
	logged := func(r run, args ...string) {
		outputs = append(outputs, output{"prevent " + strings.Join(args, " ") + " (stdout)", []byte(r.stdout)},
			output{"prevent " + strings.Join(args, " ") + " (stderr)", []byte(r.stderr)})
	}
	for _, f := range demoStaff {
		mustRun("import", "staff", demoFile(f))
	}
	for _, f := range demoCompletions {
		mustRun("import", "completions", demoFile(f))
	}

	for _, args := range [][]string{
		{"return", "--quarter", "2026-27Q2", "--out", "return.xlsx"},
		{"return", "--quarter", "2026-27Q2", "--format", "csv", "--out", "return.csv"},
		{"return", "--quarter", "2026-27Q2", "--format", "csv"},
		{"return", "--quarter", "2026-27Q2", "--send"},
		{"remind", "--send"},
	} {
		logged(mustRun(args...), args...)
	}
	for _, f := range []string{"return.xlsx", "return.csv"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, unzipped(t, f, b)...)
		checkMode(t, filepath.Join(dir, f), 0o600)
	}

	// A scheduled import of a dropped file with a bad row, its person
	// named in full in the row.
	drop := filepath.Join(dir, "drop")
	if err := os.Mkdir(drop, 0o700); err != nil {
		t.Fatal(err)
	}
	var someone string
	for n := range pd.numbers {
		if !strings.Contains(n, "-") {
			someone = n
			break
		}
	}
	write(t, drop, "LMS completions 2026-11-20.csv", "Employee Number,Full Name,Email,Course Name,Completion Date\n"+
		someone+","+pd.names[0]+",,Preventing Radicalisation - Basic Prevent Awareness,20/11/2026\n"+
		someone+","+pd.names[1]+",,Preventing Radicalisation - Basic Prevent Awareness,31/02/2026\n")
	serve := startServe(t, dir, db)
	serve.waitFor(t, `msg="job finished"`, "job=import")
	serve.waitFor(t, `msg="job finished"`, "job=return")
	serve.stop(t, syscall.SIGTERM)
	if !strings.Contains(serve.log(), "LMS completions 2026-11-20.csv") {
		t.Errorf("the serve log does not mention the dropped file:\n%s", serve.log())
	}
	outputs = append(outputs, output{"prevent serve log", []byte(serve.log())})

	for _, args := range [][]string{{"audit", "--limit", "0"}, {"deliveries"}, {"jobs"}} {
		logged(mustRun(args...), args...)
	}

	returnEmails := 0
	emls, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
	for _, f := range emls {
		checkMode(t, f, 0o600)
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		head, parts := decodeEmail(t, filepath.Base(f), raw)
		if strings.HasPrefix(head.Get("X-Prevent-Delivery"), "return/") {
			returnEmails++
			for _, p := range parts {
				outputs = append(outputs, unzipped(t, p.label+" "+p.filename, p.data)...)
			}
		}
	}
	if returnEmails != 2 {
		t.Errorf("%d return emails in the outbox, want one per recipient (2)", returnEmails)
	}
	checkMode(t, filepath.Join(dir, "outbox"), 0o700)
	dbFiles, _ := filepath.Glob(filepath.Join(dir, "prevent.db*"))
	if len(dbFiles) == 0 {
		t.Error("no database file")
	}
	for _, f := range dbFiles {
		checkMode(t, f, 0o600)
	}

	if len(outputs) < 20 {
		t.Fatalf("only %d outputs scanned", len(outputs))
	}
	for _, o := range outputs {
		if found := pd.leaks(string(o.data)); len(found) > 0 {
			if len(found) > 5 {
				found = append(found[:5], fmt.Sprintf("and %d more", len(found)-5))
			}
			t.Errorf("%s holds personal data: %s", o.name, strings.Join(found, ", "))
		}
	}
}

// closedPort is a port on 127.0.0.1 where nothing listens.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// TestSMTPPasswordNeverShown sends through a mail server that is not there
// with a password set, and looks for the password everywhere it might be
// repeated: standard output and error, the serve log (debug level), the
// audit trail, the deliveries' last errors, the job history, and the
// database file itself.
func TestSMTPPasswordNeverShown(t *testing.T) {
	t.Parallel()
	const password = "pw-Zq8!unique-4711-secret"
	smtp := fmt.Sprintf("smtp: {host: 127.0.0.1, port: %d, username: prevent@trust.nhs.uk, password_env: PREVENT_SMTP_PASSWORD, from: prevent@trust.nhs.uk, tls: starttls}\n", closedPort(t))
	secretsNeverShown(t, smtp, []string{"PREVENT_SMTP_PASSWORD=" + password}, func() []string { return []string{password} })
}

// TestOAuthSecretsNeverShown is the same with auth: xoauth2: a token
// endpoint that grants tokens, and a mail server that is not there, so
// that every send holds a token and fails. Neither the client secret nor
// any token granted may show anywhere.
func TestOAuthSecretsNeverShown(t *testing.T) {
	t.Parallel()
	const secret = "cs-Zq8~unique-4712-client-secret"
	tokens := mailtest.StartTokenServer(t, "client-4712", secret, "https://outlook.office365.com/.default")
	smtp := fmt.Sprintf("smtp:\n  host: 127.0.0.1\n  port: %d\n  username: prevent@trust.nhs.uk\n  from: prevent@trust.nhs.uk\n  tls: starttls\n"+
		"  auth: xoauth2\n  oauth2: {token_url: %q, client_id: client-4712, client_secret_env: PREVENT_SMTP_CLIENT_SECRET, scope: \"https://outlook.office365.com/.default\"}\n",
		closedPort(t), tokens.URL)
	secretsNeverShown(t, smtp, []string{"PREVENT_SMTP_CLIENT_SECRET=" + secret}, func() []string {
		granted := tokens.Granted()
		if len(granted) < 3 {
			t.Errorf("only %d tokens granted: the sends did not get as far as a token", len(granted))
		}
		return append(granted, secret)
	})
}

// secretsNeverShown runs imports, sends and serve with the smtp block and
// environment given, then looks for each of secrets() everywhere.
func secretsNeverShown(t *testing.T, smtp string, env []string, secrets func() []string) {
	t.Helper()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	write(t, dir, "prevent.yaml", e2eConfig+e2eReminders+"schedule:\n  import_dir: drop\n"+smtp)
	env = append(env, "PREVENT_DEBUG=1")

	var seen []output
	for _, args := range [][]string{
		{"import", "staff", write(t, dir, "esr_staff_2026-09-30.csv", e2eStaff)},
		{"import", "completions", write(t, dir, "lms.csv", e2eCompletions)},
		{"return", "--quarter", "2026-27Q2", "--send"},
		{"remind", "--as-of", "2026-09-30", "--send"},
		{"return", "--quarter", "2026-27Q2", "--resend", "--reason", "corrected"},
		{"mail", "test"},
	} {
		r := preventEnv(t, dir, db, env, args...)
		seen = append(seen, output{strings.Join(args, " "), []byte(r.stdout + r.stderr)})
	}
	if r := string(seen[2].data); !strings.Contains(r, "failed") {
		t.Fatalf("the send through a closed port did not fail:\n%s", r)
	}
	serve := startServeEnv(t, dir, db, env)
	serve.waitFor(t, `msg="job finished"`, "job=import")
	serve.waitFor(t, `msg="job finished"`, "job=return") // its sends run into the closed port
	serve.stop(t, syscall.SIGTERM)
	seen = append(seen, output{"serve log", []byte(serve.log())})
	for _, args := range [][]string{{"audit", "--limit", "0"}, {"deliveries"}, {"jobs"}} {
		r := preventEnv(t, dir, db, env, args...)
		seen = append(seen, output{strings.Join(args, " "), []byte(r.stdout + r.stderr)})
	}
	files, _ := filepath.Glob(filepath.Join(dir, "prevent.db*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, output{filepath.Base(f), b})
	}
	for _, secret := range secrets() {
		for _, o := range seen {
			if bytes.Contains(o.data, []byte(secret)) || bytes.Contains(o.data, []byte(base64.StdEncoding.EncodeToString([]byte(secret)))) {
				t.Errorf("%s shows a secret (%.6s...)", o.name, secret)
			}
		}
	}
}
