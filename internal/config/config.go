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
	"net/netip"
	"os"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/nhs-prevent/prevent/importers"
	"github.com/nhs-prevent/prevent/internal/activity"
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

	// NewStarterDays gives a new starter that many days from their start
	// date to train before they count (0: off).
	NewStarterDays int `yaml:"new_starter_days"`
	// RAG colours every rate red, amber or green; nil: no colours.
	RAG *RAG `yaml:"rag"`
	// AnnualUpdate is the annual-update measure; nil: not tracked.
	AnnualUpdate *AnnualUpdate `yaml:"annual_update"`

	// Columns are extra header aliases per import field (see ColumnFields);
	// they win over the built-in headers.
	Columns map[string][]string `yaml:"columns"`

	Return    Return    `yaml:"return"`
	Reminders Reminders `yaml:"reminders"`

	// Report and TrainingPlan are the annual report to the board: who it
	// is emailed to, and the face-to-face capacity its plan is set against
	// (nil when not configured).
	Report       Report        `yaml:"report"`
	TrainingPlan *TrainingPlan `yaml:"training_plan"`

	// SMTP is the mail server; nil when the file has no smtp block, and
	// then messages are written as .eml files to OutboxDir.
	SMTP      *SMTP  `yaml:"smtp"`
	OutboxDir string `yaml:"outbox_dir"`

	Schedule  Schedule  `yaml:"schedule"`
	Import    Import    `yaml:"import"`
	Retention Retention `yaml:"retention"`
	Web       Web       `yaml:"web"`

	// PreventLead is the provider's identified Prevent lead, named on the
	// return's Prevent lead sheet; a change of lead is notified to
	// return.recipients (NHS Standard Contract SC32.8). Nil when absent.
	PreventLead *PreventLead `yaml:"prevent_lead"`
	// AccountableLead is the executive accountable for Prevent; nil when
	// absent.
	AccountableLead *AccountableLead `yaml:"accountable_lead"`

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

// RAG is the red, amber and green bands of a rate: red below RedBelow,
// amber from there to below the threshold, green at or above it.
type RAG struct {
	RedBelow float64 `yaml:"red_below"` // in (0, threshold]
}

// AnnualUpdate is the annual-update measure: people requiring one of
// Levels whose latest update (a course matching Courses) or qualifying
// completion is more than Months old are due an update.
type AnnualUpdate struct {
	Months  int      `yaml:"months"`  // default 12
	Levels  []string `yaml:"levels"`  // default every level
	Courses []string `yaml:"courses"` // course name patterns
}

// Return configures the quarterly return.
type Return struct {
	Recipients []string `yaml:"recipients"` // who `return --send` mails
	// SuppressBelow blanks counts smaller than it in the return (small
	// number suppression); 0 suppresses nothing.
	SuppressBelow int `yaml:"suppress_below"`
	// By is the key the return's rows group by (default organisation; see
	// compliance.GroupKeys). The header stays; the value goes under
	// organisation.
	By string `yaml:"by"`
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
	// AllowedDomains, when given, are the only domains a manager or staff
	// address from the staff extract may have (e.g. [trust.nhs.uk,
	// nhs.net]); a reminder list is never sent elsewhere. Empty allows any
	// bare address. Either way an address in the display-name form
	// ("Name <addr>") or a list of addresses is never used.
	AllowedDomains []string `yaml:"allowed_domains"`
}

// Lead is a Prevent lead who is sent the reminder list for the
// organisations matching Organisation (a pattern, default "*": everyone).
type Lead struct {
	Email        string `yaml:"email"`
	Organisation string `yaml:"organisation"`
}

// PreventLead is the `prevent_lead:` block.
type PreventLead struct {
	Name  string `yaml:"name"`
	Email string `yaml:"email"`
	Phone string `yaml:"phone"`
}

// AccountableLead is the `accountable_lead:` block.
type AccountableLead struct {
	Name  string `yaml:"name"`
	Email string `yaml:"email"`
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
	// Auth is how prevent signs in: password, xoauth2 or none; when not
	// given, password with a username and none without (see ResolveAuth).
	Auth string `yaml:"auth"`
	// OAuth2 gets the token for auth: xoauth2.
	OAuth2 *OAuth2 `yaml:"oauth2"`
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
	// AnnualReport sends the last financial year's annual report to
	// report.recipients once the year is over (only when there are some).
	AnnualReport string `yaml:"annual_report"`

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
	// TrustedProxies are the addresses (IPs or CIDRs) of the reverse
	// proxies in front of the dashboard: only a request from one of them
	// may name its user in ProxyHeader, and only theirs is the
	// X-Forwarded-For header believed (to tell one person's failed
	// sign-ins from another's behind the proxy). Empty means loopback
	// (127.0.0.0/8 and ::1) alone.
	TrustedProxies []string `yaml:"trusted_proxies"`
}

