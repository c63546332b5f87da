package server

import (
	"strconv"
	"testing"
)

// Ids are written a block at a time, each the last plus one; across a
// power of ten the number gains a digit.
func TestRequestIDBlocks(t *testing.T) {
	for _, start := range []uint64{0, 9, 990, 999_999_999_999_999_990} {
		g := newRequestIDs()
		g.n.Store(start)
		var blk *idBlock
		for i := uint64(1); i <= 3*idsPerBlock; i++ {
			v := g.next(&blk)
			if want := g.prefix + strconv.FormatUint(start+i, 10); v[0] != want {
				t.Fatalf("counter from %d: id %d is %q, want %q", start, i, v[0], want)
			}
			if len(v) != 1 || cap(v) != 1 {
				t.Fatalf("header value has len %d, cap %d; want 1, 1", len(v), cap(v))
			}
		}
	}
}
