package protocol

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Paging is the argument of a paged list method, after Inmanta's: declare
// a field of this type and the method accepts Inmanta's paging query
// arguments in its place, checked before the handle runs:
//
//	limit=<n>                     at most n items (default and maximum 1000)
//	sort=<column>.<asc|desc>      over the declared sortable columns
//	start=<v> | end=<v>           exclusive bounds on the sort column
//	first_id=<id> | last_id=<id>  tie-breakers for equal sort values
//	filter.<field>=<v>            over the declared filterable fields
//
// The field's tag declares them:
//
//	Page protocol.Paging `paging:"sort=name,created_at;default=name.asc;filter=name,project_id"`
//
// and, with "unlimited", that a request without limit gets every item.
//
// Reply with a Page: the framework adds its links (relative, as Inmanta
// sends them) from the request and the page's bounds.
type Paging struct {
	Limit   int    // 0: every item (a list declared unlimited, asked for no limit)
	Sort    string // the column
	Desc    bool
	Start   *string // the sort value above which the page starts (exclusive)
	End     *string // the sort value below which the page ends (exclusive)
	FirstID *string // with Start: the id above which, among equal sort values
	LastID  *string // with End: the id below which, among equal sort values
	Filter  map[string][]string
}

// Backward says whether the page is read from its far end: pages before
// the requested bound (prev links) are read in reverse, then flipped.
func (p Paging) Backward() bool {
	hasStart, hasEnd := p.Start != nil || p.FirstID != nil, p.End != nil || p.LastID != nil
	return (!p.Desc && hasEnd) || (p.Desc && hasStart)
}

// MaxPageSize is Inmanta's APILIMIT: the default and largest page.
const MaxPageSize = 1000

// PagingSpec is what a Paging field's tag declares.
type PagingSpec struct {
	Sortable    []string
	DefaultSort string
	Filterable  []string
	// Unlimited: without a limit argument the page holds every item (for
	// lists that were not paged before, whose clients expect them whole).
	Unlimited bool
	field     int
	offset    uintptr
}

var pagingType = reflect.TypeFor[Paging]()

func readPagingTag(tag string) (*PagingSpec, error) {
	ps := &PagingSpec{}
	for _, part := range strings.Split(tag, ";") {
		if strings.TrimSpace(part) == "unlimited" {
			ps.Unlimited = true
			continue
		}
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("paging tag part %q is not key=value", part)
		}
		list := strings.Split(v, ",")
		switch k {
		case "sort":
			ps.Sortable = list
		case "filter":
			ps.Filterable = list
		case "default":
			ps.DefaultSort = v
		default:
			return nil, fmt.Errorf("paging tag has unknown key %q (sort, default, filter)", k)
		}
	}
	if len(ps.Sortable) == 0 {
		return nil, fmt.Errorf("paging tag declares no sortable column (sort=a,b)")
	}
	if ps.DefaultSort == "" {
		ps.DefaultSort = ps.Sortable[0] + ".asc"
	}
	if _, _, err := ps.parseSort(ps.DefaultSort); err != nil {
		return nil, fmt.Errorf("paging tag default: %s", err.Message)
	}
	return ps, nil
}

// checkPaging checks that a paged method reads its arguments from the
// query and answers a Page, and that the paging arguments are its own.
func (s *MethodSpec) checkPaging(args map[string]*ArgSpec) error {
	_, isPage := reflect.Zero(s.ReplyType).Interface().(pager)
	if s.Paging == nil {
		if isPage {
			return fmt.Errorf("the reply is a %s, but no field is a protocol.Paging", s.ReplyType)
		}
		return nil
	}
	if !isPage {
		return fmt.Errorf("a paged method replies with a protocol.Page, not %s", s.ReplyType)
	}
	if s.Operation != http.MethodGet && s.Operation != http.MethodHead {
		return fmt.Errorf("a paged method reads the query: its operation must be GET, not %s", s.Operation)
	}
	if s.Envelope {
		return fmt.Errorf("a paged reply is not enveloped: protocol.Page has its own data key")
	}
	for _, name := range append(slices.Clone(pagingArgs), "filter") {
		if a, ok := args[name]; ok {
			return fmt.Errorf("field %s: argument %q is one of the paging arguments", a.Field, name)
		}
	}
	return nil
}

