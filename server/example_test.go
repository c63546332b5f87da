package server_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/tagrpc/tagrpc/protocol"
	"github.com/tagrpc/tagrpc/server"
)

// Greet says hello. The struct is the whole contract: route, verb,
// arguments, defaults and validation.
type Greet struct {
	protocol.Method[Greeting] `path:"/greet/<name>" operation:"GET"`

	Name  string `json:"name" validate:"max=20"`
	Shout bool   `json:"shout" default:"false"`
}

type Greeting struct {
	Message string `json:"message"`
}

// Greeter holds the handles; a handle is named after its method.
type Greeter struct{}

func (Greeter) Greet(ctx context.Context, in Greet) (Greeting, error) {
	msg := "hello, " + in.Name
	if in.Shout {
		msg = strings.ToUpper(msg)
	}
	return Greeting{Message: msg}, nil
}

// Declaring a method, binding its handle, and calling it.
func Example() {
	srv := server.New()
	api := &protocol.Group{Name: "greeter", Methods: []any{Greet{}}}
	if err := srv.Register(Greeter{}, api); err != nil {
		log.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	for _, path := range []string{"/api/v1/greet/gopher?shout=true", "/api/v1/greet/gopher?shout=loud"} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, string(body))
	}
	// Output:
	// 200 {"message":"HELLO, GOPHER"}
	//
	// 400 {"title":"Bad Request","status":400,"detail":"query.shout: not a valid boolean (true or false)","errors":[{"location":"query.shout","message":"not a valid boolean (true or false)","value":"loud"}]}
}
