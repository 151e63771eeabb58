package phoenix

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/klauspost/compress/flate"

	"github.com/gamend-go/gamend/actors/registry/stackpool"
	"github.com/gamend-go/gamend/transport/phoenix/internal/frame"
)

// Socket is one authenticated WebSocket connection: its reader goroutine
// (the one the upgrade handed over) decodes frames and runs the channel
// callbacks; a writer goroutine, started when frames are queued and gone
// when the queue is empty, writes them. Every method is safe for
// concurrent use.
type Socket struct {
	ep       *Endpoint
	id       uint64
	userID   string
	docs     bool
	compress bool // permessage-deflate was negotiated
	ws       *websocket.Conn
	nc       net.Conn
	ctx      context.Context
	cancel   context.CancelFunc

	writers sync.WaitGroup // the running writer goroutine, if any
	// writeSince is when the network write in progress began (Unix ns),
	// 0 when the writer is not in a write: the progress signal of the
	// slow-consumer rule (admitLocked).
	writeSince atomic.Int64

	mu       sync.Mutex
	channels []*Conn // joined channels (a handful per socket)
	q        []outItem
	qFrames  int // frames in q and their size (see admitLocked)
	qBytes   int
	// The batch the writer took from q and is writing.
	inflight       int
	inflightFrames int
	writing        bool // a writer goroutine is running
	closing        bool // no more frames may be queued; a close frame may be due
	dead           bool // nothing more may be written at all
	closeSent      bool
	closeCode      int // close frame the writer sends last (0 = none)
	closeText      string
	closeBy        time.Time // when closing, writes must be done by then
}

// ID identifies the socket on this node (for logs).
func (s *Socket) ID() uint64 { return s.id }

// UserID is the authenticated user.
func (s *Socket) UserID() string { return s.userID }

// DocsEventNames reports whether the client connected with
// event_names=docs and wants the product docs' event names.
func (s *Socket) DocsEventNames() bool { return s.docs }

// Disconnect closes the socket with CloseNormal (phoenix.js then stays
// disconnected, as after Phoenix's "disconnect" broadcast).
func (s *Socket) Disconnect() { s.closeWith(CloseNormal, "disconnected") }

// serve runs the session on the upgrade goroutine until the socket ends.
func (s *Socket) serve() {
	// No library read limit: messages are streamed, never buffered whole,
	// and readLoop stops at MaxFrameBytes itself, so it can answer 1009
	// and still drain the rest politely.
	s.ws.SetPingHandler(func(data string) error {
		s.mu.Lock()
		s.enqueueLocked(outItem{kind: itemPong, payload: []byte(data)})
		s.mu.Unlock()
		return nil
	})
	s.ws.SetCloseHandler(func(code int, _ string) error {
		s.closeWith(code, "") // echo the client's code (RFC 6455 §5.5.1)
		return nil
	})
	defer s.teardown()
	s.readLoop()
}

var readBufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (s *Socket) readLoop() {
	for {
		s.mu.Lock()
		closing := s.closing
		if !closing {
			s.nc.SetReadDeadline(time.Now().Add(s.ep.cfg.IdleTimeout))
		}
		s.mu.Unlock()
		mt, r, err := s.ws.NextReader()
		if err != nil {
			s.readFailed(err)
			return
		}
		if closing || s.isClosing() { // waiting for the client's close frame
			io.Copy(io.Discard, r)
			continue
		}
		s.ep.stats.framesIn.Add(1)
		if mt != websocket.TextMessage {
			s.rejectFrame(CloseUnsupportedData, "binary frames are not supported", nil)
			continue
		}
		buf := readBufPool.Get().(*bytes.Buffer)
		buf.Reset()
		n, err := buf.ReadFrom(io.LimitReader(r, int64(s.ep.cfg.MaxFrameBytes)+1))
		switch {
		case n > int64(s.ep.cfg.MaxFrameBytes):
			s.ep.stats.oversized.Add(1)
			s.closeWith(CloseMessageTooBig, "message too big")
		case err != nil && errors.As(err, new(flate.CorruptInputError)):
			s.rejectFrame(CloseInvalidPayload, "invalid compressed data", err)
		case err != nil:
			s.readFailed(err)
			return
		default:
			s.offload(func() { s.process(buf.Bytes()) })
		}
		if buf.Cap() <= 64<<10 {
			readBufPool.Put(buf)
		}
	}
}