// PagingValue returns the Paging of a method struct (a pointer to one).
func (s *MethodSpec) PagingValue(m reflect.Value) Paging {
	return m.Elem().Field(s.Paging.field).Interface().(Paging)
}

// pagingArgs are the query arguments a Paging field stands for.
var pagingArgs = []string{"limit", "sort", "start", "end", "first_id", "last_id"}

func (ps *PagingSpec) knows(param string) bool {
	if slices.Contains(pagingArgs, param) {
		return true
	}
	f, ok := strings.CutPrefix(param, "filter.")
	return ok && slices.Contains(ps.Filterable, f)
}

func (ps *PagingSpec) parseSort(s string) (string, bool, *Error) {
	col, dir, _ := strings.Cut(s, ".")
	if !slices.Contains(ps.Sortable, col) {
		return "", false, BadRequest("Sort parameter invalid: %q is not a sortable column; sort by one of %s, as <column>.asc or <column>.desc", col, strings.Join(ps.Sortable, ", "))
	}
	switch strings.ToLower(dir) {
	case "asc":
		return col, false, nil
	case "desc":
		return col, true, nil
	}
	return "", false, BadRequest("Sort parameter invalid: the order of %q is %q, not asc or desc", col, dir)
}

// parse reads the paging arguments of a query. Its messages are Inmanta's.
func (ps *PagingSpec) parse(q url.Values) (Paging, []FieldError) {
	var p Paging
	var fields []FieldError
	fail := func(loc string, err *Error) {
		fields = append(fields, FieldError{Location: "query." + loc, Message: err.Message})
	}
	p.Limit = MaxPageSize
	if ps.Unlimited {
		p.Limit = 0
	}
	if v, ok := q["limit"]; ok {
		n, err := strconv.Atoi(v[0])
		switch {
		case err != nil:
			fail("limit", BadRequest("not an integer"))
		case n > MaxPageSize:
			fail("limit", BadRequest("limit parameter can not exceed %d, got %d.", MaxPageSize, n))
		case n < 1:
			fail("limit", BadRequest("must be at least 1"))
		default:
			p.Limit = n
		}
	}
	sort := ps.DefaultSort
	if v, ok := q["sort"]; ok {
		sort = v[0]
	}
	var err *Error
	if p.Sort, p.Desc, err = ps.parseSort(sort); err != nil {
		fail("sort", err)
	}
	for name, dst := range map[string]**string{"start": &p.Start, "end": &p.End, "first_id": &p.FirstID, "last_id": &p.LastID} {
		if v, ok := q[name]; ok {
			s := v[0]
			*dst = &s
		}
	}
	show := func(s *string) string {
		if s == nil {
			return "None"
		}
		return *s
	}
	switch {
	case p.Start != nil && p.End != nil:
		fail("start", BadRequest("Only one of start and end parameters is allowed at the same time. Received start: %s, end: %s", *p.Start, *p.End))
	case p.FirstID != nil && p.LastID != nil:
		fail("first_id", BadRequest("Only one of first_id and last_id parameters is allowed at the same time. Received first_id: %s, last_id: %s", *p.FirstID, *p.LastID))
	case (p.Start != nil || p.FirstID != nil) && (p.End != nil || p.LastID != nil):
		fail("start", BadRequest("Start and end parameters can not be set at the same time: Received first_id: %s, last_id: %s, start: %s, end: %s",
			show(p.FirstID), show(p.LastID), show(p.Start), show(p.End)))
	}
	for k, vals := range q {
		f, ok := strings.CutPrefix(k, "filter.")
		if !ok {
			continue
		}
		if !slices.Contains(ps.Filterable, f) {
			msg := "no filter is allowed"
			if len(ps.Filterable) > 0 {
				msg = "filter by one of " + strings.Join(ps.Filterable, ", ")
			}
			fail(k, BadRequest("Filter %q is not supported: %s", f, msg))
			continue
		}
		if p.Filter == nil {
			p.Filter = map[string][]string{}
		}
		p.Filter[f] = vals
	}
	return p, fields
}

