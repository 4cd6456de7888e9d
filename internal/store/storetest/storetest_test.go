package storetest

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

func TestPostgresDSN(t *testing.T) {
	t.Run("each test gets an empty schema of its own, dropped at cleanup", func(t *testing.T) {
		var first string
		t.Run("first", func(t *testing.T) {
			first = PostgresDSN(t)
			db := open(t, first)
			if _, err := db.Exec(`CREATE TABLE marker (id int)`); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("second", func(t *testing.T) {
			db := open(t, PostgresDSN(t))
			var n int
			if err := db.QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("new schema holds %d tables, want 0", n)
			}
			var gone bool
			if err := db.QueryRow(`SELECT to_regnamespace($1) IS NULL`, schemaOf(t, first)).Scan(&gone); err != nil {
				t.Fatal(err)
			}
			if !gone {
				t.Errorf("schema of the first test still exists after its cleanup")
			}
		})
	})
}

func TestThrowawayServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	if _, err := findInitdb(); err != nil {
		t.Skip(err)
	}
	srv, dsn, err := startServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("answers queries", func(t *testing.T) {
		db := open(t, dsn)
		var one int
		if err := db.QueryRow(`SELECT 1`).Scan(&one); err != nil || one != 1 {
			t.Fatalf("SELECT 1 = %d, %v", one, err)
		}
	})
	t.Run("stop ends the server and removes its files", func(t *testing.T) {
		srv.stop()
		if _, err := os.Stat(srv.dir); !os.IsNotExist(err) {
			t.Errorf("server folder %s still there: %v", srv.dir, err)
		}
		if db, err := connect(dsn, time.Second); err == nil {
			db.Close()
			t.Errorf("server still answers after stop")
		}
	})
}

func open(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.PingContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

func schemaOf(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("search_path")
}
