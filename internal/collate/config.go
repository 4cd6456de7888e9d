package collate

import (
	"context"
	"time"

	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
)

// ProvidersOf lists the config's providers (providers:), in the config's
// order.
func ProvidersOf(cfg *config.Config) []Provider {
	out := make([]Provider, len(cfg.Providers))
	for i, p := range cfg.Providers {
		out[i] = Provider{Name: p.Name, ODSCode: p.ODSCode, Email: p.Email}
	}
	return out
}

// LoadForConfig is the assurance table for a quarter as `prevent assurance`
// computes it, and the dashboard's commissioner page shows it: the config's
// providers, threshold and submission window (collate.deadline_working_days),
// judged at now.
func LoadForConfig(ctx context.Context, s *store.Store, cfg *config.Config, q returns.Quarter, now time.Time) (*Assurance, error) {
	return Load(ctx, s, ProvidersOf(cfg), q, cfg.Threshold, cfg.Collate.DeadlineWorkingDays, now)
}
