package phoenix

import (
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"time"
	"unsafe"

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

// itemOverhead is what a queued frame costs besides its strings and
// payload: the outItem itself in the queue's backing array.
const itemOverhead = int(unsafe.Sizeof(outItem{}))

// size is what the item counts against the queue limits.
func (it *outItem) size() int { return len(it.payload) + len(it.topic) + len(it.event) + itemOverhead }

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

// Reasons a socket is disconnected as a slow consumer (logged).
const (
	slowStalled  = "stalled"       // over a soft limit, writer blocked past StallTimeout
	slowOverCap  = "queue_full"    // MaxQueueBytes reached
	slowBurst    = "burst_too_big" // a join burst over MaxJoinBurstBytes
	slowTimedOut = "write_timeout" // one write blocked past WriteTimeout
)

// admitLocked decides whether n more bytes (frames more frames) may be
// queued; s.mu is held. It returns "" to admit, else the slow-consumer
// reason. The queue counts what the writer is writing (inflight) too.
//
// Back-pressure is based on write progress, not on depth alone: below
// the soft limits everything is admitted; beyond them a frame is
// admitted while the writer is not stuck (its current network write,
// if any, began less than StallTimeout ago); MaxQueueBytes is never
// exceeded.
func (s *Socket) admitLocked(n, frames int, now time.Time) string {
	total := s.qBytes + s.inflight + n
	if total > s.ep.cfg.MaxQueueBytes {
		return slowOverCap
	}
	if total <= s.ep.cfg.SoftQueueBytes && s.qFrames+s.inflightFrames+frames <= s.ep.cfg.SoftQueueFrames {
		return ""
	}
	if since := s.writeSince.Load(); since != 0 && now.Sub(time.Unix(0, since)) >= s.ep.cfg.StallTimeout {
		return slowStalled
	}
	return ""
}

// queuedLocked accounts frames of n bytes the caller appended to s.q
// (admitLocked said yes) and makes sure the writer runs; s.mu is held.
func (s *Socket) queuedLocked(frames, n int) {
	s.qFrames += frames
	s.qBytes += n
	s.ep.stats.queuedBytes.Add(int64(n))
	s.ep.stats.notePeak(int64(s.qBytes + s.inflight))
	s.startWriterLocked()
}

// enqueueLocked queues a frame; s.mu is held. When the queue rules of
// admitLocked refuse it, the socket is disconnected as a slow consumer
// and ErrSlowConsumer returned.
func (s *Socket) enqueueLocked(it outItem) error {
	if s.closing {
		return ErrClosed
	}
	n := it.size()
	if why := s.admitLocked(n, 1, time.Now()); why != "" {
		return s.overflowLocked(why)
	}
	s.q = append(s.q, it)
	s.queuedLocked(1, n)
	return nil
}

// enqueueBurstLocked queues a join burst (the join reply, then the pushes
// held while Join ran) as one unit, in order; s.mu is held. The burst is
// admitted by the same rules as single frames, as a whole.
func (s *Socket) enqueueBurstLocked(reply outItem, pending []outItem) error {
	if s.closing {
		return ErrClosed
	}
	n := reply.size()
	for i := range pending {
		n += pending[i].size()
	}
	if why := s.admitLocked(n, 1+len(pending), time.Now()); why != "" {
		return s.overflowLocked(why)
	}
	s.q = append(s.q, reply)
	s.q = append(s.q, pending...)
	s.queuedLocked(1+len(pending), n)
	return nil
}

// overflowLocked disconnects the socket as a slow consumer; s.mu is held.
func (s *Socket) overflowLocked(why string) error {
	s.slowConsumerLocked(why)
	s.closeLocked(CloseSlowConsumer, "slow consumer")
	// A writer stuck on a full TCP buffer gives up soon.
	s.nc.SetWriteDeadline(time.Now().Add(s.ep.cfg.CloseGrace))
	return ErrSlowConsumer
}

// slowConsumerLocked counts and logs a slow-consumer disconnect; s.mu is
// held. Each socket is counted once: callers check it was not closing.
func (s *Socket) slowConsumerLocked(why string) {
	s.ep.stats.slowConsumers.Add(1)
	var blocked time.Duration
	if since := s.writeSince.Load(); since != 0 {
		blocked = time.Since(time.Unix(0, since))
	}
	s.ep.log.Warn("slow consumer disconnected", "socket_id", s.id, "user_id", s.userID, "reason", why,
		"queued_bytes", s.qBytes+s.inflight, "queued_frames", s.qFrames+s.inflightFrames, "write_blocked_for", blocked)
}

// resetQueueLocked drops the queued frames and their accounting; s.mu is
// held. The batch being written stays accounted until the writer is done.
func (s *Socket) resetQueueLocked() {
	s.ep.stats.queuedBytes.Add(-int64(s.qBytes))
	s.q = nil
	s.qFrames, s.qBytes = 0, 0
}

// writeLoop is the socket's writer: it takes the whole queue at once,
// frames everything into one pooled buffer and writes it with one syscall
// per 64 KiB, until the queue is empty; then it sends the close frame if
// one is due, and exits. The batch it took stays accounted (inflight)
// until it is written, so the queue limits bound it too.
func (s *Socket) writeLoop() {
	defer s.writers.Done()
	for {
		s.mu.Lock()
		if s.dead {
			s.resetQueueLocked()
		}
		sendClose := len(s.q) == 0 && s.closeCode != 0 && !s.closeSent
		if s.dead || (len(s.q) == 0 && !sendClose) {
			s.writing = false
			s.mu.Unlock()
			return
		}
		if sendClose {
			s.closeSent = true
			code, text := s.closeCode, s.closeText
			s.mu.Unlock()
			s.writeClose(code, text)
			continue
		}
		items, n := s.q, s.qBytes
		s.inflight, s.inflightFrames = s.qBytes, s.qFrames
		s.q, s.qBytes, s.qFrames = nil, 0, 0
		s.mu.Unlock()

		err := s.writeItems(items)
		clear(items) // drop payload references before the slice is collected
		s.mu.Lock()
		s.inflight, s.inflightFrames = 0, 0
		s.mu.Unlock()
		s.ep.stats.queuedBytes.Add(-int64(n))
		if err != nil && !errors.Is(err, errSocketDead) {
			s.writeFailed(err)
		}
	}
}

var errSocketDead = errors.New("phoenix: socket is dead")

// armWrite sets the deadline of the next network write: WriteTimeout from
// now, re-armed before every write, so WriteTimeout bounds how long the
// client may go without reading, not how long a large batch (a join burst
// on a slow link) takes in all. Once the socket is closing, the rest of
// the batch must be written within CloseGrace of the close decision. It
// fails once the socket is dead; the deadline is set under s.mu so
// markDead's abort (deadline = now, set after it unlocks) always wins.
func (s *Socket) armWrite() (time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dead {
		return time.Time{}, errSocketDead
	}
	now := time.Now()
	deadline := now.Add(s.ep.cfg.WriteTimeout)
	if s.closing {
		deadline = s.closeBy
		if deadline.IsZero() {
			deadline = now.Add(s.ep.cfg.CloseGrace)
		}
	}
	s.writeSince.Store(now.UnixNano()) // cleared when the write returns
	return deadline, s.nc.SetWriteDeadline(deadline)
}

// writeChunk is the most one network write takes: progress (writeSince,
// the write deadline) is measured per chunk, so a client that reads slowly
// but steadily, a few KB/s, is never taken for a stalled one.
const writeChunk = 16 << 10

// write writes b in chunks, arming the deadline before each.
func (s *Socket) write(b []byte) error {
	for len(b) > 0 {
		chunk := b[:min(len(b), writeChunk)]
		if _, err := s.armWrite(); err != nil {
			return err
		}
		_, err := s.nc.Write(chunk)
		s.writeSince.Store(0)
		if err != nil {
			return err
		}
		b = b[len(chunk):]
	}
	return nil
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
				if err := s.write(buf[:start]); err != nil {
					return err
				}
			}
			if err := s.writeCompressed(buf[start+maxWSHeader:]); err != nil {
				return err
			}
			buf = buf[:0]
			continue
		}
		buf = finishFrame(buf, start, n)
		if len(buf) >= flushAt {
			if err := s.write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if len(buf) > 0 {
		if err := s.write(buf); err != nil {
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

func (s *Socket) writeCompressed(msg []byte) error {
	deadline, err := s.armWrite()
	if err != nil {
		return err
	}
	defer s.writeSince.Store(0)
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
	if slow && !s.closing {
		s.slowConsumerLocked(slowTimedOut)
	}
	s.closing, s.dead = true, true
	s.resetQueueLocked()
	s.mu.Unlock()
	s.ep.log.Debug("socket write failed", "socket_id", s.id, "user_id", s.userID, "err", err, "slow_consumer", slow)
	s.nc.SetReadDeadline(time.Now())
}
