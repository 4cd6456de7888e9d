package config

import (
	"errors"
	"strings"
	"testing"
)

func TestAnnualReportConfig(t *testing.T) {
	t.Run("training_plan and report.recipients load", func(t *testing.T) {
		c, err := Load(write(t, "training_plan: {session_size: 20, trainers: 2, sessions_per_trainer_month: 3}\nreport:\n  recipients: [board@trust.nhs.uk]\n"))
		if err != nil {
			t.Fatal(err)
		}
		p := c.Plan()
		if p == nil || p.SessionSize != 20 || p.Capacity() != 6 || p.SessionsNeeded(41) != 3 {
			t.Errorf("plan %+v", p)
		}
		if len(c.Report.Recipients) != 1 || c.Schedule.AnnualReport != "0 8 * * *" {
			t.Errorf("report %+v, schedule %q", c.Report, c.Schedule.AnnualReport)
		}
	})
	t.Run("without training_plan there is no plan", func(t *testing.T) {
		if Default().Plan() != nil {
			t.Error("the default config has a training plan")
		}
	})
	for _, tc := range []struct {
		name, yaml string
		line       int
		key, msg   string
	}{
		{"a session of no places", "training_plan:\n  session_size: 0\n  trainers: 2\n  sessions_per_trainer_month: 2\n", 2, "training_plan.session_size", "0 is outside 1-1000"},
		{"a key left out", "training_plan: {session_size: 20, sessions_per_trainer_month: 2}\n", 1, "training_plan.trainers", "0 is outside 1-1000"},
		{"negative sessions", "training_plan: {session_size: 20, trainers: 1, sessions_per_trainer_month: -1}\n", 1, "training_plan.sessions_per_trainer_month", "-1 is outside 1-100"},
		{"an unknown key", "training_plan: {session_size: 20, trainer: 1}\n", 1, "training_plan.trainer", "unknown key"},
		{"a recipient that is not an address", "report:\n  recipients: [the board]\n", 2, "report.recipients[0]", `"the board" is not an email address`},
		{"a bad cron spec", "schedule:\n  annual_report: every april\n", 2, "schedule.annual_report", "bad cron spec"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(write(t, tc.yaml))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *config.Error", err)
			}
			if ce.Key != tc.key || ce.Line != tc.line || !strings.Contains(ce.Msg, tc.msg) {
				t.Errorf("got line %d key %s %q; want line %d key %s containing %q", ce.Line, ce.Key, ce.Msg, tc.line, tc.key, tc.msg)
			}
		})
	}
}
