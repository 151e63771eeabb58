package config

import (
	"strings"
	"time"
)

// Millis is a duration configured as an integer number of milliseconds,
// the unit every upstream Gamend timing variable uses.
type Millis int64

// Duration converts m to a time.Duration.
func (m Millis) Duration() time.Duration { return time.Duration(m) * time.Millisecond }

// Micros is a duration configured as an integer number of microseconds.
type Micros int64

// Duration converts m to a time.Duration.
func (m Micros) Duration() time.Duration { return time.Duration(m) * time.Microsecond }

// FieldError is one problem with one environment variable. Its message
// names the variable and never contains a secret value.
type FieldError struct {
	Var string // environment variable name, e.g. "PORT"
	Msg string // what is wrong, e.g. `must be between 1 and 65535, got "99999"`
}

// Error implements error as "VAR: message".
func (e *FieldError) Error() string { return e.Var + ": " + e.Msg }

// Errors is every problem found while loading or validating a Config.
// Load and Validate return it (never an empty one) so that start-up can
// report all mistakes at once.
type Errors []*FieldError

// Error implements error: one problem per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return "invalid configuration:\n  " + strings.Join(lines, "\n  ")
}

// Unwrap exposes the individual problems to errors.Is and errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// Vars lists the variables named by the problems, in order.
func (es Errors) Vars() []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Var
	}
	return out
}
