package main

import (
	"strconv"
	"strings"
	"testing"
)

// TestDSNPasswordNeverShown pins that neither form of PostgreSQL DSN
// shows its password when the database cannot be opened.
func TestDSNPasswordNeverShown(t *testing.T) {
	port := closedPort(t)
	for _, dsn := range []string{
		"postgres://prevent:s3cretpw@127.0.0.1:" + strconv.Itoa(port) + "/prevent?sslmode=disable",
		"postgres://prevent@127.0.0.1:" + strconv.Itoa(port) + "/prevent?sslmode=disable&password=s3cretpw",
		"host=127.0.0.1 port=" + strconv.Itoa(port) + " user=prevent password=s3cretpw dbname=prevent sslmode=disable",
		"host=127.0.0.1 password='s3cretpw and more' dbname=prevent",
	} {
		r := prevent(t, t.TempDir(), dsn, "status")
		if r.code == 0 || strings.Contains(r.stdout+r.stderr, "s3cret") {
			t.Errorf("%s: exit %d, output shows the password:\n%s%s", dsn, r.code, r.stdout, r.stderr)
		}
	}
}
