// Package registry is how every caller reaches an entity actor (a lobby,
// party, group, connected user, ...): by kind and id, never by PID.
//
// It runs on a hollywood engine with remoting and a hollywood cluster from
// the first node: a single node is a cluster of one. For each kind+id the
// owning member is chosen by rendezvous hashing over the live members that
// host the kind, so every node agrees on the owner without coordination. On
// the owner the entity is activated on demand (its state is loaded from the
// store by Entity.Activate), serves messages one at a time from its mailbox,
// is passivated after an idle timeout unless it asks to be kept alive, and is
// restarted from the store by supervision after a panic (the request that
// panicked gets ErrPanic; the node stays up).
//
// Messages to an entity on another node travel as one protobuf Envelope whose
// payload is the JSON of a Go type registered with RegisterMessage; reply
// errors cross as registered sentinels or error types (RegisterError,
// RegisterErrorType), else as *RemoteError. Local calls pass Go values as
// is, but refuse with ErrUnregisteredMessage a request, one-way message,
// node message or reply whose type is not registered, so a type that could
// not cross nodes fails on a single node (and in its tests) too.
//
// Delivery: Request returns the entity's reply or an error (context deadline,
// ErrPanic, activation failure, encoding failure). Send is fire-and-forget.
// Messages from one caller to one entity are handled in the order sent.
package registry
