package phoenix

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// Authenticator verifies the socket token (the `token` connect param,
// API.md §5.1: an access token, verified like a bearer token). Any error
// refuses the upgrade with 403. The token is never logged; the error is,
// at debug level, so it must not quote the token.
type Authenticator interface {
	AuthenticateSocket(ctx context.Context, token string) (userID string, err error)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(ctx context.Context, token string) (string, error)

// AuthenticateSocket calls f.
func (f AuthenticatorFunc) AuthenticateSocket(ctx context.Context, token string) (string, error) {
	return f(ctx, token)
}

// Config tunes the endpoint. Zero values take the defaults noted on each
// field (the API.md defaults), except MaxSocketsPerUser, where 0 means no
// cap as LIMIT_MAX_SOCKETS_PER_USER does.
type Config struct {
	// Path is the socket mount point; clients append /websocket.
	// Default "/socket".
	Path string
	// CheckOrigin decides whether a browser Origin may connect (API.md
	// §5.1); requests without an Origin header always pass. Nil allows
	// every origin. See SameHost for the PHX_HOST rule.
	CheckOrigin func(origin string) bool
	// MaxSocketsPerUser caps concurrent sockets per user on this node
	// (LIMIT_MAX_SOCKETS_PER_USER); 0 = no cap.
	MaxSocketsPerUser int
	// PushLimit client pushes and joins (phx_join on any topic, accepted
	// or not) per PushWindow per user, across the user's sockets on this
	// node (RATE_LIMIT_WS_LIMIT / _WINDOW). Default 60 per 10 s. A
	// PushBudget must be built with the same numbers.
	PushLimit  int
	PushWindow time.Duration
	// PushBudget, when set, counts pushes and joins across nodes instead
	// (the redis backend of §7, NewRedisBudget); the per-node count stays
	// as the fallback when it fails.
	PushBudget PushBudget
	// PushBudgetTimeout bounds one PushBudget call. Default 1 s.
	PushBudgetTimeout time.Duration
	// MaxFrameBytes is the largest inbound message, after decompression.
	// Default 131072.
	MaxFrameBytes int
	// IdleTimeout closes a socket that sent no frame for this long.
	// Default 60 s.
	IdleTimeout time.Duration
	// WriteTimeout bounds one write to the network; a client that does
	// not read for this long is disconnected as a slow consumer.
	// Default 10 s.
	WriteTimeout time.Duration
	// CloseGrace is how long the server waits for the client's close
	// frame after sending its own. Default 2 s.
	CloseGrace time.Duration
	// SoftQueueFrames and SoftQueueBytes are the soft limits of a
	// socket's outbound queue (frames accepted but not yet written,
	// counting the batch the writer is writing). Below both, a frame is
	// always accepted. Beyond either, a frame is accepted only while the
	// writer makes progress: when its current network write has been
	// blocked for StallTimeout or longer, the client has stopped reading
	// and is disconnected with CloseSlowConsumer. A client that reads is
	// thus never dropped for a burst, however deep, up to MaxQueueBytes.
	// Defaults 1024 frames, 2 MiB.
	SoftQueueFrames int
	SoftQueueBytes  int
	// MaxQueueBytes is the hard cap on a socket's outbound queue in bytes
	// (payloads plus per-frame overhead, counting the batch being
	// written): the frame that would exceed it disconnects the socket
	// with CloseSlowConsumer whatever the writer's progress, so the
	// memory a socket can hold is bounded. Default 16 MiB, never less
	// than SoftQueueBytes.
	MaxQueueBytes int
	// StallTimeout is how long one network write may stay blocked before
	// a socket over a soft limit counts as stalled (see SoftQueueBytes).
	// Default 2 s, never more than WriteTimeout.
	StallTimeout time.Duration
	// MaxJoinBurstBytes bounds a join burst: the pushes made on the
	// channel while its Join runs (a user channel replays up to 50
	// notifications there). They are held until Join returns and then
	// queued with the join reply as a whole, under the rules above; a
	// burst over this size closes the socket with CloseSlowConsumer.
	// Default and maximum MaxQueueBytes.
	MaxJoinBurstBytes int
	// ReadBufferSize is the per-socket read buffer (held for the life of
	// the socket). Default 512.
	ReadBufferSize int
	// DisableCompression turns permessage-deflate negotiation off.
	DisableCompression bool
	// CompressMinBytes: when deflate was negotiated, outbound frames at
	// least this long are compressed; smaller ones are sent plain (RFC
	// 7692 allows both on one connection). Default 1024; negative never
	// compresses.
	CompressMinBytes int
	// Logger receives structured logs; default slog.Default().
	Logger *slog.Logger
}

func (c *Config) defaults() {
	if c.Path == "" {
		c.Path = "/socket"
	}
	c.Path = "/" + strings.Trim(c.Path, "/")
	if c.PushLimit <= 0 {
		c.PushLimit = 60
	}
	if c.PushWindow <= 0 {
		c.PushWindow = 10 * time.Second
	}
	if c.PushBudgetTimeout <= 0 {
		c.PushBudgetTimeout = time.Second
	}
	if c.MaxFrameBytes <= 0 {
		c.MaxFrameBytes = 131072
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 60 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.CloseGrace <= 0 {
		c.CloseGrace = 2 * time.Second
	}
	if c.SoftQueueFrames <= 0 {
		c.SoftQueueFrames = 1024
	}
	if c.SoftQueueBytes <= 0 {
		c.SoftQueueBytes = 2 << 20
	}
	if c.MaxQueueBytes <= 0 {
		c.MaxQueueBytes = 16 << 20
	}
	c.MaxQueueBytes = max(c.MaxQueueBytes, c.SoftQueueBytes)
	if c.StallTimeout <= 0 {
		c.StallTimeout = 2 * time.Second
	}
	c.StallTimeout = min(c.StallTimeout, c.WriteTimeout)
	if c.MaxJoinBurstBytes <= 0 {
		c.MaxJoinBurstBytes = c.MaxQueueBytes
	}
	c.MaxJoinBurstBytes = min(c.MaxJoinBurstBytes, c.MaxQueueBytes)
	if c.ReadBufferSize <= 0 {
		c.ReadBufferSize = 512
	}
	if c.CompressMinBytes == 0 {
		c.CompressMinBytes = 1024
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// SameHost returns an origin check that accepts origins whose host name is
// host (case-insensitive, any scheme and port): Phoenix's check_origin
// rule against the endpoint host, which API.md §5.1 applies (PHX_HOST)
// when PHX_ALLOWED_ORIGINS is unset.
func SameHost(host string) func(origin string) bool {
	host = strings.ToLower(host)
	return func(origin string) bool {
		u, err := url.Parse(origin)
		return err == nil && strings.ToLower(u.Hostname()) == host
	}
}