// offload runs fn on a handler goroutine and waits for it. Decoding and
// channel callbacks (a Join may go deep: actor requests, JSON, SQL) then
// never grow the reader's stack, which sits idle for the life of the
// socket: it stays at the few KiB the read path needs. Handler goroutines
// come from a pool of long-lived workers whose stacks stay grown, so a deep
// Join does not pay for stack growth each time.
func (s *Socket) offload(fn func()) {
	handlers.Run(func() {
		defer func() {
			if r := recover(); r != nil {
				s.ep.log.Error("socket frame handling panicked", "socket_id", s.id, "user_id", s.userID,
					"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				s.closeWith(CloseInternalError, "internal error")
			}
		}()
		fn()
	})
}

// handlers is the socket handler pool: up to maxHandlerWorkers idle
// workers are kept for the life of the process.
var handlers = stackpool.New(maxHandlerWorkers)

const maxHandlerWorkers = 128

// process decodes one message and applies it.
func (s *Socket) process(msg []byte) {
	f, err := frame.Decode(msg)
	if err != nil {
		code := CloseProtocolError
		if errors.Is(err, frame.ErrInvalidUTF8) {
			code = CloseInvalidPayload
		}
		s.rejectFrame(code, "malformed frame", err)
		return
	}
	f.Payload = bytes.Clone(f.Payload) // channels may keep it
	s.handleFrame(f)
}

func (s *Socket) rejectFrame(code int, text string, err error) {
	s.ep.stats.malformed.Add(1)
	s.ep.log.Info("closing socket on a bad frame", "socket_id", s.id, "user_id", s.userID, "code", code, "err", err)
	s.closeWith(code, text)
}

func (s *Socket) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// readFailed classifies the error that ended the read loop.
func (s *Socket) readFailed(err error) {
	var ce *websocket.CloseError
	var ne net.Error
	switch {
	case errors.As(err, &ce):
		// The client closed; the close handler queued the echo.
	case errors.As(err, &ne) && ne.Timeout():
		s.mu.Lock()
		idle := !s.closing
		s.closeLocked(CloseIdleTimeout, "idle timeout")
		s.mu.Unlock()
		if idle {
			s.ep.stats.idleTimeouts.Add(1)
		}
	case errors.Is(err, websocket.ErrReadLimit): // a length that overflows int64
		s.ep.stats.oversized.Add(1)
		s.markDead() // the library has sent 1009
		s.linger()
	default:
		// EOF, reset, or a WebSocket protocol error the library already
		// answered with 1002.
		s.markDead()
		s.linger()
	}
}

// linger discards input for up to CloseGrace before the connection is
// closed, so a close frame the library sent is not lost to a TCP reset
// caused by unread data.
func (s *Socket) linger() {
	s.nc.SetReadDeadline(time.Now().Add(s.ep.cfg.CloseGrace))
	io.Copy(io.Discard, s.nc)
}

// closeWith starts closing the socket with a close frame.
func (s *Socket) closeWith(code int, text string) {
	s.mu.Lock()
	s.closeLocked(code, text)
	s.mu.Unlock()
}

// closeLocked drops queued frames, asks the writer to send the close
// frame and gives the client CloseGrace to answer. s.mu is held.
func (s *Socket) closeLocked(code int, text string) {
	if s.closing {
		return
	}
	s.closing = true
	s.closeCode, s.closeText = code, text
	s.closeBy = time.Now().Add(s.ep.cfg.CloseGrace)
	s.resetQueueLocked()
	s.startWriterLocked()
	s.nc.SetReadDeadline(time.Now().Add(s.ep.cfg.CloseGrace))
}

// markDead stops all writing: the connection is gone or already closed.
func (s *Socket) markDead() {
	s.mu.Lock()
	s.closing, s.dead = true, true
	s.resetQueueLocked()
	s.mu.Unlock()
	s.nc.SetWriteDeadline(time.Now()) // abort a blocked write
}

// teardown ends every channel, unregisters the socket and waits for the
// writer (so a pending close frame goes out before the connection is
// closed by the HTTP server).
func (s *Socket) teardown() {
	s.mu.Lock()
	s.closing = true // from here on no writer can start but for a due close frame
	chans := s.channels
	s.channels = nil
	for _, c := range chans {
		c.state = stateClosed
	}
	s.resetQueueLocked()
	code := s.closeCode
	s.mu.Unlock()
	s.cancel()
	for _, c := range chans {
		s.ep.stats.channelsJoined.Add(-1)
		s.safeLeave(c, LeaveDisconnect)
	}
	s.ep.users.remove(s, time.Now())
	s.writers.Wait()
	s.ep.stats.socketsOpen.Add(-1)
	s.ep.log.Debug("socket closed", "socket_id", s.id, "user_id", s.userID, "code", code)
}
