package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
)

// RemoteError is an error that crossed nodes without a registered type; it
// keeps the original message.
type RemoteError struct{ Message string }

func (e *RemoteError) Error() string { return e.Message }

type codecTable struct {
	mu          sync.RWMutex
	msgByName   map[string]reflect.Type
	msgName     map[reflect.Type]string
	errByName   map[string]error
	errNames    []namedErr
	errTypeName map[reflect.Type]string
	errTypes    map[string]reflect.Type
}

type namedErr struct {
	name string
	err  error
}

var codec = codecTable{
	msgByName:   map[string]reflect.Type{},
	msgName:     map[reflect.Type]string{},
	errByName:   map[string]error{},
	errTypeName: map[reflect.Type]string{},
	errTypes:    map[string]reflect.Type{},
}

func init() {
	RegisterMessage[int]("int")
	RegisterMessage[int64]("int64")
	RegisterMessage[float64]("float64")
	RegisterMessage[string]("string")
	RegisterMessage[bool]("bool")
	RegisterMessage[[]string]("[]string")
	RegisterMessage[map[string]any]("map")
	RegisterMessage[struct{}]("struct{}")
}

// RegisterMessage makes the Go type T able to cross nodes as a request,
// one-way message or reply, under a stable name (e.g. "lobby.Join"). T is
// encoded as JSON, so its exported fields must round-trip through JSON.
// Registering the same name twice with different types panics.
func RegisterMessage[T any](name string) {
	t := reflect.TypeFor[T]()
	codec.mu.Lock()
	defer codec.mu.Unlock()
	if old, ok := codec.msgByName[name]; ok && old != t {
		panic(fmt.Sprintf("registry: message name %q registered for %v and %v", name, old, t))
	}
	codec.msgByName[name] = t
	codec.msgName[t] = name
}

// RegisterError makes a sentinel error keep its identity across nodes:
// errors.Is(received, err) holds on the caller.
func RegisterError(name string, err error) {
	codec.mu.Lock()
	defer codec.mu.Unlock()
	codec.errByName[name] = err
	codec.errNames = append(codec.errNames, namedErr{name, err})
}

// RegisterErrorType makes errors of concrete type T (JSON-encodable) cross
// nodes with their fields intact, so errors.As works on the caller.
func RegisterErrorType[T error](name string) {
	t := reflect.TypeFor[T]()
	codec.mu.Lock()
	defer codec.mu.Unlock()
	codec.errTypeName[t] = name
	codec.errTypes[name] = t
}

// messageName returns the registered name of v's type, or an error
// wrapping ErrUnregisteredMessage. A nil v is the empty name.
func messageName(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	codec.mu.RLock()
	name, ok := codec.msgName[reflect.TypeOf(v)]
	codec.mu.RUnlock()
	if !ok {
		return "", fmt.Errorf("%w: %T (call registry.RegisterMessage for it)", ErrUnregisteredMessage, v)
	}
	return name, nil
}

// checkCrossable fails with ErrUnregisteredMessage when v could not cross
// nodes. Local deliveries apply it too, so a message type missing from the
// codec fails on a single node, in tests, rather than only in a cluster.
func checkCrossable(v any) error {
	_, err := messageName(v)
	return err
}

func encodeMessage(v any) (string, []byte, error) {
	if v == nil {
		return "", nil, nil
	}
	name, err := messageName(v)
	if err != nil {
		return "", nil, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", nil, fmt.Errorf("registry: encode %s: %w", name, err)
	}
	return name, b, nil
}

func decodeMessage(name string, payload []byte) (any, error) {
	if name == "" {
		return nil, nil
	}
	codec.mu.RLock()
	t, ok := codec.msgByName[name]
	codec.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("registry: unknown message type %q", name)
	}
	return decodeAs(t, payload)
}

func decodeAs(t reflect.Type, payload []byte) (any, error) {
	if t.Kind() == reflect.Pointer {
		v := reflect.New(t.Elem())
		if err := json.Unmarshal(payload, v.Interface()); err != nil {
			return nil, err
		}
		return v.Interface(), nil
	}
	v := reflect.New(t)
	if err := json.Unmarshal(payload, v.Interface()); err != nil {
		return nil, err
	}
	return v.Elem().Interface(), nil
}

// encodeError returns (type, payload, message) for an error crossing nodes.
func encodeError(err error) (string, []byte, string) {
	if err == nil {
		return "", nil, ""
	}
	codec.mu.RLock()
	defer codec.mu.RUnlock()
	// A registered error type anywhere in the chain keeps its fields.
	for e := err; e != nil; e = errors.Unwrap(e) {
		if name, ok := codec.errTypeName[reflect.TypeOf(e)]; ok {
			if b, jerr := json.Marshal(e); jerr == nil {
				return "type:" + name, b, err.Error()
			}
		}
	}
	for _, ne := range codec.errNames {
		if errors.Is(err, ne.err) {
			return "sentinel:" + ne.name, nil, err.Error()
		}
	}
	return "", nil, err.Error()
}

func decodeError(typ string, payload []byte, msg string) error {
	if typ == "" && msg == "" {
		return nil
	}
	codec.mu.RLock()
	defer codec.mu.RUnlock()
	switch {
	case len(typ) > 5 && typ[:5] == "type:":
		if t, ok := codec.errTypes[typ[5:]]; ok {
			if v, err := decodeAs(t, payload); err == nil {
				if e, ok := v.(error); ok {
					return e
				}
			}
		}
	case len(typ) > 9 && typ[:9] == "sentinel:":
		if e, ok := codec.errByName[typ[9:]]; ok {
			if msg != "" && msg != e.Error() {
				return fmt.Errorf("%s: %w", trimSuffix(msg, ": "+e.Error()), e)
			}
			return e
		}
	}
	return &RemoteError{Message: msg}
}

func trimSuffix(s, suf string) string {
	if len(s) >= len(suf) && s[len(s)-len(suf):] == suf {
		return s[:len(s)-len(suf)]
	}
	return s
}
