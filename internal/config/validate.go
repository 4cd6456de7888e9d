package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/robfig/cron/v3"
	"golang.org/x/crypto/bcrypt"

	"github.com/nhs-prevent/prevent/importers"
	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/glob"
)

// Validate checks every value and returns the first mistake as an *Error
// naming its key (and, for a loaded file, its line).
func (c *Config) Validate() error {
	for _, check := range []func() *Error{
		c.validateProvider,
		c.validateNumbers,
		func() *Error { _, err := c.compile(); return err },
		c.validateColumns,
		c.validateMail,
		c.validateSchedule,
		c.validateRetention,
		c.validateWeb,
		c.validateProviders,
		c.validateAnnualReport,
		c.validateLeads,
	} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) errorf(p path, format string, args ...any) *Error {
	return &Error{File: c.Path, Line: lineOf(c.node, p), Key: p.String(), Msg: fmt.Sprintf(format, args...)}
}

func (c *Config) validateProvider() *Error {
	if c.ODSCode != "" && !isODSCode(c.ODSCode) {
		return c.errorf(path{"ods_code"}, "%q is not an ODS code (letters and digits, e.g. RXX)", c.ODSCode)
	}
	return nil
}

func (c *Config) validateNumbers() *Error {
	if !(c.Threshold > 0 && c.Threshold <= 1) {
		msg := fmt.Sprintf("%s is outside 0-1", fmtFloat(c.Threshold))
		switch {
		case c.Threshold >= 10 && c.Threshold <= 100: // a percentage, surely
			msg += fmt.Sprintf(" (write %s for %s%%)", fmtFloat(c.Threshold/100), fmtFloat(c.Threshold))
		case c.Threshold <= 0:
			msg += " (it must be more than 0, e.g. 0.85)"
		}
		return c.errorf(path{"threshold"}, "%s", msg)
	}
	if c.RefresherYears < 1 || c.RefresherYears > 10 {
		return c.errorf(path{"refresher_years"}, "%d is outside 1-10", c.RefresherYears)
	}
	if c.DueSoonDays < 0 || c.DueSoonDays > 3650 {
		return c.errorf(path{"due_soon_days"}, "%d is outside 0-3650", c.DueSoonDays)
	}
	if c.Import.MaxFileMB < 0 {
		return c.errorf(path{"import", "max_file_mb"}, "%d is negative (0 takes the default, 2048)", c.Import.MaxFileMB)
	}
	if c.NewStarterDays < 0 || c.NewStarterDays > 3650 {
		return c.errorf(path{"new_starter_days"}, "%d is outside 0-3650 (days from the start date; 0 turns it off)", c.NewStarterDays)
	}
	if c.RAG != nil && !(c.RAG.RedBelow > 0 && c.RAG.RedBelow <= c.Threshold) {
		return c.errorf(path{"rag", "red_below"}, "%s is outside (0, %s]: it must be more than 0 and at most the threshold (e.g. 0.75)",
			fmtFloat(c.RAG.RedBelow), fmtFloat(c.Threshold))
	}
	if u := c.AnnualUpdate; u != nil && (u.Months < 1 || u.Months > 120) {
		return c.errorf(path{"annual_update", "months"}, "%d is outside 1-120", u.Months)
	}
	if _, err := compliance.ParseGroupKey(c.Return.By); err != nil {
		return c.errorf(path{"return", "by"}, "%s", err)
	}
	if c.Return.SuppressBelow < 0 {
		return c.errorf(path{"return", "suppress_below"}, "%d is negative (0 suppresses nothing)", c.Return.SuppressBelow)
	}
	for i, days := range c.Reminders.Staff {
		if days < 0 || days > 3650 {
			return c.errorf(path{"reminders", "staff_days", i}, "%d is outside 0-3650 (days before the due date)", days)
		}
	}
	return nil
}

