// Package hooks owns server scripting: the Hooks interface that the domain
// and the transports call (RPC calls from clients, lifecycle callbacks), and,
// as the scripting feature lands, the JavaScript plugin runtime (goja), the
// RPC registry and the scheduler.
//
// Callers depend only on the Hooks interface. Until a plugin runtime is
// configured the server uses None, which answers every call with
// ErrNotImplemented, the wire reason "not_implemented" of API.md §10.2.
//
// The call contract (API.md §10.2) is the same over every transport — REST
// POST /api/v1/hooks/call, the user channel's call_hook push and the WebRTC
// events channel — so the pieces they share live here: NormalizeArgs applies
// the argument rules and limits, and Reason turns an error into the wire
// reason string ({"error":"<reason>"}).
//
// hooks imports no other package of the project: the plugin host API
// (key-value storage, lobbies, ...) will be an interface declared here and
// implemented by the domain, joined in cmd/gamend at start-up.
package hooks
