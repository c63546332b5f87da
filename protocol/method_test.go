package protocol_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tagrpc/tagrpc/protocol"
)

type reply struct{}

type fullDecl struct {
	protocol.Method[reply] `path:"/things/<id>" operation:"put" client_types:"api, agent" api_version:"3" api_prefix:"svc" envelope:"true" envelope_key:"thing" timeout:"2.5" status:"201" enforce_auth:"false" max_body:"64KiB"`

	ID    int               `json:"id"`
	Tid   string            `json:"tid" header:"x-inmanta-tid" reply_header:"true"`
	Name  string            `json:"name,omitempty"`
	Limit int               `json:"limit" default:"10"`
	Tags  []string          `json:"tags"`
	Meta  map[string]string `json:"meta"`
}

type bareDecl struct {
	protocol.Method[protocol.NoReply] `path:"/collections/<name>" operation:"DELETE" bare:"true" timeout:"1m"`

	Name string `json:"name"`
	Key  string `json:"key" default:"*"`
}

func TestDescribe(t *testing.T) {
	s, err := protocol.Describe(fullDecl{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "fullDecl" || s.Operation != http.MethodPut || s.URL != "/svc/v3/things/<id>" || s.RouterPath() != "/svc/v3/things/:id" {
		t.Errorf("route: %s %s %s (%s)", s.Name, s.Operation, s.URL, s.RouterPath())
	}
	if strings.Join(s.ClientTypes, ",") != "api,agent" || !s.Envelope || s.EnvelopeKey != "thing" || s.Timeout != 2500*time.Millisecond ||
		s.Status != 201 || s.EnforceAuth || s.MaxBody != 64<<10 || !s.Reply {
		t.Errorf("marker options: %+v", s)
	}
	wantArgs := map[string]struct {
		in       protocol.Location
		required bool
	}{
		"id": {protocol.InPath, true}, "tid": {protocol.InHeader, true}, "name": {protocol.InBody, false},
		"limit": {protocol.InBody, false}, "tags": {protocol.InBody, false}, "meta": {protocol.InBody, false},
	}
	for _, a := range s.Args {
		w, ok := wantArgs[a.Name]
		if !ok || a.In != w.in || a.Required != w.required {
			t.Errorf("argument %s: in %s required %v; want %+v", a.Name, a.In, a.Required, w)
		}
	}
	if a := s.Arg("tid"); a.Header != "X-Inmanta-Tid" || !a.ReplyHeader {
		t.Errorf("header argument: %+v", a)
	}

	b, err := protocol.Describe(&bareDecl{})
	if err != nil {
		t.Fatal(err)
	}
	if b.URL != "/collections/<name>" || b.Reply || b.Timeout != time.Minute || b.Arg("key").In != protocol.InQuery {
		t.Errorf("bare declaration: %+v", b)
	}
}

func TestDescribeErrors(t *testing.T) {
	type (
		noPath struct {
			protocol.Method[reply] `operation:"GET"`
		}
		relative struct {
			protocol.Method[reply] `path:"things"`
		}
		halfParam struct {
			protocol.Method[reply] `path:"/things/x<id>"`
			ID                     int `json:"id"`
		}
		badTimeout struct {
			protocol.Method[reply] `path:"/t" timeout:"soon"`
		}
		badStatus struct {
			protocol.Method[reply] `path:"/t" status:"404"`
		}
		replyFalse struct {
			protocol.Method[reply] `path:"/t" reply:"false"`
		}
		dupName struct {
			protocol.Method[reply] `path:"/t"`
			A                      int
			B                      int `json:"A"`
		}
		headerInPath struct {
			protocol.Method[reply] `path:"/t/<id>"`
			ID                     int `json:"id" header:"X-Id"`
		}
	)
	tests := []struct {
		decl any
		want string
	}{
		{noPath{}, "has no path"},
		{relative{}, "does not start with /"},
		{halfParam{}, "must be a whole segment"},
		{badTimeout{}, `timeout:"soon"`},
		{badStatus{}, `status:"404" is not a 2xx`},
		{replyFalse{}, "declare protocol.Method[protocol.NoReply]"},
		{dupName{}, `both name argument "A"`},
		{headerInPath{}, "also has a header tag"},
		{42, "is not a struct"},
	}
	for _, tt := range tests {
		_, err := protocol.Describe(tt.decl)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Describe(%T) = %v, want an error containing %q", tt.decl, err, tt.want)
		}
	}
}
