package frame

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"
)

var fuzzSeeds = []string{
	`[null,"9","phoenix","heartbeat",{}]`,
	`["1","1","user:0190a0c4-1b2c-7d3e-8f40-5a6b7c8d9e0f","phx_join",{"token":"x"}]`,
	`["1","5","user:1","call_hook",{"plugin":"p","fn":"f","args":[1,"two",{"3":null}]}]`,
	`["\u0031","a\/b","l\u00e9\ud83d\ude00","\ud800x",-1.5e+10]`,
	`[null,null,"t","e",[[[[[]]]]]]`,
	`[1,2,3]`, `{}`, `[]`, `"x"`, `[null,null,"t","e",{},1]`, "[\"\xff\",null,\"t\",\"e\",{}]",
}

// FuzzDecode checks that Decode never panics, agrees with encoding/json on
// what is a valid frame, and that decode(encode(f)) == f.
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<17 { // the socket never decodes more (MaxFrameBytes)
			return
		}
		got, err := Decode(data)
		want, oracleErr := oracleDecode(data)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *DecodeError", err)
			}
			if oracleErr == nil && !errors.Is(err, ErrTooDeep) {
				t.Fatalf("Decode(%q) = %v, encoding/json accepts it as %+v", data, err, want)
			}
			if oracleErr != nil && !errors.Is(err, oracleErr) && !errors.Is(err, ErrTooDeep) {
				t.Fatalf("Decode(%q) = %v, encoding/json says %v", data, err, oracleErr)
			}
			return
		}
		if oracleErr != nil {
			t.Fatalf("Decode(%q) accepted a frame encoding/json rejects: %v", data, oracleErr)
		}
		if !got.Equal(want) {
			t.Fatalf("Decode(%q) = %+v, encoding/json = %+v", data, got, want)
		}
		enc := Encode(got)
		again, err := Decode(enc)
		if err != nil || !again.Equal(got) {
			t.Fatalf("round trip: Decode(Encode(%+v)) = %+v, %v (encoded %s)", got, again, err, enc)
		}
	})
}

// FuzzRoundTrip encodes arbitrary field values and checks they decode back
// (strings normalised the way encoding/json normalises invalid UTF-8).
func FuzzRoundTrip(f *testing.F) {
	f.Add("1", true, "2", false, "lobby:1", "updated", "x\"\n\u2028")
	f.Add("", false, "\xff", true, "", "\x00", "")
	f.Fuzz(func(t *testing.T, jr string, jrOK bool, ref string, refOK bool, topic, event, payload string) {
		p, _ := json.Marshal(map[string]string{"v": payload})
		in := Frame{JoinRef: Ref{jr, jrOK}, Ref: Ref{ref, refOK}, Topic: topic, Event: event, Payload: p}
		got, err := Decode(Encode(in))
		if err != nil {
			t.Fatalf("Decode(Encode(%+v)): %v", in, err)
		}
		want := Frame{JoinRef: normRef(in.JoinRef), Ref: normRef(in.Ref), Topic: norm(topic), Event: norm(event), Payload: p}
		if !got.Equal(want) {
			t.Fatalf("got %+v, want %+v", got, want)
		}
	})
}

func norm(s string) string {
	b, _ := json.Marshal(s)
	var out string
	json.Unmarshal(b, &out)
	return out
}

func normRef(r Ref) Ref {
	if !r.Valid {
		return Null
	}
	return StringRef(norm(r.Value))
}

// oracleDecode classifies data with encoding/json.
func oracleDecode(data []byte) (Frame, error) {
	if !utf8.Valid(data) {
		return Frame{}, ErrInvalidUTF8
	}
	if !json.Valid(data) {
		return Frame{}, ErrSyntax
	}
	var elems []json.RawMessage
	if trimmed := bytes.TrimLeft(data, " \t\r\n"); trimmed[0] != '[' || json.Unmarshal(data, &elems) != nil {
		return Frame{}, ErrNotArray
	}
	if len(elems) != 5 {
		return Frame{}, ErrArity
	}
	var f Frame
	refs := []*Ref{&f.JoinRef, &f.Ref}
	for i, r := range refs {
		if string(elems[i]) == "null" {
			continue
		}
		var s string
		if err := json.Unmarshal(elems[i], &s); err != nil {
			return Frame{}, ErrType
		}
		*r = StringRef(s)
	}
	if json.Unmarshal(elems[2], &f.Topic) != nil || elems[2][0] != '"' ||
		json.Unmarshal(elems[3], &f.Event) != nil || elems[3][0] != '"' {
		return Frame{}, ErrType
	}
	f.Payload = elems[4]
	return f, nil
}
