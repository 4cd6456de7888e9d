// Package config owns the YAML config file of prevent: the Config struct,
// its defaults (all in Default), loading with line-numbered errors, and
// validation. Other packages read the settings from Config and the compiled
// matching rules from Policy.
package config

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/nhs-prevent/prevent/importers"
	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/glob"
)

// DefaultFile is the config file looked for in the working directory when
// neither --config nor PREVENT_CONFIG names one.
const DefaultFile = "prevent.yaml"

// Config is the whole config file. Every default is set in Default; Load
// starts from it and overwrites only the keys the file gives. A key given
// with no value (`threshold:`) counts as absent and keeps its default.
type Config struct {
	// Path is the file the config came from, "" for the built-in defaults.
	Path string `yaml:"-"`
	// Digest is the hex SHA-256 of the file's content as it was read.
	Digest string `yaml:"-"`

	Organisation string `yaml:"organisation"` // the provider's name on returns
	ODSCode      string `yaml:"ods_code"`     // its ODS code, e.g. RXX

	Threshold      float64 `yaml:"threshold"`       // share compliant to meet the target, in (0,1]
	RefresherYears int     `yaml:"refresher_years"` // years a completion lasts, 1..10
	DueSoonDays    int     `yaml:"due_soon_days"`   // window before the due date, 0..3650

	// Requirements map assignments to the level they require, first match
	// wins; an assignment no rule matches requires basic.
	Requirements []RequirementRule `yaml:"requirements"`
	// Courses map course names to the level they count for, first match
	// wins. Given in the file, the list replaces the default one.
	Courses []CourseRule `yaml:"courses"`
	Exclude Exclude      `yaml:"exclude"`

	// Columns are extra header aliases per import field (see ColumnFields);
	// they win over the built-in headers.
	Columns map[string][]string `yaml:"columns"`

	Return    Return    `yaml:"return"`
	Reminders Reminders `yaml:"reminders"`

	// SMTP is the mail server; nil when the file has no smtp block, and
	// then messages are written as .eml files to OutboxDir.
	SMTP      *SMTP  `yaml:"smtp"`
	OutboxDir string `yaml:"outbox_dir"`

	Schedule  Schedule  `yaml:"schedule"`
	Import    Import    `yaml:"import"`
	Retention Retention `yaml:"retention"`
	Web       Web       `yaml:"web"`

	// Providers and Collate are commissioner mode: the providers whose
	// quarterly returns are collated, and how.
	Providers []Provider `yaml:"providers"`
	Collate   Collate    `yaml:"collate"`

	// node is the file's root mapping, kept so that Validate can name the
	// line of a bad key. Nil for a config built in code.
	node *yaml.Node
}

// RequirementRule is one entry of `requirements:`. Within Match every field
// given must match (AND); within a field any pattern may match (OR).
type RequirementRule struct {
	Level string              `yaml:"level"`
	Match map[string][]string `yaml:"match"` // rule field -> patterns
}

// CourseRule is one entry of `courses:`.
type CourseRule struct {
	Level string   `yaml:"level"`
	Match []string `yaml:"match"` // course name patterns
	Link  string   `yaml:"link"`  // optional: where to book it, for reminders
}

// Exclude lists assignments that do not count towards the workforce.
type Exclude struct {
	AssignmentStatus []string `yaml:"assignment_status"` // patterns
}

// Return configures the quarterly return.
type Return struct {
	Recipients []string `yaml:"recipients"` // who `return --send` mails
	// SuppressBelow blanks counts smaller than it in the return (small
	// number suppression); 0 suppresses nothing.
	SuppressBelow int `yaml:"suppress_below"`
}

// Reminders configures `prevent remind`.
type Reminders struct {
	Leads []Lead `yaml:"leads"`
	// Managers also mails each person's line manager (manager_email column)
	// about their own team.
	Managers bool `yaml:"managers"`
	// Staff lists days before the due date on which the person themself is
	// reminded (e.g. [60, 14]); empty sends no staff reminders.
	Staff []int `yaml:"staff_days"`
}

// Lead is a Prevent lead who is sent the reminder list for the
// organisations matching Organisation (a pattern, default "*": everyone).
type Lead struct {
	Email        string `yaml:"email"`
	Organisation string `yaml:"organisation"`
}

// SMTP is the outgoing mail server.
type SMTP struct {
	Host     string `yaml:"host"`
	Port     int    `yaml:"port"` // default 587, or 465 when TLS is "tls"
	Username string `yaml:"username"`
	// PasswordEnv names the environment variable holding the password, so
	// the password never sits in the file.
	PasswordEnv string `yaml:"password_env"`
	From        string `yaml:"from"`
	TLS         string `yaml:"tls"` // starttls (default), tls or none
}

