package client

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"

	"github.com/tagrpc/tagrpc/protocol"
)

// addPaging writes the paging arguments a caller set.
func addPaging(q url.Values, p protocol.Paging) {
	if p.Limit > 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.Sort != "" {
		dir := ".asc"
		if p.Desc {
			dir = ".desc"
		}
		q.Set("sort", p.Sort+dir)
	}
	for name, v := range map[string]*string{"start": p.Start, "end": p.End, "first_id": p.FirstID, "last_id": p.LastID} {
		if v != nil {
			q.Set(name, *v)
		}
	}
	for k, vals := range p.Filter {
		q["filter."+k] = vals
	}
}

// pages calls a paged method and follows each page's next link, yielding
// every item of every page; an error ends the sequence.
func pages[T any](ctx context.Context, c *Client, m *method, in any) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		var page protocol.Page[T]
		err := c.call(ctx, m, in, &page)
		for {
			if err != nil {
				yield(zero, err)
				return
			}
			for _, it := range page.Data {
				if !yield(it, nil) {
					return
				}
			}
			next := page.Links.Next
			if next == "" {
				return
			}
			page = protocol.Page[T]{}
			err = c.follow(ctx, m, next, &page)
		}
	}
}

// follow gets a link the server gave (a path and query) and decodes the
// reply as method m's.
func (c *Client) follow(ctx context.Context, m *method, link string, out any) error {
	base, err := url.Parse(c.base)
	if err != nil {
		return fmt.Errorf("%s: base URL: %w", m.spec.Name, err)
	}
	ref, err := url.Parse(link)
	if err != nil {
		return fmt.Errorf("%s: the server's link %q: %w", m.spec.Name, link, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base.ResolveReference(ref).String(), nil)
	if err != nil {
		return fmt.Errorf("%s: %w", m.spec.Name, err)
	}
	c.setHeaders(req)
	return c.do(ctx, m, req, out)
}
