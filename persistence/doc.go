// Package persistence owns the storage layer of Gamend-Go: the DB handle that
// hides the two SQL dialects (SQLite by default, PostgreSQL for clusters),
// the embedded, versioned schema migrations, id and time conventions, and the
// error classification (not found, unique violation) every store uses.
//
// Dialect-specific code lives in the sqlite and postgres subpackages, which
// open a *DB; the writebehind subpackage batches writes into group commits.
// Queries are written once with `?` placeholders and rebound per dialect.
//
// Conventions shared by both dialects (see migrations/):
//   - ids are UUIDv7 strings minted by the application (NewID);
//   - timestamps are UTC with microsecond precision (Now);
//   - JSON maps are stored as text (SQLite) or jsonb (PostgreSQL) and passed
//     to and from the driver as JSON text (JSON);
//   - booleans are INTEGER 0/1 (SQLite) or boolean (PostgreSQL).
package persistence
