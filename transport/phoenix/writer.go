package phoenix

import (
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/gamend-go/gamend/transport/phoenix/internal/frame"
)

type itemKind uint8

const (
	itemFrame itemKind = iota // [join_ref, ref, topic, event, payload]
	itemReply                 // phx_reply; event holds the status, payload the response
	itemPong                  // WebSocket pong; payload is the ping data
)

// outItem is one queued frame. Strings and payloads are shared, not
// copied: a fan-out queues the same payload slice on every socket.
type outItem struct {
	kind    itemKind
	joinRef frame.Ref
	ref     frame.Ref
	topic   string
	event   string
	payload []byte
}

func (it *outItem) size() int { return len(it.payload) + len(it.topic) + len(it.event) + 64 }

const (
	maxWSHeader  = 10       // server frames are unmasked: 2 + 8 length bytes at most
	flushAt      = 64 << 10 // write a batch once it holds this much
	maxPooledBuf = 256 << 10
)

// batchPool holds the writer's batch buffers, shared by every socket:
// an idle socket holds no write buffer at all.
var batchPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// libWriteBufferPool backs the library's own writer, used only for
// compressed frames.
var libWriteBufferPool = &sync.Pool{}

// startWriterLocked starts the writer goroutine unless one is running;
// s.mu is held. The writer lives only while there is something to write,
// so an idle socket has no writer goroutine (and no stack for it).
func (s *Socket) startWriterLocked() {
	if s.writing || s.dead {
		return
	}
	s.writing = true
	s.writers.Add(1)
	go s.writeLoop()
}

// enqueueLocked queues it; s.mu is held. On overflow it starts the slow
// consumer close and returns ErrSlowConsumer.
func (s *Socket) enqueueLocked(it outItem) error {
	if s.closing {
		return ErrClosed
	}
	n := it.size()
	if len(s.q) >= s.ep.cfg.MaxQueuedFrames || s.qBytes+n > s.ep.cfg.MaxQueuedBytes {
		s.ep.stats.slowConsumers.Add(1)
		s.closeLocked(CloseSlowConsumer, "slow consumer")
		// A writer stuck on a full TCP buffer gives up soon.
		s.nc.SetWriteDeadline(time.Now().Add(s.ep.cfg.CloseGrace))
		return ErrSlowConsumer
	}
	s.q = append(s.q, it)
	s.qBytes += n
	s.startWriterLocked()
	return nil
}

// writeLoop is the socket's writer: it takes the whole queue at once,
// frames everything into one pooled buffer and writes it with one syscall
// per 64 KiB, until the queue is empty; then it sends the close frame if
// one is due, and exits.
func (s *Socket) writeLoop() {
	defer s.writers.Done()
	for {
		s.mu.Lock()
		items := s.q
		s.q, s.qBytes = nil, 0
		sendClose := len(items) == 0 && s.closeCode != 0 && !s.closeSent
		if s.dead || (len(items) == 0 && !sendClose) {
			s.writing = false
			s.mu.Unlock()
			return
		}
		if sendClose {
			s.closeSent = true
		}
		code, text := s.closeCode, s.closeText
		s.mu.Unlock()

		if sendClose {
			s.writeClose(code, text)
			continue
		}
		err := s.writeItems(items)
		clear(items) // drop payload references before the slice is collected
		if err != nil {
			s.writeFailed(err)
		}
	}
}

func (s *Socket) writeDeadline() time.Time {
	s.mu.Lock()
	closing := s.closing
	s.mu.Unlock()
	if closing {
		return time.Now().Add(s.ep.cfg.CloseGrace)
	}
	return time.Now().Add(s.ep.cfg.WriteTimeout)
}

