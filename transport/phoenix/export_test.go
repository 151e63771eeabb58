package phoenix

import "time"

// WriterBlockedFor returns how long the writer of userID's sockets has
// been blocked in one network write (the longest over them; 0 when none
// is writing): the progress signal the slow-consumer rule reads.
func (e *Endpoint) WriterBlockedFor(userID string) time.Duration {
	var longest time.Duration
	for _, s := range e.users.sockets(userID) {
		if since := s.writeSince.Load(); since != 0 {
			longest = max(longest, time.Since(time.Unix(0, since)))
		}
	}
	return longest
}
