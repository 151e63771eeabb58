// Package web serves the server-rendered account pages of Gamend-Go:
// registration, e-mail confirmation, password and magic-link log-in,
// password reset, account settings (e-mail, password, linked providers,
// browser sessions, API token revocation), log-out, a minimal home page,
// and the development mailbox (/dev/mailbox).
//
// Pages are html/template files and one CSS file, embedded in the binary;
// there is no JavaScript. Forms are protected by fiber's CSRF middleware
// with stateless signed tokens (csrf.go), so any node of a cluster accepts
// a form another node rendered. Browser sessions are users_tokens rows
// (auth.UserTokens) referenced by the signed HttpOnly cookie
// "_gamend_session".
//
// Handlers are thin: they read the form, call auth (and auth/mail through
// notify.go), and render a page or redirect with a flash message. Bad input
// always gets a page with a clear message, never a 500, and no page or log
// line shows a token, hash or secret.
package web
