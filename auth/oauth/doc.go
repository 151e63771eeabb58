// Package oauth signs players in with Discord, Google, Facebook, Apple and
// Steam (API.md §4.2):
//
//   - Providers are the provider clients: authorization URLs, code exchange
//     (golang.org/x/oauth2), Sign in with Apple (ES256 client secret,
//     id_token checked against Apple's JWKS), Steam OpenID 2.0 (assertions
//     verified with check_authentication) and Steam auth tickets, Google
//     id_tokens. Each maps the provider's profile to a Profile. Every
//     endpoint URL is configurable; the defaults are the real ones.
//   - Sessions are the oauth_sessions rows of the polling flow: created
//     pending, claimed once by the browser callback, completed with an
//     outcome, and gone (not found) 15 minutes after creation.
//   - Service joins them with auth.Service: it starts sessions, completes
//     them with the login/link outcome of the §4.2 table, and signs in or
//     links for the direct-exchange endpoints.
//
// Provider errors never carry response bodies, codes, tokens or secrets
// (ProviderError names the provider, the step and the HTTP status only), so
// they are safe to log. Like auth, the package knows no HTTP framework.
package oauth
