package store

import (
	"context"
	"strings"
	"testing"
)

// TestRedact pins that no form of database DSN shows its password in a
// message.
func TestRedact(t *testing.T) {
	for _, c := range []struct{ name, dsn, want string }{
		{"URL form: the password in the user part", "postgres://prevent:s3cretpw@db.trust.nhs.uk/prevent?sslmode=require",
			"postgres://prevent@db.trust.nhs.uk/prevent?sslmode=require"},
		{"URL form: the password as a parameter", "postgresql://prevent@db/prevent?password=s3cretpw&sslmode=disable",
			"postgresql://prevent@db/prevent?sslmode=disable"},
		{"key=value form", "host=db.trust.nhs.uk user=prevent password=s3cretpw dbname=prevent",
			"host=db.trust.nhs.uk user=prevent password=[redacted] dbname=prevent"},
		{"key=value form, quoted with spaces", "host=db password='s3cretpw with spaces' dbname=prevent",
			"host=db password=[redacted] dbname=prevent"},
		{"key=value form, spaced around =, any case", "host=db PASSWORD = s3cretpw dbname=prevent",
			"host=db PASSWORD = [redacted] dbname=prevent"},
		{"key=value form, quoted with an escaped quote", `password='s3cret\'pw' host=db`,
			"password=[redacted] host=db"},
		{"no password", "sqlite:prevent.db", "sqlite:prevent.db"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := redact(c.dsn)
			if got != c.want {
				t.Errorf("redact(%q) = %q, want %q", c.dsn, got, c.want)
			}
			if strings.Contains(got, "s3cret") {
				t.Errorf("the password shows in %q", got)
			}
		})
	}
	t.Run("opening a key=value DSN does not echo the password", func(t *testing.T) {
		_, err := Open(context.Background(), "host=127.0.0.1 port=1 user=prevent password=s3cretpw dbname=prevent")
		if err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("got %v", err)
		}
	})
}