func (s *Socket) writeItems(items []outItem) error {
	bp := batchPool.Get().(*[]byte)
	buf := (*bp)[:0]
	defer func() {
		if cap(buf) <= maxPooledBuf {
			*bp = buf[:0]
			batchPool.Put(bp)
		}
	}()
	deadline := s.writeDeadline()
	if err := s.nc.SetWriteDeadline(deadline); err != nil {
		return err
	}
	frames := 0
	for i := range items {
		it := &items[i]
		if it.kind == itemPong {
			buf = appendControl(buf, websocket.PongMessage, it.payload)
			continue
		}
		start := len(buf)
		buf = append(buf, make([]byte, maxWSHeader)...)
		buf = appendItem(buf, it)
		n := len(buf) - start - maxWSHeader
		frames++
		if s.compress && s.ep.cfg.CompressMinBytes >= 0 && n >= s.ep.cfg.CompressMinBytes {
			// Flush what precedes it, then let the library deflate it.
			if start > 0 {
				if _, err := s.nc.Write(buf[:start]); err != nil {
					return err
				}
			}
			if err := s.writeCompressed(buf[start+maxWSHeader:], deadline); err != nil {
				return err
			}
			buf = buf[:0]
			continue
		}
		buf = finishFrame(buf, start, n)
		if len(buf) >= flushAt {
			if _, err := s.nc.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if len(buf) > 0 {
		if _, err := s.nc.Write(buf); err != nil {
			return err
		}
	}
	s.ep.stats.framesOut.Add(int64(frames))
	return nil
}

func appendItem(buf []byte, it *outItem) []byte {
	if it.kind == itemReply {
		return frame.AppendReply(buf, it.joinRef, it.ref, it.topic, it.event, it.payload)
	}
	return frame.AppendFrame(buf, it.joinRef, it.ref, it.topic, it.event, it.payload)
}

// finishFrame writes the text frame header for the n payload bytes that
// follow a maxWSHeader gap at start, closing the gap.
func finishFrame(buf []byte, start, n int) []byte {
	var hdr [maxWSHeader]byte
	hdr[0] = 0x80 | websocket.TextMessage // FIN, text, RSV1 unset (not compressed)
	h := 2
	switch {
	case n <= 125:
		hdr[1] = byte(n)
	case n <= 0xFFFF:
		hdr[1] = 126
		binary.BigEndian.PutUint16(hdr[2:], uint16(n))
		h = 4
	default:
		hdr[1] = 127
		binary.BigEndian.PutUint64(hdr[2:], uint64(n))
		h = 10
	}
	copy(buf[start+h:], buf[start+maxWSHeader:start+maxWSHeader+n])
	copy(buf[start:], hdr[:h])
	return buf[:start+h+n]
}

func appendControl(buf []byte, op int, payload []byte) []byte {
	if len(payload) > 125 {
		payload = payload[:125]
	}
	buf = append(buf, 0x80|byte(op), byte(len(payload)))
	return append(buf, payload...)
}

func (s *Socket) writeCompressed(msg []byte, deadline time.Time) error {
	s.ws.SetWriteDeadline(deadline)
	w, err := s.ws.NextWriter(websocket.TextMessage)
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// writeClose sends the close frame; errors are moot, the socket is ending.
func (s *Socket) writeClose(code int, text string) {
	var payload []byte
	if code != websocket.CloseNoStatusReceived {
		payload = websocket.FormatCloseMessage(code, text)
	}
	var buf [2 + 125]byte
	s.nc.SetWriteDeadline(time.Now().Add(s.ep.cfg.CloseGrace))
	s.nc.Write(appendControl(buf[:0], websocket.CloseMessage, payload))
}

// writeFailed handles a failed write: a timeout means the client stopped
// reading (slow consumer); anything else, a dead connection. Either way
// the reader is woken so the socket tears down.
func (s *Socket) writeFailed(err error) {
	var ne net.Error
	slow := errors.As(err, &ne) && ne.Timeout()
	s.mu.Lock()
	wasClosing := s.closing
	s.closing, s.dead = true, true
	s.q = nil
	s.mu.Unlock()
	if slow && !wasClosing {
		s.ep.stats.slowConsumers.Add(1)
	}
	s.ep.log.Debug("socket write failed", "socket_id", s.id, "user_id", s.userID, "err", err, "slow_consumer", slow)
	s.nc.SetReadDeadline(time.Now())
}
