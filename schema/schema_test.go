package schema_test

import (
	"io/fs"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/nhs-prevent/prevent/schema"
)

var migrationName = regexp.MustCompile(`^(\d{4})_[a-z0-9_]+\.sql$`)

func versions(t *testing.T, dialect string) []int {
	t.Helper()
	entries, err := fs.ReadDir(schema.FS, dialect)
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			t.Errorf("%s/%s: want NNNN_description.sql", dialect, e.Name())
			continue
		}
		v, _ := strconv.Atoi(m[1])
		out = append(out, v)
		body, _ := fs.ReadFile(schema.FS, dialect+"/"+e.Name())
		if strings.TrimSpace(string(body)) == "" {
			t.Errorf("%s/%s is empty", dialect, e.Name())
		}
	}
	return out
}

func TestMigrations(t *testing.T) {
	sqlite, postgres := versions(t, "sqlite"), versions(t, "postgres")
	t.Run("both dialects carry the same migrations", func(t *testing.T) {
		if !reflect.DeepEqual(sqlite, postgres) {
			t.Errorf("sqlite %v, postgres %v", sqlite, postgres)
		}
	})
	t.Run("migrations are numbered 1, 2, 3, ... without gaps", func(t *testing.T) {
		for i, v := range sqlite {
			if v != i+1 {
				t.Errorf("migration %d numbered %d", i+1, v)
			}
		}
	})
}
