package main

import "testing"

func TestProcsFor(t *testing.T) {
	for _, tc := range []struct {
		cur, min int
		explicit bool
		want     int
	}{
		{2, 4, false, 4},  // two CPUs: raised
		{3, 4, false, 4},  // three: raised
		{4, 4, false, 4},  // already there
		{8, 4, false, 8},  // never lowered
		{1, 4, false, 1},  // one CPU: left alone
		{2, 4, true, 2},   // GOMAXPROCS set: it wins
		{2, 0, false, 2},  // MIN_GOMAXPROCS=0: off
		{2, -1, false, 2}, // negative: off
	} {
		if got := procsFor(tc.cur, tc.min, tc.explicit); got != tc.want {
			t.Errorf("procsFor(%d, %d, %v) = %d, want %d", tc.cur, tc.min, tc.explicit, got, tc.want)
		}
	}
}
