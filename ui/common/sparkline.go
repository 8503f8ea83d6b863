package common

import "strings"

// sparkLevels are the bars of a sparkline, lowest first.
var sparkLevels = []rune("▁▂▃▄▅▆▇█")

// Sparkline draws vals as one bar each, scaled to the largest: a value of
// 0 is the lowest bar, any other value at least the second, so a day with
// a few calls never looks like a day with none. It is drawn here rather
// than with a chart library: no module in go.mod draws one, and the
// dashboard needs only this one line.
func Sparkline(vals []int64) string {
	var top int64
	for _, v := range vals {
		top = max(top, v)
	}
	var b strings.Builder
	for _, v := range vals {
		level := 0
		if v > 0 {
			// 1 to 7, in proportion to the largest value.
			level = 1 + int((v*int64(len(sparkLevels)-2)+top/2)/top)
		}
		b.WriteRune(sparkLevels[level])
	}
	return b.String()
}
