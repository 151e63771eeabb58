package hooks

import (
	"bytes"
	"encoding/json"
)

// NormalizeArgs applies the argument rules of API.md §4.14 to the raw
// "args" value of a call: absent or null is [], an array is kept, and any
// other JSON value is wrapped in a one-element array. maxCount and maxBytes
// (LIMIT_MAX_HOOK_ARGS_COUNT, LIMIT_MAX_HOOK_ARGS_SIZE; <= 0 is no limit)
// bound the number of arguments and the size of the resulting JSON array;
// exceeding them is ErrTooManyArgs or ErrArgsTooLarge. Invalid JSON is
// ErrInvalidRequest.
func NormalizeArgs(raw json.RawMessage, maxCount, maxBytes int) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return json.RawMessage("[]"), nil
	}
	if !json.Valid(raw) {
		return nil, ErrInvalidRequest
	}
	if raw[0] != '[' {
		wrapped := make([]byte, 0, len(raw)+2)
		wrapped = append(append(append(wrapped, '['), raw...), ']')
		raw = wrapped
	}
	if maxBytes > 0 && len(raw) > maxBytes {
		return nil, ErrArgsTooLarge
	}
	if maxCount > 0 {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, ErrInvalidRequest
		}
		if len(items) > maxCount {
			return nil, ErrTooManyArgs
		}
	}
	return json.RawMessage(raw), nil
}
