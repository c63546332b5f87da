package protocol

import (
	"testing"
	"time"
)

type (
	plainReply  struct{ A []string }
	addrOnly    struct{ V string }
	nestedAddr  struct{ Inner addrOnly }
	pointedAddr struct{ Inner *addrOnly }
	slicedAddr  struct{ Inner []addrOnly }
	timeReply   struct{ At time.Time }
	arrayAddr   [2]addrOnly
)

func (*addrOnly) MarshalText() ([]byte, error) { return []byte("by pointer"), nil }

type (
	declPlain struct {
		Method[plainReply] `path:"/a" operation:"GET"`
	}
	declPtr struct {
		Method[*plainReply] `path:"/a" operation:"GET"`
	}
	declSlice struct {
		Method[[]plainReply] `path:"/a" operation:"GET"`
	}
	declNested struct {
		Method[nestedAddr] `path:"/a" operation:"GET"`
	}
	declPointed struct {
		Method[pointedAddr] `path:"/a" operation:"GET"`
	}
	declSliced struct {
		Method[slicedAddr] `path:"/a" operation:"GET"`
	}
	declArray struct {
		Method[arrayAddr] `path:"/a" operation:"GET"`
	}
	declTime struct {
		Method[timeReply] `path:"/a" operation:"GET"`
	}
	declPaged struct {
		Method[Page[plainReply]] `path:"/a" operation:"GET"`
		Paging                   Paging `paging:"sort=a;default=a.asc"`
	}
	declNoReply struct {
		Method[NoReply] `path:"/a" operation:"DELETE"`
	}
)

// A reply is recycled only where a pointer to it encodes to the same bytes
// as the value the handle returned.
func TestPoolableReply(t *testing.T) {
	for _, tc := range []struct {
		decl any
		want bool
	}{
		{declPlain{}, true},
		{declTime{}, true},
		{declPointed{}, true}, // behind a pointer, addressable either way
		{declSliced{}, true},  // slice elements are addressable either way
		{declPtr{}, false},    // boxing a pointer copies nothing
		{declSlice{}, false},
		{declNested{}, false}, // MarshalText would run on the pointer's field only
		{declArray{}, false},
		{declPaged{}, false},
		{declNoReply{}, false},
	} {
		s, err := Describe(tc.decl)
		if err != nil {
			t.Fatalf("%T: %v", tc.decl, err)
		}
		if got := poolableReply(s); got != tc.want {
			t.Errorf("%T: poolable %v, want %v", tc.decl, got, tc.want)
		}
	}
}
