package persistence

import (
	"database/sql"
	"errors"
	"fmt"
)

// ErrNotFound is returned by stores when a row does not exist.
var ErrNotFound = errors.New("persistence: not found")

// ErrClosed is returned for work submitted after the store was closed.
var ErrClosed = errors.New("persistence: closed")

// UniqueError is a unique-constraint violation. Detail is the constraint
// name (PostgreSQL) or the "table.column, ..." list (SQLite).
type UniqueError struct {
	Detail string
	Err    error
}

func (e *UniqueError) Error() string {
	return fmt.Sprintf("unique violation (%s): %v", e.Detail, e.Err)
}
func (e *UniqueError) Unwrap() error { return e.Err }

// NotFound maps sql.ErrNoRows to ErrNotFound and returns other errors as is.
func NotFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// IsUnique reports whether err is (or wraps) a unique-constraint violation,
// returning its detail.
func IsUnique(err error) (string, bool) {
	var ue *UniqueError
	if errors.As(err, &ue) {
		return ue.Detail, true
	}
	return "", false
}
