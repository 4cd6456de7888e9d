package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/nhs-prevent/prevent/internal/figures"
	"github.com/nhs-prevent/prevent/internal/ingest"
	"github.com/nhs-prevent/prevent/internal/store"
)

// auditConfig records the config in the audit trail when it differs from
// the one last seen, so a change of rules is on record before any figure
// computed with them.
func (m *Main) auditConfig(ctx context.Context) error {
	what := "built-in defaults"
	if m.Config.Path != "" {
		// The digest of the content Load read, not of the file now.
		abs, _ := filepath.Abs(m.Config.Path)
		what = fmt.Sprintf("%s sha256 %s", abs, m.Config.Digest[:16])
	}
	last, err := m.Store.LastAudit(ctx, store.AuditConfig)
	if err != nil || (last != nil && last.Detail == what) {
		return err
	}
	return m.Store.Audit(ctx, m.Now(), ingest.Operator(), store.AuditConfig, what)
}

const auditUsage = `Usage: prevent audit [--action A] [--limit N]

The audit trail: every import, each config change seen at start, every return
sent or resent, every purge and every run of reminders that sent any, with
who (the operating-system user) and when; and from the dashboard every
download (the address with its filters and the rows in the file), sign-in and
failed sign-in, with who (the signed-in or proxy-named user) and the client's
address, and requests naming a user in web.proxy_header from an address not
in web.trusted_proxies.
Actions: import, config, return-sent, return-resent, purge, reminders-sent,
export, sign-in, sign-in-failed, proxy-refused.

Examples:
  prevent audit --action export --limit 20
  prevent audit --action sign-in-failed
`

func (m *Main) runAudit(ctx context.Context, args []string) error {
	fs := m.newFlags("audit", auditUsage)
	action := fs.String("action", "", "only this `action`")
	limit := fs.Int("limit", 100, "at most `N` entries, newest first (0 for all)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("audit takes no arguments (got %q)", pos[0])
	}
	if *action != "" {
		if err := oneOf("action", *action, store.AuditActions); err != nil {
			return err
		}
	}
	if err := m.open(ctx); err != nil {
		return err
	}
	list, err := m.Store.AuditTrail(ctx, *action, *limit)
	if err != nil {
		return err
	}
	for _, e := range list {
		fmt.Fprintf(m.Stdout, "%s  %-10s %-14s %s\n", e.At.Local().Format("2006-01-02 15:04:05"), figures.Printable(e.Who), e.Action, figures.Printable(e.Detail))
	}
	if len(list) == 0 {
		fmt.Fprintln(m.Stdout, "the audit trail is empty")
	}
	return nil
}

const purgeUsage = `Usage: prevent purge [--before YYYY-MM-DD]

Deletes personal data older than the retention period: staff snapshots
effective before the date, completions dated before it that a later
completion of the same person and course supersedes, and rejected rows of
imports before it. The snapshot in force on the date and each person's latest
completion of each course are kept, so every figure from that date on is
unchanged; figures for earlier dates can no longer be reproduced. Without
--before, the date is today less retention.years from the config. The purge
is recorded in the audit trail.
`

func (m *Main) runPurge(ctx context.Context, args []string) error {
	fs := m.newFlags("purge", purgeUsage)
	beforeFlag := fs.String("before", "", "delete data older than this `date`")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("purge takes no arguments (got %q)", pos[0])
	}
	if err := m.loadConfig(); err != nil {
		return err
	}
	var before time.Time
	switch {
	case *beforeFlag != "":
		if before, err = parseDate("before", *beforeFlag); err != nil {
			return err
		}
	case m.Config.Retention.Years > 0:
		y, mo, d := m.Now().Date()
		before = time.Date(y-m.Config.Retention.Years, mo, d, 0, 0, 0, 0, time.UTC)
	default:
		return usagef("purge needs --before DATE, or retention.years in the config")
	}
	if err := m.open(ctx); err != nil {
		return err
	}
	res, err := m.Store.Purge(ctx, before, ingest.Operator(), m.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "purged data before %s: %d staff snapshots (%d assignments), %d completions, %d rejected rows\n",
		before.Format(time.DateOnly), res.Snapshots, res.Assignments, res.Completions, res.RowErrors)
	return nil
}