// compile builds the engine's policy, returning the first bad rule as an
// *Error. It compiles every rule it can, so Policy can use the result.
func (c *Config) compile() (compliance.Policy, *Error) {
	p := compliance.Policy{
		RefresherYears: c.RefresherYears,
		DueSoonDays:    c.DueSoonDays,
		Threshold:      c.Threshold,
	}
	var first *Error
	fail := func(e *Error) {
		if first == nil {
			first = e
		}
	}
	for i, r := range c.Requirements {
		at := path{"requirements", i}
		level, err := c.level(r.Level, at)
		if err != nil {
			fail(err)
			continue
		}
		if len(r.Match) == 0 {
			fail(c.errorf(at.with("match"), "no fields given (want one or more of %s)", ruleFieldList()))
			continue
		}
		rule := compliance.Rule{Level: level, Match: map[compliance.Field]glob.Set{}}
		ok := true
		for _, name := range fileOrder(c, r.Match, at.with("match")) {
			fp := at.with("match").with(name)
			if !slices.Contains(compliance.RuleFields, compliance.Field(name)) {
				fail(c.errorf(fp, "unknown field %q (want %s)", name, ruleFieldList()))
				ok = false
				continue
			}
			set, err := c.patterns(r.Match[name], fp)
			if err != nil {
				fail(err)
				ok = false
				continue
			}
			rule.Match[compliance.Field(name)] = set
		}
		if ok {
			p.Requirements = append(p.Requirements, rule)
		}
	}
	for i, r := range c.Courses {
		at := path{"courses", i}
		level, err := c.level(r.Level, at)
		if err != nil {
			fail(err)
			continue
		}
		set, err := c.patterns(r.Match, at.with("match"))
		if err != nil {
			fail(err)
			continue
		}
		if r.Link != "" {
			if u, perr := url.Parse(r.Link); perr != nil || !slices.Contains([]string{"http", "https", "mailto"}, u.Scheme) || (u.Scheme != "mailto" && u.Host == "") {
				fail(c.errorf(at.with("link"), "%q is not a web address (want https://...)", r.Link))
				continue
			}
		}
		p.Courses = append(p.Courses, compliance.CourseRule{Level: level, Match: set, Link: r.Link})
	}
	p.NewStarterDays = c.NewStarterDays
	if c.RAG != nil {
		p.RedBelow = c.RAG.RedBelow
	}
	if u := c.AnnualUpdate; u != nil {
		au, err := c.annualUpdate(u)
		if err != nil {
			fail(err)
		} else {
			p.AnnualUpdate = au
		}
	}
	if len(c.Exclude.AssignmentStatus) > 0 {
		set, err := c.patterns(c.Exclude.AssignmentStatus, path{"exclude", "assignment_status"})
		if err != nil {
			fail(err)
		} else {
			p.Exclude = set
		}
	}
	return p, first
}

// annualUpdate compiles the annual_update block.
func (c *Config) annualUpdate(u *AnnualUpdate) (*compliance.AnnualUpdate, *Error) {
	au := &compliance.AnnualUpdate{Months: u.Months}
	for i, name := range u.Levels {
		l, err := compliance.ParseLevel(name)
		if err != nil {
			return nil, c.errorf(path{"annual_update", "levels", i}, "%s", err)
		}
		au.Levels = append(au.Levels, l)
	}
	if len(u.Levels) == 0 {
		au.Levels = append(au.Levels, compliance.Levels...)
	}
	if len(u.Courses) > 0 {
		set, err := c.patterns(u.Courses, path{"annual_update", "courses"})
		if err != nil {
			return nil, err
		}
		au.Courses = set
	}
	return au, nil
}

func (c *Config) level(name string, at path) (compliance.Level, *Error) {
	if strings.TrimSpace(name) == "" {
		return compliance.LevelNone, c.errorf(at.with("level"), "no level given (want basic, level3 or face_to_face)")
	}
	level, err := compliance.ParseLevel(name)
	if err != nil {
		return level, c.errorf(at.with("level"), "%s", err)
	}
	return level, nil
}

// patterns compiles a list of patterns, naming the first bad one by index.
func (c *Config) patterns(list []string, at path) (glob.Set, *Error) {
	if len(list) == 0 {
		return nil, c.errorf(at, "no patterns given")
	}
	set := make(glob.Set, 0, len(list))
	for i, src := range list {
		pat, err := glob.Compile(src)
		if err != nil {
			return nil, c.errorf(at.with(i), "bad pattern: %s", err)
		}
		set = append(set, pat)
	}
	return set, nil
}

