package frame

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	tooDeep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	tests := []struct {
		name string
		in   string
		want Frame
		err  error
	}{
		{"heartbeat", `[null,"9","phoenix","heartbeat",{}]`,
			Frame{Ref: StringRef("9"), Topic: "phoenix", Event: "heartbeat", Payload: []byte(`{}`)}, nil},
		{"join", `["1","1","user:abc","phx_join",{"token":"x"}]`,
			Frame{JoinRef: StringRef("1"), Ref: StringRef("1"), Topic: "user:abc", Event: "phx_join", Payload: []byte(`{"token":"x"}`)}, nil},
		{"whitespace everywhere", " \t\r\n[ \"1\" , null ,\"t\",\n\"e\" ,  [1, 2.5e-3,true,false,null,\"s\"]  ] \n",
			Frame{JoinRef: StringRef("1"), Topic: "t", Event: "e", Payload: []byte(`[1, 2.5e-3,true,false,null,"s"]`)}, nil},
		{"scalar payload", `[null,null,"t","e",-0.5E+2]`, Frame{Topic: "t", Event: "e", Payload: []byte(`-0.5E+2`)}, nil},
		{"string payload", `[null,null,"t","e","x\"y"]`, Frame{Topic: "t", Event: "e", Payload: []byte(`"x\"y"`)}, nil},
		{"null payload", `[null,null,"t","e",null]`, Frame{Topic: "t", Event: "e", Payload: []byte(`null`)}, nil},
		{"escapes", `["\u0031","a\/b","l\u00e9\ud83d\ude00\n","\ud800x",{}]`,
			Frame{JoinRef: StringRef("1"), Ref: StringRef("a/b"), Topic: "lé😀\n", Event: "\uFFFDx", Payload: []byte(`{}`)}, nil},
		{"empty strings", `["","","","",{}]`, Frame{JoinRef: StringRef(""), Ref: StringRef(""), Payload: []byte(`{}`)}, nil},
		{"max depth", `[null,null,"t","e",` + deep[1:len(deep)-1] + `]`, Frame{Topic: "t", Event: "e", Payload: []byte(deep[1 : len(deep)-1])}, nil},

		{"empty input", ``, Frame{}, ErrSyntax},
		{"blank input", "  \n", Frame{}, ErrSyntax},
		{"invalid utf8", "[null,null,\"t\xff\",\"e\",{}]", Frame{}, ErrInvalidUTF8},
		{"utf8 surrogate", "[null,null,\"\xed\xa0\x80\",\"e\",{}]", Frame{}, ErrInvalidUTF8},
		{"truncated", `[null,"9","phoenix","heartbeat",{}`, Frame{}, ErrSyntax},
		{"trailing data", `[null,"9","phoenix","heartbeat",{}] x`, Frame{}, ErrSyntax},
		{"two frames", `[null,null,"t","e",{}][null,null,"t","e",{}]`, Frame{}, ErrSyntax},
		{"trailing comma", `[null,null,"t","e",{},]`, Frame{}, ErrSyntax},
		{"bad literal", `[nul,null,"t","e",{}]`, Frame{}, ErrSyntax},
		{"bad number", `[null,null,"t","e",01]`, Frame{}, ErrSyntax},
		{"bad escape", `[null,null,"t\x","e",{}]`, Frame{}, ErrSyntax},
		{"bad unicode escape", `[null,null,"t\u12G4","e",{}]`, Frame{}, ErrSyntax},
		{"control char in string", "[null,null,\"t\x01\",\"e\",{}]", Frame{}, ErrSyntax},
		{"single quotes", `[null,null,'t',"e",{}]`, Frame{}, ErrSyntax},
		{"bom", "\uFEFF[null,null,\"t\",\"e\",{}]", Frame{}, ErrSyntax},
		{"syntax beats type", `[1,null,"t","e",{]`, Frame{}, ErrSyntax},
		{"too deep", `[null,null,"t","e",` + tooDeep + `]`, Frame{}, ErrTooDeep},
		{"object", `{"topic":"t","event":"e"}`, Frame{}, ErrNotArray},
		{"string", `"hello"`, Frame{}, ErrNotArray},
		{"number", `42`, Frame{}, ErrNotArray},
		{"null", `null`, Frame{}, ErrNotArray},
		{"empty array", `[]`, Frame{}, ErrArity},
		{"four elements", `[null,"9","phoenix","heartbeat"]`, Frame{}, ErrArity},
		{"six elements", `[null,"9","phoenix","heartbeat",{},1]`, Frame{}, ErrArity},
		{"arity beats type", `[1,2,3]`, Frame{}, ErrArity},
		{"numeric join_ref", `[1,"9","phoenix","heartbeat",{}]`, Frame{}, ErrType},
		{"numeric ref", `[null,9,"phoenix","heartbeat",{}]`, Frame{}, ErrType},
		{"null topic", `[null,"9",null,"heartbeat",{}]`, Frame{}, ErrType},
		{"object event", `[null,"9","phoenix",{},{}]`, Frame{}, ErrType},
		{"bool ref", `[true,"9","phoenix","heartbeat",{}]`, Frame{}, ErrType},
		{"array topic", `[null,"9",["phoenix"],"heartbeat",{}]`, Frame{}, ErrType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode([]byte(tt.in))
			if tt.err != nil {
				var de *DecodeError
				if !errors.Is(err, tt.err) || !errors.As(err, &de) {
					t.Fatalf("Decode(%q) error = %v, want %v", tt.in, err, tt.err)
				}
				if de.Error() == "" || de.Offset < 0 || de.Offset > len(tt.in) {
					t.Fatalf("bad error detail %+v", de)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode(%q): %v", tt.in, err)
			}
			if !got.Equal(tt.want) {
				t.Fatalf("Decode(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if again, err := Decode(Encode(got)); err != nil || !again.Equal(got) {
				t.Fatalf("round trip of %q: %+v, %v", tt.in, again, err)
			}
		})
	}
}

