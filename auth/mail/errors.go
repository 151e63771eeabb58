package mail

import "errors"

// Errors of the outgoing queue.
var (
	// ErrQueueFull: the queue holds QueueOptions.Size messages already; the
	// message was dropped (and counted), never waited for.
	ErrQueueFull = errors.New("mail: queue full, message dropped")
	// ErrQueueClosed: the queue is shutting down and takes no new message.
	ErrQueueClosed = errors.New("mail: queue closed, message dropped")
)

// permanentError marks a delivery failure that a retry cannot fix (the
// relay refused the recipient or the message with a 5xx reply, or an
// address does not parse).
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as a failure the queue must not retry. Any other
// error a Mailer returns counts as transient (a relay that is down, a
// timeout, a 4xx reply) and is retried with backoff.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}
