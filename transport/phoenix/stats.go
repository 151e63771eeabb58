package phoenix

import "sync/atomic"

// Stats is a snapshot of the endpoint's counters (this node only).
// Gauges: SocketsOpen, ChannelsJoined. Everything else counts since Mount.
type Stats struct {
	SocketsOpen    int64 // authenticated sockets currently open
	ChannelsJoined int64 // channels currently joined, over all sockets
	SocketsTotal   int64 // sockets accepted
	Rejected       int64 // upgrades refused (origin, vsn, token, cap, shutdown)
	FramesIn       int64 // data messages received
	FramesOut      int64 // Phoenix frames written (control frames excluded)
	// SlowConsumerDisconnects counts sockets closed as slow consumers
	// (CloseSlowConsumer): a writer stalled past StallTimeout with the
	// queue over a soft limit, the queue at MaxQueueBytes, a join burst
	// over MaxJoinBurstBytes, or one write blocked past WriteTimeout.
	// Each is also logged at Warn with the user id.
	SlowConsumerDisconnects int64
	// QueuedBytes is a gauge: bytes accepted for writing and not yet
	// written, over all sockets (the memory outbound queues hold).
	QueuedBytes int64
	// PeakSocketQueueBytes is the deepest any one socket's outbound
	// queue has been, in bytes; never more than MaxQueueBytes.
	PeakSocketQueueBytes int64
	IdleTimeouts         int64 // sockets closed with CloseIdleTimeout
	MalformedFrames      int64 // sockets closed for undecodable frames
	OversizedFrames      int64 // sockets closed with CloseMessageTooBig
	RateLimited          int64 // pushes and joins refused by the per-user budget
	ChannelCrashes       int64 // HandleIn panics (phx_error sent)
	// Detached counts sockets whose session left fasthttp's hijack
	// handler at once, so fasthttp pooled the upgrade's request context
	// (all but those whose client sent bytes behind the upgrade request).
	Detached int64
}

type counters struct {
	socketsOpen, channelsJoined, socketsTotal, rejected atomic.Int64
	framesIn, framesOut                                 atomic.Int64
	slowConsumers, idleTimeouts, malformed, oversized   atomic.Int64
	rateLimited, crashes                                atomic.Int64
	queuedBytes, peakQueue                              atomic.Int64
	detached                                            atomic.Int64
}

// notePeak raises peakQueue to n when n is higher.
func (c *counters) notePeak(n int64) {
	for {
		p := c.peakQueue.Load()
		if n <= p || c.peakQueue.CompareAndSwap(p, n) {
			return
		}
	}
}

func (c *counters) snapshot() Stats {
	return Stats{
		SocketsOpen:             c.socketsOpen.Load(),
		ChannelsJoined:          c.channelsJoined.Load(),
		SocketsTotal:            c.socketsTotal.Load(),
		Rejected:                c.rejected.Load(),
		FramesIn:                c.framesIn.Load(),
		FramesOut:               c.framesOut.Load(),
		SlowConsumerDisconnects: c.slowConsumers.Load(),
		QueuedBytes:             c.queuedBytes.Load(),
		PeakSocketQueueBytes:    c.peakQueue.Load(),
		IdleTimeouts:            c.idleTimeouts.Load(),
		MalformedFrames:         c.malformed.Load(),
		OversizedFrames:         c.oversized.Load(),
		RateLimited:             c.rateLimited.Load(),
		ChannelCrashes:          c.crashes.Load(),
		Detached:                c.detached.Load(),
	}
}
