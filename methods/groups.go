package methods

import "github.com/tagrpc/tagrpc/protocol"

// Groups are all the API groups of the reference server.
var Groups = []*protocol.Group{InmantaV1, InmantaV2}
