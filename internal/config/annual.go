package config

import "github.com/nhs-prevent/prevent/internal/compliance"

// Report configures the annual report to the board (`prevent report
// annual` and the schedule's annual_report job).
type Report struct {
	// Recipients are emailed the last financial year's report once it is
	// over, once each; none turns the scheduled job off.
	Recipients []string `yaml:"recipients"`
}

// TrainingPlan is the face-to-face training capacity the annual report's
// plan is set against: sessions of SessionSize places, run by Trainers
// trainers, each able to run SessionsPerTrainerMonth sessions a month.
type TrainingPlan struct {
	SessionSize             int `yaml:"session_size"`
	Trainers                int `yaml:"trainers"`
	SessionsPerTrainerMonth int `yaml:"sessions_per_trainer_month"`
}

// Plan is the training plan for the engine; nil when none is configured.
func (c *Config) Plan() *compliance.TrainingPlan {
	if c.TrainingPlan == nil {
		return nil
	}
	p := c.TrainingPlan
	return &compliance.TrainingPlan{SessionSize: p.SessionSize, Trainers: p.Trainers, SessionsPerTrainerMonth: p.SessionsPerTrainerMonth}
}

func (c *Config) validateAnnualReport() *Error {
	for i, addr := range c.Report.Recipients {
		if !isAddress(addr) {
			return c.errorf(path{"report", "recipients", i}, "%q is not an email address", addr)
		}
	}
	p := c.TrainingPlan
	if p == nil {
		return nil
	}
	for _, f := range []struct {
		key  string
		v    int
		max  int
		what string
	}{
		{"session_size", p.SessionSize, 1000, "places in one face-to-face session, e.g. 20"},
		{"trainers", p.Trainers, 1000, "people who run the sessions, e.g. 2"},
		{"sessions_per_trainer_month", p.SessionsPerTrainerMonth, 100, "sessions one trainer can run a month, e.g. 2"},
	} {
		if f.v < 1 || f.v > f.max {
			return c.errorf(path{"training_plan", f.key}, "%d is outside 1-%d (the %s)", f.v, f.max, f.what)
		}
	}
	return nil
}
