// Package auth owns identity and sign-in: JWT access/refresh tokens (API.md
// §2.1–2.2), password hashing, account creation with its rules (first user
// is admin, activation, generated usernames: §2.3), password and device
// login, refresh, the identity columns of users (email, password, provider
// and device ids, token_version), browser session and e-mail tokens
// (users_tokens), OAuth providers and sessions, and the mailer.
//
// It knows no HTTP framework: transport/rest and transport/web call it and
// map its errors (errors.go) to the contract's bodies.
package auth
