package notifications

import (
	"errors"
	"fmt"
)

// Errors of the service; the REST layer maps them to API.md §4.9 bodies.
var (
	ErrMissingRecipient = errors.New("notifications: missing recipient")
	ErrSelf             = errors.New("notifications: cannot notify self")
	ErrNotFriends       = errors.New("notifications: recipient is not a friend")
	ErrTooMany          = errors.New("notifications: recipient holds too many notifications")
	ErrNotFound         = errors.New("notifications: not found")
	// ErrRecipientUnknown and ErrSenderUnknown: the recipient or the
	// sender is not an existing user. Create joins both when neither
	// exists.
	ErrRecipientUnknown = errors.New("notifications: recipient does not exist")
	ErrSenderUnknown    = errors.New("notifications: sender does not exist")
)

// ValidationError lists field errors ({"title":["can't be blank"]}).
type ValidationError struct{ Fields map[string][]string }

func (e *ValidationError) Error() string { return fmt.Sprintf("notifications: invalid %v", e.Fields) }
