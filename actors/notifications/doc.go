// Package notifications is the store-backed notification service (API.md
// §4.9, §8): persistent per-recipient notifications keyed by (sender,
// recipient, title) — resending updates content and metadata, clears read
// and keeps the id — the recipient limit, the registry of notification
// types, retraction, and the system notification catalogue every feature
// calls (friends, groups, parties, lobbies, achievements, chat).
//
// Delivery: a notification is written (and acknowledged durable) before it
// is pushed; the Pusher (the realtime layer) then delivers
// notification_created to the recipient's sockets. A notification created
// while the recipient is offline is seen on their next join (the latest 50)
// or through the REST list.
package notifications