func (c *Config) validateColumns() *Error {
	for _, field := range fileOrder(c, c.Columns, path{"columns"}) {
		at := path{"columns", field}
		// A field may also be named by a synonym ("completion_date",
		// "person_number", any case): Aliases gives it its field's name.
		if _, ok := importers.CanonicalField(field); !ok {
			return c.errorf(at, "unknown field %q (want %s)", field, strings.Join(ColumnFields, ", "))
		}
		for i, alias := range c.Columns[field] {
			if strings.TrimSpace(alias) == "" {
				return c.errorf(at.with(i), "empty header name")
			}
		}
	}
	return nil
}

func (c *Config) validateMail() *Error {
	lists := []struct {
		at   path
		list []string
	}{
		{path{"return", "recipients"}, c.Return.Recipients},
		{path{"import", "notify"}, c.Import.Notify},
	}
	for _, l := range lists {
		for i, addr := range l.list {
			if !isAddress(addr) {
				return c.errorf(l.at.with(i), "%q is not an email address", addr)
			}
		}
	}
	for i, lead := range c.Reminders.Leads {
		at := path{"reminders", "leads", i}
		if strings.TrimSpace(lead.Email) == "" {
			return c.errorf(at.with("email"), "no email address given")
		}
		if !isAddress(lead.Email) {
			return c.errorf(at.with("email"), "%q is not an email address", lead.Email)
		}
		if lead.Organisation != "" {
			if _, err := glob.Compile(lead.Organisation); err != nil {
				return c.errorf(at.with("organisation"), "bad pattern: %s", err)
			}
		}
	}
	if err := c.validateAllowedDomains(); err != nil {
		return err
	}
	if s := c.SMTP; s != nil {
		if strings.TrimSpace(s.From) == "" {
			// No sender given: the mailbox signed in as, as NHSmail
			// requires, else prevent at the mail server's host.
			if _, err := mail.ParseAddress(s.Username); err == nil && strings.Contains(s.Username, "@") {
				s.From = strings.TrimSpace(s.Username)
			} else if h := strings.TrimSpace(s.Host); h != "" {
				if net.ParseIP(h) != nil {
					h = "localhost" // an address is no mail domain
				}
				s.From = "prevent@" + h
			}
		}
		switch {
		case strings.TrimSpace(s.Host) == "":
			return c.errorf(path{"smtp", "host"}, "no mail server given")
		case s.Port < 0 || s.Port > 65535:
			return c.errorf(path{"smtp", "port"}, "%d is not a port number (want e.g. 587)", s.Port)
		case !slices.Contains([]string{TLSStartTLS, TLSImplicit, TLSNone}, normalTLS(s.TLS)):
			return c.errorf(path{"smtp", "tls"}, "unknown mode %q (want starttls, tls or none)", s.TLS)
		case strings.TrimSpace(s.From) == "":
			return c.errorf(path{"smtp", "from"}, "no sender address given")
		}
		if _, err := mail.ParseAddress(s.From); err != nil {
			return c.errorf(path{"smtp", "from"}, "%q is not an email address", s.From)
		}
		if err := c.validateSignIn(path{"smtp"}, signIn{auth: s.Auth, username: s.Username, passwordEnv: s.PasswordEnv,
			host: s.Host, tls: normalTLS(s.TLS), oauth2: s.OAuth2}); err != nil {
			return err
		}
	}
	if strings.TrimSpace(c.OutboxDir) == "" {
		return c.errorf(path{"outbox_dir"}, "no directory given (default outbox)")
	}
	return nil
}

