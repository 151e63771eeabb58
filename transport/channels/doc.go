// Package channels implements the Phoenix channel topics of API.md §5.3 on
// top of transport/phoenix: it authorises joins, subscribes channels to the
// domain actors that publish to them, renders domain events into the wire
// payloads of §5.4 (or the product docs' event names for sockets connected
// with event_names=docs), deduplicates repeated payloads per channel, and
// routes deliveries to the node that holds the socket.
//
// user:{id} (Users): the user's own channel. Joining subscribes it to the
// user actor (which brings the user online) and pushes updated, one
// friend_updated with all friends and the 50 latest notifications, oldest
// first; events the actor delivers meanwhile are held and sent after that
// snapshot, so nothing is sent twice or overtaken by older state. Later
// updated and friend_updated pushes are deduplicated per channel and, with
// REALTIME_DEBOUNCE_MS, coalesced per subject (SetDebounce). Client pushes:
// call_hook goes to the hooks package (SetHooks), anything else is
// answered unknown_event.
package channels