func TestTypeErrorNamesField(t *testing.T) {
	_, err := Decode([]byte(`[null,"9",5,"heartbeat",{}]`))
	var de *DecodeError
	if !errors.As(err, &de) || de.Field != "topic" || de.Offset != 10 {
		t.Fatalf("got %#v", err)
	}
}

func TestEncode(t *testing.T) {
	tests := []struct {
		name string
		f    Frame
		want string
	}{
		{"reply shape", Frame{Ref: StringRef("9"), Topic: "phoenix", Event: "phx_reply", Payload: []byte(`{"status":"ok","response":{}}`)},
			`[null,"9","phoenix","phx_reply",{"status":"ok","response":{}}]`},
		{"push", Frame{JoinRef: StringRef("1"), Topic: "lobby:1", Event: "updated", Payload: []byte(`{"a":1}`)},
			`["1",null,"lobby:1","updated",{"a":1}]`},
		{"empty payload", Frame{Topic: "t", Event: "e"}, `[null,null,"t","e",{}]`},
		{"escaping", Frame{Topic: "q\"b\\n\n\r\t\b\f\x01<>&\u2028\u2029é", Event: "bad\xffutf8", Payload: []byte(`1`)},
			`[null,null,"q\"b\\n\n\r\t\b\f\u0001<>&\u2028\u2029é","bad\ufffdutf8",1]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(Encode(tt.f))
			if got != tt.want {
				t.Fatalf("Encode = %s, want %s", got, tt.want)
			}
			if !json.Valid([]byte(got)) {
				t.Fatalf("not valid JSON: %s", got)
			}
		})
	}
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "\x00\x1f\x7f", "\"\\/", "\u2028\u2029", "日本語", "a\xc3", "\xed\xa0\x80", "😀"} {
		want, _ := json.Marshal(s)
		var back string
		if err := json.Unmarshal(AppendString(nil, s), &back); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		var wantBack string
		json.Unmarshal(want, &wantBack)
		if back != wantBack {
			t.Fatalf("%q decodes to %q, encoding/json to %q", s, back, wantBack)
		}
	}
}

func TestAppendReply(t *testing.T) {
	got := string(AppendReply(nil, StringRef("1"), StringRef("5"), "user:1", "error", []byte(`{"reason":"unmatched topic"}`)))
	want := `["1","5","user:1","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]`
	if got != want {
		t.Fatalf("got %s", got)
	}
	if got := string(AppendReply(nil, Null, StringRef("9"), "phoenix", "ok", nil)); got != `[null,"9","phoenix","phx_reply",{"status":"ok","response":{}}]` {
		t.Fatalf("got %s", got)
	}
}