// TLS modes of SMTP.TLS.
const (
	TLSStartTLS = "starttls"
	TLSImplicit = "tls"
	TLSNone     = "none"
)

// Schedule configures the jobs `prevent serve` runs. Each job is a cron
// spec ("0 6 * * *", or a descriptor such as "@daily"); "" turns the job
// off.
type Schedule struct {
	ImportDir string `yaml:"import_dir"` // where dropped extracts are picked up
	Import    string `yaml:"import"`     // import the files in ImportDir
	Reminders string `yaml:"reminders"`  // send reminders
	Return    string `yaml:"return"`     // send the last quarter's return once due

	// Commissioner mode (providers: configured): where providers' returns
	// are saved from the collate.imap mailbox or dropped by hand, when to
	// collate them, and when to chase the providers whose return is missing
	// once the submission window has closed.
	CollateDir string `yaml:"collate_dir"`
	Collate    string `yaml:"collate"`
	Chase      string `yaml:"chase"`
}

// Import configures unattended imports.
type Import struct {
	Notify []string `yaml:"notify"` // told by email when a dropped file fails
	// MaxFileMB refuses an extract larger than this many MB; 0 takes the
	// importers' default (2 GB).
	MaxFileMB int `yaml:"max_file_mb"`
}

// Limits are the importers' resource limits from import:.
func (c *Config) Limits() importers.Limits {
	return importers.Limits{MaxFileBytes: int64(c.Import.MaxFileMB) << 20}
}

// Retention configures how long history is kept.
type Retention struct {
	Years int `yaml:"years"` // 0 keeps everything forever
}

// Web configures the dashboard of `prevent serve`: who may sign in. With
// neither users nor a proxy header the dashboard only listens on loopback
// addresses. Give one or the other, not both.
type Web struct {
	// Users sign in with a name and password at /login.
	Users []WebUser `yaml:"users"`
	// ProxyHeader names the request header in which a trusted reverse
	// proxy (one that authenticates people, e.g. with the organisation's
	// single sign-on) passes the signed-in user. Every request without it
	// is refused. The dashboard must then be reachable only through that
	// proxy, and the proxy must overwrite the header on every request.
	ProxyHeader string `yaml:"proxy_header"`
}

// WebUser is one dashboard user.
type WebUser struct {
	Name string `yaml:"name"`
	// PasswordHash is the bcrypt hash of the password ($2a$, $2b$ or $2y$),
	// e.g. from `htpasswd -nbBC 12 "" PASSWORD | tr -d ':\n'`; the
	// password itself never sits in the file.
	PasswordHash string `yaml:"password_hash"`
}

// AuthConfigured reports whether the dashboard has a way to sign people
// in: users or a proxy header.
func (w Web) AuthConfigured() bool { return len(w.Users) > 0 || strings.TrimSpace(w.ProxyHeader) != "" }

// Default is the config used when there is no file, and the base every file
// is laid over:
//
//	organisation: ""            ods_code: ""
//	threshold: 0.85             refresher_years: 3     due_soon_days: 90
//	requirements: []            (everyone requires basic)
//	courses: see DefaultCourses
//	exclude.assignment_status: [] (every assignment counts)
//	columns: {}                 return.recipients: []  return.suppress_below: 0
//	reminders: no leads, managers false, staff_days []
//	smtp: absent                outbox_dir: outbox
//	schedule: import_dir drop, import "0 6 * * *", reminders "0 7 1 * *",
//	          return "0 8 * * *"; with providers: collate_dir returns,
//	          collate "0 9 * * *", chase "0 10 * * *"
//	import.notify: []           retention.years: 0 (keep forever)
//	web: no users, no proxy_header (the dashboard listens on loopback only)
//	providers: []              collate.deadline_working_days: 15, collate.imap: absent
func Default() *Config {
	return &Config{
		Threshold:      0.85,
		RefresherYears: 3,
		DueSoonDays:    90,
		Courses:        DefaultCourses(),
		OutboxDir:      "outbox",
		Collate:        Collate{DeadlineWorkingDays: DefaultDeadlineWorkingDays},
		Schedule: Schedule{
			ImportDir: "drop",
			Import:    "0 6 * * *", // 06:00 daily, after the overnight ESR extract
			Reminders: "0 7 1 * *", // 07:00 on the 1st of each month
			Return:    "0 8 * * *", // daily check; each return is sent once

			CollateDir: "returns",
			Collate:    "0 9 * * *",  // daily: providers' returns, fetched and collated
			Chase:      "0 10 * * *", // daily once the window has closed; each contact chased once
		},
	}
}

