// Package migrations embeds the versioned schema migrations, one folder per
// SQL dialect (sqlite/, postgres/). Files are named NNNNN_name.sql and run in
// order once each; a file holds DDL statements separated by ";" at line ends.
package migrations

import "embed"

// FS holds sqlite/*.sql and postgres/*.sql.
//
//go:embed sqlite/*.sql postgres/*.sql
var FS embed.FS