// isAddress accepts a bare email address such as prevent.lead@example.nhs.net.
func isAddress(s string) bool {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

// AllowsAddress reports whether a manager or staff address from the staff
// extract may be sent a reminder: a bare address (never "Name <addr>", a
// list, or a quoted or routed form) and, when allowed_domains is given,
// in one of those domains (any case).
func (r Reminders) AllowsAddress(addr string) bool {
	addr = strings.TrimSpace(addr)
	if !isAddress(addr) || strings.ContainsAny(addr, "\"<>,;:[]() ") {
		return false
	}
	if len(r.AllowedDomains) == 0 {
		return true
	}
	domain := addr[strings.LastIndexByte(addr, '@')+1:]
	for _, d := range r.AllowedDomains {
		if strings.EqualFold(strings.TrimSpace(d), domain) {
			return true
		}
	}
	return false
}

// domainPattern is a domain name as allowed_domains takes it.
var domainPattern = regexp.MustCompile(`^(?i:[a-z0-9]([a-z0-9-]*[a-z0-9])?)(\.(?i:[a-z0-9]([a-z0-9-]*[a-z0-9])?))+$`)

// validateAllowedDomains checks reminders.allowed_domains, and that each
// lead's address is in one of them: a lead gets a staff list too.
func (c *Config) validateAllowedDomains() *Error {
	for i, d := range c.Reminders.AllowedDomains {
		if !domainPattern.MatchString(strings.TrimSpace(d)) {
			return c.errorf(path{"reminders", "allowed_domains", i}, "%q is not a domain name (write it as trust.nhs.uk, without @)", d)
		}
	}
	for i, lead := range c.Reminders.Leads {
		if isAddress(lead.Email) && !c.Reminders.AllowsAddress(lead.Email) {
			return c.errorf(path{"reminders", "leads", i, "email"}, "%q is not in reminders.allowed_domains (%s)", lead.Email, strings.Join(c.Reminders.AllowedDomains, ", "))
		}
	}
	return nil
}

func normalTLS(mode string) string {
	if strings.TrimSpace(mode) == "" {
		return TLSStartTLS
	}
	return strings.ToLower(strings.TrimSpace(mode))
}

func (c *Config) validateSchedule() *Error {
	if strings.TrimSpace(c.Schedule.ImportDir) == "" {
		return c.errorf(path{"schedule", "import_dir"}, "no directory given (default drop)")
	}
	if strings.TrimSpace(c.Schedule.Collate) != "" && strings.TrimSpace(c.Schedule.CollateDir) == "" {
		return c.errorf(path{"schedule", "collate_dir"}, "no directory given (default returns)")
	}
	for _, job := range []struct{ key, spec string }{
		{"import", c.Schedule.Import},
		{"reminders", c.Schedule.Reminders},
		{"return", c.Schedule.Return},
		{"collate", c.Schedule.Collate},
		{"chase", c.Schedule.Chase},
		{"annual_report", c.Schedule.AnnualReport},
	} {
		if strings.TrimSpace(job.spec) == "" {
			continue // the job is off
		}
		if _, err := cron.ParseStandard(job.spec); err != nil {
			return c.errorf(path{"schedule", job.key}, "bad cron spec %q: %s (want e.g. \"0 6 * * *\" or \"@daily\")", job.spec, err)
		}
	}
	return nil
}

func (c *Config) validateRetention() *Error {
	y := c.Retention.Years
	switch {
	case y < 0 || y > 100:
		return c.errorf(path{"retention", "years"}, "%d is outside 0-100 (0 keeps everything)", y)
	case y > 0 && y < c.RefresherYears:
		// Deleting completions younger than the refresher period would turn
		// compliant people into "never".
		return c.errorf(path{"retention", "years"}, "%d is shorter than refresher_years (%d), so completions still in date would be deleted", y, c.RefresherYears)
	}
	return nil
}

// bcryptPrefixes are the bcrypt hash versions golang.org/x/crypto/bcrypt
// reads ($2y$ is what htpasswd writes).
var bcryptPrefixes = []string{"$2a$", "$2b$", "$2y$"}

func (c *Config) validateWeb() *Error {
	w := c.Web
	if len(w.Users) > 0 && strings.TrimSpace(w.ProxyHeader) != "" {
		return c.errorf(path{"web", "proxy_header"}, "give web.users or web.proxy_header, not both")
	}
	seen := map[string]int{}
	for i, u := range w.Users {
		at := path{"web", "users", i}
		name := strings.TrimSpace(u.Name)
		switch {
		case name == "":
			return c.errorf(at.with("name"), "no name given")
		case strings.ContainsFunc(name, func(r rune) bool { return r < ' ' || r == 0x7f }):
			return c.errorf(at.with("name"), "%q has a control character", u.Name)
		case len(name) > MaxUserName:
			return c.errorf(at.with("name"), "the name is longer than %d characters", MaxUserName)
		}
		if first, dup := seen[UserKey(name)]; dup {
			return c.errorf(at.with("name"), "%q is given twice (first as web.users[%d])", u.Name, first)
		}
		seen[UserKey(name)] = i
		if err := checkBcrypt(u.PasswordHash); err != "" {
			return c.errorf(at.with("password_hash"), "%s (make one with: htpasswd -nbBC 12 \"\" 'PASSWORD' | tr -d ':\\n')", err)
		}
	}
	if h := w.ProxyHeader; h != "" && !isHeaderName(h) {
		return c.errorf(path{"web", "proxy_header"}, "%q is not a header name (want e.g. X-Forwarded-User)", h)
	}
	for i, v := range w.TrustedProxies {
		if _, err := parseProxy(v); err != nil {
			return c.errorf(path{"web", "trusted_proxies", i}, "%q is not an IP address or CIDR range (want e.g. 10.20.0.5 or 10.20.0.0/24)", v)
		}
	}
	return nil
}

// checkBcrypt says what is wrong with a bcrypt hash, "" when nothing is.
func checkBcrypt(hash string) string {
	switch {
	case hash == "":
		return "no password hash given"
	case !slices.ContainsFunc(bcryptPrefixes, func(p string) bool { return strings.HasPrefix(hash, p) }):
		return "not a bcrypt hash (want $2a$, $2b$ or $2y$...; never the password itself)"
	}
	cost, err := bcrypt.Cost([]byte(hash))
	if err != nil || len(hash) != 60 {
		return "not a whole bcrypt hash (want 60 characters, e.g. $2y$12$...)"
	}
	if cost < 10 {
		return fmt.Sprintf("bcrypt cost %d is too low (want 10 or more)", cost)
	}
	return ""
}

// isHeaderName reports whether s is an HTTP header field name (RFC 9110
// token).
func isHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", r)) {
			return false
		}
	}
	return true
}

