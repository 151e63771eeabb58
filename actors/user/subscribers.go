package user

// subscribers is the set of channels joined to one user's topic. A user
// has one or a few sockets, so a small slice beats a map (a user actor
// lives for every connected user: its size is per-socket memory).
type subscribers []Subscriber

func (s subscribers) add(sub Subscriber) subscribers {
	for _, x := range s {
		if x == sub {
			return s
		}
	}
	return append(s, sub)
}

func (s subscribers) remove(sub Subscriber) subscribers {
	for i, x := range s {
		if x == sub {
			s[i] = s[len(s)-1]
			s = s[:len(s)-1]
			if len(s) == 0 {
				return nil
			}
			return s
		}
	}
	return s
}

func (s subscribers) keep(ok func(Subscriber) bool) subscribers {
	out := s[:0]
	for _, x := range s {
		if ok(x) {
			out = append(out, x)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
