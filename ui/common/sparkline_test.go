package common

import "testing"

func TestSparkline(t *testing.T) {
	for _, tc := range []struct {
		vals []int64
		want string
	}{
		{nil, ""},
		{[]int64{0, 0, 0}, "▁▁▁"},
		{[]int64{0, 1, 100}, "▁▂█"},
		{[]int64{1, 1}, "██"},
		{[]int64{0, 50, 100, 25}, "▁▅█▄"},
	} {
		if got := Sparkline(tc.vals); got != tc.want {
			t.Errorf("Sparkline(%v) = %q, want %q", tc.vals, got, tc.want)
		}
	}
}
