package user

import "testing"

func TestSubscribers(t *testing.T) {
	a, b, c := Subscriber{"n", "a"}, Subscriber{"n", "b"}, Subscriber{"m", "c"}
	var s subscribers
	s = s.add(a).add(b).add(a).add(c)
	if len(s) != 3 {
		t.Fatalf("add: %v", s)
	}
	s = s.remove(b)
	if len(s) != 2 || s.remove(Subscriber{"x", "y"}) == nil {
		t.Fatalf("remove: %v", s)
	}
	s = s.keep(func(x Subscriber) bool { return x.Node == "n" })
	if len(s) != 1 || s[0] != a {
		t.Fatalf("keep: %v", s)
	}
	if s = s.remove(a); s != nil {
		t.Fatalf("empty set must be nil: %v", s)
	}
}
