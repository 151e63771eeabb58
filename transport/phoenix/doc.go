// Package phoenix serves Phoenix Channels V2 JSON over WebSocket on the
// fiber app (API.md §5), so the unmodified `phoenix` npm client and the
// SDKs built on it work against Gamend-Go.
//
// It owns the socket endpoint (GET /socket/websocket; /socket/longpoll is
// 404), the upgrade-time checks (origin, serializer version, token through
// an Authenticator, per-user socket cap), the socket session (one reader
// and one writer goroutine, a bounded outbound queue, heartbeats, idle
// timeout), the channel protocol (phx_join, phx_leave, phx_reply,
// phx_close, phx_error) and the per-user budget of pushes and joins (§7;
// a join counts because it can replay a burst). What a topic
// means is not its business: the domain plugs Channel implementations
// into a Router by topic pattern ("user:*", "lobbies", ...).
//
// # Delivery
//
// Every frame for a socket goes through its outbound queue and is written
// in queue order, so frames pushed by one goroutine on one Conn arrive in
// the order pushed, a join reply precedes everything the channel pushes
// during Join, and a phx_reply follows the pushes made before it. Delivery
// is at most once: nothing is retried, and frames still queued when a
// socket closes are dropped. Pushes never block the caller.
//
// # Back-pressure
//
// A slow consumer is detected by lack of write progress, not by queue
// depth alone. Below the soft limits (Config.SoftQueueFrames,
// Config.SoftQueueBytes) every frame is queued. Beyond them a frame is
// still queued while the writer is making progress; once its current
// network write has been blocked for Config.StallTimeout (the client's
// kernel buffers are full: it stopped reading), the next frame
// disconnects the socket. Config.MaxQueueBytes is a hard cap on the bytes
// a socket holds (queue plus the batch being written) whatever the
// progress, and a single write blocked past Config.WriteTimeout ends the
// socket even when nothing more is pushed. So a client that reads gets a
// burst of any depth up to MaxQueueBytes (5000 presence events at once),
// and one that stops reading costs at most MaxQueueBytes. A slow consumer
// is closed with CloseSlowConsumer (1013; the frame seldom gets through a
// full buffer), counted in Stats.SlowConsumerDisconnects and logged at
// Warn with its user id; the push that tripped it returns
// ErrSlowConsumer, later ones ErrClosed. The join reply and the pushes
// made during Join form a join burst bounded by Config.MaxJoinBurstBytes
// and queued as one unit under the same rules (see Conn).
//
// Replies and pushes are JSON without HTML escaping (MarshalJSON), as
// Phoenix sends them. Error replies the transport makes itself
// to a push (rate_limited, internal_error, unmatched topic) echo its
// _request_id, which the Godot SDK matches replies by.
//
// # Goroutines and memory
//
// A socket has one long-lived goroutine, its reader (the goroutine the
// HTTP server hands the upgraded connection to). Each message is decoded
// and dispatched on a short-lived goroutine the reader waits for, so deep
// channel code never grows the reader's stack. A writer goroutine exists
// only while frames are queued: it takes the whole queue, frames it into a
// pooled buffer (uncompressed frames are built here, not by the library,
// so a burst costs one write syscall per 64 KiB) and exits when the queue
// is empty. Idle timeouts are read deadlines; no per-socket tickers. An
// idle socket joined to one channel costs about 14 KB of RSS when the
// fiber app sets ReduceMemoryUsage (fasthttp otherwise pins its 8 KB
// request read buffer to every upgraded connection); see memory_test.go.
//
// # Close codes
//
// The server closes a socket with a WebSocket close frame carrying one of
// the Close* codes declared in errors.go. phoenix.js reconnects (with
// back-off) after any code except 1000, so 1000 is used only when the
// server wants the client to stay away (DisconnectUser).
//
// # Malformed input
//
// Phoenix closes the socket when a text frame cannot be decoded (the
// serializer raises); so does this package, with a code that says why:
// invalid UTF-8 → 1007, invalid JSON, a non-array, wrong arity (anything
// but exactly 5 elements; Phoenix tolerates extra trailing elements) or
// wrong element types → 1002, a binary frame → 1003 (the V2 binary push
// format is not supported), a compressed frame that does not inflate →
// 1007, a message over Config.MaxFrameBytes (after decompression) → 1009. Each is counted in Stats.MalformedFrames (or
// OversizedFrames) and never reaches a Channel.
package phoenix