// PageLinks are the links of a page, relative to the server (path and
// query), as Inmanta sends them. Next and Prev are there only when items
// lie that way; First only when this is not the first page.
type PageLinks struct {
	Self  string `json:"self"`
	Next  string `json:"next,omitempty"`
	Prev  string `json:"prev,omitempty"`
	First string `json:"first,omitempty"`
}

// PageMetadata counts the items the list selects: in all, before this
// page and after it, in the requested order.
type PageMetadata struct {
	Total    int `json:"total"`
	Before   int `json:"before"`
	After    int `json:"after"`
	PageSize int `json:"page_size"`
}

// PageBounds are the sort value and id of the page's least and greatest
// items (by the sort column, whatever the order): the bounds of the pages
// on either side.
type PageBounds struct {
	MinValue, MinID string
	MaxValue, MaxID string
}

// Page is the reply of a paged list method, in Inmanta's shape:
// {"data": [...], "links": {...}, "metadata": {...}}. The handle fills Data,
// the counts of Metadata and Bounds; the framework adds the links and the
// page size.
type Page[T any] struct {
	Data     []T          `json:"data"`
	Links    PageLinks    `json:"links"`
	Metadata PageMetadata `json:"metadata"`
	Bounds   PageBounds   `json:"-"`
}

// withLinks returns the page with its links and page size filled in.
func (p Page[T]) withLinks(path string, q url.Values, req Paging) any {
	if p.Data == nil {
		p.Data = []T{}
	}
	p.Metadata.PageSize = req.Limit
	if req.Limit == 0 {
		p.Metadata.PageSize = len(p.Data)
	}
	p.Links = pageLinks(path, q, req, p.Bounds, p.Metadata, len(p.Data) > 0)
	return p
}

// pager is implemented by every instantiation of Page.
type pager interface {
	withLinks(path string, q url.Values, req Paging) any
}

func pageLinks(path string, q url.Values, req Paging, b PageBounds, m PageMetadata, any bool) PageLinks {
	base := url.Values{}
	for k, v := range q {
		if !slices.Contains(pagingArgs, k) {
			base[k] = v // filters and the method's own arguments
		}
	}
	if req.Limit > 0 {
		base.Set("limit", strconv.Itoa(req.Limit))
	}
	dir := "asc"
	if req.Desc {
		dir = "desc"
	}
	base.Set("sort", req.Sort+"."+dir)
	link := func(kv ...string) string {
		v := url.Values{}
		for k, vals := range base {
			v[k] = vals
		}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return path + "?" + v.Encode()
	}
	var self []string
	for name, val := range map[string]*string{"start": req.Start, "end": req.End, "first_id": req.FirstID, "last_id": req.LastID} {
		if val != nil {
			self = append(self, name, *val)
		}
	}
	links := PageLinks{Self: link(self...)}
	if !any {
		return links
	}
	above := link("start", b.MaxValue, "first_id", b.MaxID) // the items greater than this page's
	below := link("end", b.MinValue, "last_id", b.MinID)    // the items less than this page's
	if m.After > 0 {
		links.Next = above
		if req.Desc {
			links.Next = below
		}
	}
	if m.Before > 0 {
		links.Prev = below
		if req.Desc {
			links.Prev = above
		}
		links.First = link()
	}
	return links
}