func ruleFieldList() string {
	names := make([]string, len(compliance.RuleFields))
	for i, f := range compliance.RuleFields {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

// fileOrder returns a map's keys in the order the file gives them (then by
// name), so the mistake reported first is the first in the file.
func fileOrder[V any](c *Config, m map[string]V, at path) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if d := lineOf(c.node, at.with(a)) - lineOf(c.node, at.with(b)); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	return keys
}

// validateLeads checks prevent_lead and accountable_lead: each needs a
// name, and an email given must be an address.
func (c *Config) validateLeads() *Error {
	if l := c.PreventLead; l != nil {
		if strings.TrimSpace(l.Name) == "" {
			return c.errorf(path{"prevent_lead", "name"}, "is missing (the Prevent lead's name, as the commissioners know them)")
		}
		if strings.TrimSpace(l.Email) == "" {
			return c.errorf(path{"prevent_lead", "email"}, "is missing (the Prevent lead's email address)")
		}
		if _, err := mail.ParseAddress(strings.TrimSpace(l.Email)); err != nil {
			return c.errorf(path{"prevent_lead", "email"}, "%q is not an email address", l.Email)
		}
	}
	if l := c.AccountableLead; l != nil {
		if strings.TrimSpace(l.Name) == "" {
			return c.errorf(path{"accountable_lead", "name"}, "is missing (the executive accountable for Prevent)")
		}
		if e := strings.TrimSpace(l.Email); e != "" {
			if _, err := mail.ParseAddress(e); err != nil {
				return c.errorf(path{"accountable_lead", "email"}, "%q is not an email address", l.Email)
			}
		}
	}
	return nil
}