// loopbackProxies is what TrustedProxies holds when not given.
var loopbackProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// Proxies are the trusted proxies' address ranges: loopback when none are
// given. Entries that do not parse are left out (Validate refuses them).
func (w Web) Proxies() []netip.Prefix {
	if len(w.TrustedProxies) == 0 {
		return loopbackProxies
	}
	var out []netip.Prefix
	for _, v := range w.TrustedProxies {
		if p, err := parseProxy(v); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// parseProxy reads an address or a CIDR range as a range.
func parseProxy(v string) (netip.Prefix, error) {
	v = strings.TrimSpace(v)
	if strings.Contains(v, "/") {
		p, err := netip.ParsePrefix(v)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// WebUser is one dashboard user.
type WebUser struct {
	Name string `yaml:"name"`
	// PasswordHash is the bcrypt hash of the password ($2a$, $2b$ or $2y$),
	// e.g. from `htpasswd -nbBC 12 "" PASSWORD | tr -d ':\n'`; the
	// password itself never sits in the file.
	PasswordHash string `yaml:"password_hash"`
}

// MaxUserName is the longest dashboard user name, in bytes.
const MaxUserName = 128

// UserKey is a user name as names are compared: trimmed and case-folded.
// The sign-in form, its lock-out and the check for a name given twice all
// compare by it, so that no spelling ("ſarah" with a long s, "SARAH")
// reaches a user by one rule and escapes their lock-out by another.
func UserKey(name string) string {
	return strings.ToLower(strings.ToUpper(strings.TrimSpace(name)))
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
//	new_starter_days: 0 (off)   rag: absent            annual_update: absent
//	(annual_update given: months 12, levels every level)  return.by: organisation
//	columns: {}                 return.recipients: []  return.suppress_below: 0
//	reminders: no leads, managers false, staff_days []
//	smtp: absent                outbox_dir: outbox
//	schedule: import_dir drop, import "0 6 * * *", reminders "0 7 1 * *",
//	          return "0 8 * * *", annual_report "0 8 * * *" (with
//	          report.recipients); with providers: collate_dir returns,
//	          collate "0 9 * * *", chase "0 10 * * *"
//	report.recipients: []       training_plan: absent
//	import.notify: []           retention.years: 0 (keep forever)
//	web: no users, no proxy_header (the dashboard listens on loopback only),
//	     trusted_proxies: loopback (127.0.0.0/8, ::1)
//	providers: []              collate.deadline_working_days: 15, collate.imap: absent
//	smtp.auth and collate.imap.auth: password when a username is given, else none
//	collate.imap.tls: tls (port 993; 143 with starttls or none)
//	prevent_lead, accountable_lead: absent (no referrals section unless a log is imported)
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

			AnnualReport: "0 8 * * *", // daily check; each year's report is sent once

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
	if c.AnnualUpdate != nil && c.AnnualUpdate.Months == 0 {
		c.AnnualUpdate.Months = 12
	}
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

// ReturnBy is the key the return's rows group by (return.by, default
// organisation).
func (c *Config) ReturnBy() compliance.GroupKey {
	k, err := compliance.ParseGroupKey(c.Return.By)
	if err != nil {
		return compliance.ByOrganisation
	}
	return k
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

// Lead is the configured Prevent lead, the zero Lead when there is none.
func (c *Config) Lead() activity.Lead {
	if c.PreventLead == nil {
		return activity.Lead{}
	}
	return activity.Lead{Name: c.PreventLead.Name, Email: c.PreventLead.Email, Phone: c.PreventLead.Phone}
}

// Accountable is the configured accountable lead (no phone), the zero Lead
// when there is none.
func (c *Config) Accountable() activity.Lead {
	if c.AccountableLead == nil {
		return activity.Lead{}
	}
	return activity.Lead{Name: c.AccountableLead.Name, Email: c.AccountableLead.Email}
}
