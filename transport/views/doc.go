// Package views holds the JSON shapes of API.md §3 that more than one
// transport sends (REST handlers now, Phoenix channel pushes later), built
// from persistence rows. Each shape lists exactly the contract's fields: a
// field that is not in the contract (e-mail on public shapes, password
// hashes, provider ids, token versions) cannot leak because it has nowhere
// to go.
//
// Wire conventions applied here (API.md §1.1): timestamps are UTC with
// second precision and a Z suffix; absent ids and strings are ""; absent
// maps are {}; last_seen_at falls back to 1970-01-01T00:00:00Z.
package views
