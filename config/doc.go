// Package config owns the server's start-up configuration: one typed Config
// struct read from environment variables plus an optional .env file, so an
// existing Gamend .env works unchanged.
//
// Every variable is a tagged struct field: `env` names it, `envDefault`
// holds its default, `doc` is its one-sentence description, and optional
// `secret`, `oneof`, `min` and `max` tags drive redaction and validation.
// Usage, Vars and the repository's .env.example are checked against these
// tags, so documentation cannot drift from the code.
//
// Load reads the file named by ENV_FILE (default ".env"; real environment
// variables win over it), parses every field, and validates the result.
// All problems are reported together, each naming its variable; secret
// values never appear in errors or in Usage. Derived values (database
// dialect, PostgreSQL URL, public URL, JWT secret, allowed origins, trusted
// proxies) are methods on Config, so callers never re-implement the rules.
//
// This package imports no other package of the project.
package config