// DefaultCourses is the course list used when the file gives none. The
// patterns avoid a bare "*Prevent*", which would also catch "Infection
// Prevention and Control": "Prevent " with its space keeps "Prevention"
// out. ESR competences such as
// "NHS|CSTF|Preventing Radicalisation - Basic Prevent Awareness - 3 Years|"
// and "NHS|MAND|Prevent Level 3 - 3 Years|" are caught.
func DefaultCourses() []CourseRule {
	return []CourseRule{
		{Level: "face_to_face", Match: []string{
			"*WRAP*", // Workshop to Raise Awareness of Prevent
			"*Workshop to Raise Awareness of Prevent*",
			"*Prevent *Face to Face*",
			"*Prevent *Face-to-Face*",
		}},
		{Level: "level3", Match: []string{
			"*Prevent *Level 3*",
			"*Radicali?ation*Level 3*",
		}},
		{Level: "basic", Match: []string{
			"*Prevent Awareness*",
			"*Basic Prevent*",
			"*Prevent *Level 1*",
			"*Prevent *Level 2*",
			// Any other Preventing Radicalisation course: the level 3 and
			// face-to-face ones were caught above.
			"*Radicali?ation*",
		}},
	}
}

// ColumnFields are the import fields `columns:` may give aliases for.
var ColumnFields = importers.FieldNames()

// Load reads a config file, lays it over Default and validates it. Every
// mistake, from a YAML syntax error to an unknown key or a bad pattern, is
// returned as an *Error naming the file, line and key.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &Error{File: path, Msg: "cannot read the config file: " + err.Error()}
	}
	return parse(path, data)
}

// Resolve finds the config the contract's way: flagPath (the --config flag,
// already merged with PREVENT_CONFIG by the caller) when given, else
// prevent.yaml in the working directory when present, else Default.
func Resolve(flagPath string) (*Config, error) {
	if flagPath != "" {
		return Load(flagPath)
	}
	if _, err := os.Stat(DefaultFile); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return Load(DefaultFile)
	}
	return Default(), nil
}

func parse(file string, data []byte) (*Config, error) {
	c := Default()
	c.Path = file
	sum := sha256.Sum256(data)
	c.Digest = hex.EncodeToString(sum[:])
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, syntaxError(file, err)
	}
	if len(doc.Content) > 0 {
		c.node = resolveAlias(doc.Content[0])
		d := decoder{file: file}
		if err := d.decode(c.node, reflect.ValueOf(c).Elem(), nil); err != nil {
			return nil, err
		}
	}
	c.normalize()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// normalize fills in the defaults that depend on other keys.
func (c *Config) normalize() {
	c.normalizeProviders()
	for i := range c.Reminders.Leads {
		if c.Reminders.Leads[i].Organisation == "" {
			c.Reminders.Leads[i].Organisation = "*"
		}
	}
	if s := c.SMTP; s != nil {
		s.TLS = normalTLS(s.TLS)
		if s.Port == 0 {
			s.Port = 587
			if s.TLS == TLSImplicit {
				s.Port = 465
			}
		}
	}
}

// Policy returns the compiled rules the compliance engine needs. Call it on
// a validated config: patterns that do not compile are left out.
func (c *Config) Policy() compliance.Policy {
	p, _ := c.compile()
	return p
}

// Aliases returns the extra header aliases per import field (a copy),
// keyed by the field's name: a synonym key such as "completion_date" is
// given as "completed", its aliases after those of the field's own key.
func (c *Config) Aliases() map[string][]string {
	out := make(map[string][]string, len(c.Columns))
	keys := make([]string, 0, len(c.Columns))
	for k := range c.Columns {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		ca, _ := importers.CanonicalField(keys[a])
		cb, _ := importers.CanonicalField(keys[b])
		if (ca == keys[a]) != (cb == keys[b]) {
			return ca == keys[a] // the field's own name first
		}
		return keys[a] < keys[b]
	})
	for _, k := range keys {
		field, ok := importers.CanonicalField(k)
		if !ok {
			field = k
		}
		out[field] = append(out[field], c.Columns[k]...)
	}
	return out
}

// MailFrom is the From address of outgoing mail: smtp.from, or "" (the
// sender's default) without an smtp: block.
func (c *Config) MailFrom() string {
	if c.SMTP == nil {
		return ""
	}
	return c.SMTP.From
}

// SMTPPassword reads the SMTP password from the environment variable named
// by smtp.password_env; "" when there is none.
func (c *Config) SMTPPassword() string {
	if c.SMTP == nil || c.SMTP.PasswordEnv == "" {
		return ""
	}
	return os.Getenv(c.SMTP.PasswordEnv)
}

// Covers reports whether the lead's organisation pattern covers org.
func (l Lead) Covers(org string) bool {
	pat := l.Organisation
	if pat == "" {
		pat = "*"
	}
	p, err := glob.Compile(pat)
	return err == nil && p.Match(org)
}
