package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

func TestCountingKeys(t *testing.T) {
	t.Run("set, they reach the engine's policy", func(t *testing.T) {
		c, err := Load(write(t, "threshold: 0.9\nnew_starter_days: 60\nrag: {red_below: 0.9}\n"+
			"annual_update: {levels: [level3], courses: [\"*Prevent*Update*\"]}\nreturn: {by: org_l4}\n"))
		if err != nil {
			t.Fatal(err)
		}
		p := c.Policy()
		if p.NewStarterDays != 60 || p.RedBelow != 0.9 || p.AnnualUpdate == nil || p.AnnualUpdate.Months != 12 ||
			len(p.AnnualUpdate.Levels) != 1 || p.AnnualUpdate.Levels[0] != compliance.Level3 || c.ReturnBy() != "org_l4" {
			t.Errorf("policy %+v, return by %q", p, c.ReturnBy())
		}
		if p.CourseGroup("Prevent Annual Update 2026") == 0 {
			t.Error("the update course is not kept")
		}
	})
	t.Run("left out, they are off", func(t *testing.T) {
		c, err := Load(write(t, "organisation: X\n"))
		if err != nil {
			t.Fatal(err)
		}
		if p := c.Policy(); p.NewStarterDays != 0 || p.RedBelow != 0 || p.AnnualUpdate != nil || c.ReturnBy() != compliance.ByOrganisation {
			t.Errorf("policy %+v", p)
		}
	})
	for _, tc := range []struct {
		name, yaml, key, msg string
	}{
		{"red_below above the threshold", "threshold: 0.85\nrag: {red_below: 0.9}\n", "rag.red_below", "at most the threshold"},
		{"red_below of 0", "rag: {red_below: 0}\n", "rag.red_below", "more than 0"},
		{"negative new_starter_days", "new_starter_days: -5\n", "new_starter_days", "outside 0-3650"},
		{"unknown annual update level", "annual_update: {levels: [level4]}\n", "annual_update.levels[0]", "unknown level"},
		{"bad annual update pattern", "annual_update: {courses: [\"[Update\"]}\n", "annual_update.courses[0]", "bad pattern"},
		{"unknown return grouping", "return: {by: ward}\n", "return.by", "unknown grouping"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(write(t, tc.yaml))
			var ce *Error
			if !errors.As(err, &ce) || ce.Key != tc.key || !strings.Contains(ce.Msg, tc.msg) {
				t.Errorf("got %v", err)
			}
		})
	}
}
