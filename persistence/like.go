package persistence

import "strings"

// LIKE patterns for case-insensitive searches. Both lower-case q and escape
// its wildcards with EscapeLike, so % _ and \ in q match literally; use
// them with `LIKE ? ESCAPE '\'` against lower(column), or against the bare
// column when it is stored lower-case (so an index on it stays usable).

// PrefixPattern is the LIKE pattern of a case-insensitive prefix search
// for q: "Bob" -> "bob%".
func PrefixPattern(q string) string {
	return EscapeLike(strings.ToLower(q)) + "%"
}

// ContainsPattern is the LIKE pattern of a case-insensitive substring
// search for q: "Bob" -> "%bob%".
func ContainsPattern(q string) string {
	return "%" + EscapeLike(strings.ToLower(q)) + "%"
}
