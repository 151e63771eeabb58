package frame

import (
	"encoding/json"
	"testing"
)

var (
	benchHeartbeat = []byte(`[null,"9","phoenix","heartbeat",{}]`)
	benchPush      = []byte(`["3","17","user:0190a0c4-1b2c-7d3e-8f40-5a6b7c8d9e0f","call_hook",{"plugin":"inventory","fn":"equip","args":[{"slot":"head","item":"0190a0c4-1b2c-7d3e-8f40-5a6b7c8d9e0f"},3,true],"_request_id":"r-42"}]`)
	benchPayload   = []byte(`{"id":"0190a0c4-1b2c-7d3e-8f40-5a6b7c8d9e0f","title":"Friday night","host_id":"0190a0c4-1b2c-7d3e-8f40-5a6b7c8d9e10","max_users":8,"is_hidden":false,"is_locked":false,"metadata":{"mode":"ctf","map":"dust"},"members":[{"id":"a","display_name":"Ann"},{"id":"b","display_name":"Bob"}]}`)
)

func BenchmarkDecodeHeartbeat(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchHeartbeat)))
	for b.Loop() {
		if _, err := Decode(benchHeartbeat); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodePush(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchPush)))
	for b.Loop() {
		if _, err := Decode(benchPush); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodePushEncodingJSON is the baseline: the same frame through
// encoding/json into []json.RawMessage (without the type checks).
func BenchmarkDecodePushEncodingJSON(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchPush)))
	for b.Loop() {
		var elems []json.RawMessage
		if err := json.Unmarshal(benchPush, &elems); err != nil {
			b.Fatal(err)
		}
		var topic string
		json.Unmarshal(elems[2], &topic)
	}
}

func BenchmarkEncodePush(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 1024)
	b.SetBytes(int64(len(benchPayload)))
	for b.Loop() {
		buf = AppendFrame(buf[:0], StringRef("3"), Null, "lobby:0190a0c4-1b2c-7d3e-8f40-5a6b7c8d9e0f", "updated", benchPayload)
	}
}

func BenchmarkEncodeReply(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 1024)
	for b.Loop() {
		buf = AppendReply(buf[:0], StringRef("3"), StringRef("17"), "user:0190a0c4-1b2c-7d3e-8f40-5a6b7c8d9e0f", "ok", []byte(`{"data":{"ok":true}}`))
	}
}
