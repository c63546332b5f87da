package client

// The stream reader is tested against a live server with declarations of
// its own; the generated methods for streams are one call to openStream.

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tagrpc/tagrpc/protocol"
	"github.com/tagrpc/tagrpc/server"
)

type (
	word struct {
		W string `json:"w"`
	}
	wordsTrailer struct {
		Cursor *string `json:"cursor"`
		Total  int     `json:"total"`
	}
	Words struct {
		protocol.Method[protocol.Stream[word, wordsTrailer]] `path:"/words" operation:"GET"`

		Text   string `json:"text"`
		FailAt *int   `json:"fail_at"`
	}
	WordLines struct {
		protocol.Method[protocol.Stream[word, protocol.NoTrailer]] `path:"/words.ndjson" operation:"GET" stream:"ndjson"`

		Text   string `json:"text"`
		FailAt *int   `json:"fail_at"`
	}
)

var errBroken = errors.New("broken")

func words(text string, failAt *int) func(func(word, error) bool) {
	return func(yield func(word, error) bool) {
		for i, w := range strings.Fields(text) {
			if failAt != nil && *failAt == i {
				yield(word{}, errBroken)
				return
			}
			if !yield(word{w}, nil) {
				return
			}
		}
	}
}

type wordHandles struct{}

func (wordHandles) Words(_ context.Context, in Words) (protocol.Stream[word, wordsTrailer], error) {
	cursor := "next-" + in.Text
	return protocol.Stream[word, wordsTrailer]{
		Items:   words(in.Text, in.FailAt),
		Trailer: func() wordsTrailer { return wordsTrailer{Cursor: &cursor, Total: len(strings.Fields(in.Text))} },
	}, nil
}

func (wordHandles) WordLines(_ context.Context, in WordLines) (protocol.Stream[word, protocol.NoTrailer], error) {
	return protocol.Stream[word, protocol.NoTrailer]{Items: words(in.Text, in.FailAt)}, nil
}

var (
	mWords     = newMethod(Words{}, nil)
	mWordLines = newMethod(WordLines{}, nil)
)

func wordClient(t *testing.T) *Client {
	s := server.New(server.WithLogger(slog.New(slog.DiscardHandler)))
	if err := s.Register(wordHandles{}, &protocol.Group{Name: "words", Methods: []any{Words{}, WordLines{}}}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return New(ts.URL)
}

func collect[T, Tr any](s *Stream[T, Tr]) (items []T, err error) {
	for it, e := range s.All() {
		if e != nil {
			return items, e
		}
		items = append(items, it)
	}
	return items, nil
}

func TestStreamReader(t *testing.T) {
	c := wordClient(t)
	ctx := context.Background()
	two := 2
	for _, tc := range []struct {
		name   string
		ndjson bool
		in     Words
		want   string
		err    bool
	}{
		{"document", false, Words{Text: "a b c"}, "a b c", false},
		{"empty document", false, Words{Text: ""}, "", false},
		{"document cut short", false, Words{Text: "a b c d", FailAt: &two}, "a b", true},
		{"lines", true, Words{Text: "a b c"}, "a b c", false},
		{"lines cut short", true, Words{Text: "a b c d", FailAt: &two}, "a b", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var (
				items []word
				err   error
				s     interface{ Complete() bool }
				tr    wordsTrailer
			)
			if tc.ndjson {
				st, oerr := openStream[word, protocol.NoTrailer](ctx, c, mWordLines, &WordLines{Text: tc.in.Text, FailAt: tc.in.FailAt})
				if oerr != nil {
					t.Fatal(oerr)
				}
				items, err = collect(st)
				s = st
			} else {
				st, oerr := openStream[word, wordsTrailer](ctx, c, mWords, &tc.in)
				if oerr != nil {
					t.Fatal(oerr)
				}
				items, err = collect(st)
				s, tr = st, st.Trailer()
			}
			var got []string
			for _, w := range items {
				got = append(got, w.W)
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("items %q, want %q", got, tc.want)
			}
			if tc.err {
				if !errors.Is(err, io.ErrUnexpectedEOF) || s.Complete() {
					t.Errorf("err = %v (complete %v), want a truncated stream", err, s.Complete())
				}
				return
			}
			if err != nil || !s.Complete() {
				t.Fatalf("err = %v, complete %v", err, s.Complete())
			}
			if !tc.ndjson && (tr.Cursor == nil || *tr.Cursor != "next-"+tc.in.Text || tr.Total != len(got)) {
				t.Errorf("trailer %+v", tr)
			}
		})
	}
}

func TestStreamReaderEarlyExitAndReuse(t *testing.T) {
	c := wordClient(t)
	ctx := context.Background()
	st, err := openStream[word, wordsTrailer](ctx, c, mWords, &Words{Text: strings.Repeat("w ", 100000)})
	if err != nil {
		t.Fatal(err)
	}
	for range st.All() {
		break // leaves the connection: All closes it
	}
	if st.Complete() || st.Trailer().Total != 0 {
		t.Errorf("a stream left early is complete=%v with trailer %+v", st.Complete(), st.Trailer())
	}
	if _, err := collect(st); err == nil || !strings.Contains(err.Error(), "already read") {
		t.Errorf("second read: %v", err)
	}
	for i := 0; i < 20; i++ { // the connections left early are not leaked
		st, err := openStream[word, wordsTrailer](ctx, c, mWords, &Words{Text: "x y"})
		if err != nil {
			t.Fatal(err)
		}
		if items, err := collect(st); err != nil || len(items) != 2 {
			t.Fatalf("call %d: %v %v", i, items, err)
		}
	}
}

func TestStreamErrorBeforeFirstItem(t *testing.T) {
	c := wordClient(t)
	zero := 0
	_, err := openStream[word, wordsTrailer](context.Background(), c, mWords, &Words{Text: "a b", FailAt: &zero})
	if !errors.Is(err, protocol.ErrInternal) {
		t.Fatalf("err = %v, want the server's 500 as ErrInternal", err)
	}
}
