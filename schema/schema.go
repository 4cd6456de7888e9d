// Package schema owns the database schema of prevent: numbered SQL
// migrations, one directory per dialect (sqlite/, postgres/), embedded in the
// binary. Files are named NNNN_description.sql; both dialects carry the same
// numbers, and a migration once released is never edited, only followed by a
// higher number. The store package applies them in order and records each
// version in schema_migrations.
package schema

import "embed"

// FS holds the migrations: sqlite/NNNN_*.sql and postgres/NNNN_*.sql.
//
//go:embed sqlite/*.sql postgres/*.sql
var FS embed.FS
