package methods

import (
	"time"

	"github.com/google/uuid"

	"github.com/tagrpc/tagrpc/protocol"
)

// Collections is OpenFn Lightning's Collections API, served at Lightning's
// own paths so that its clients work unchanged: key/value collections
// queried with wildcard patterns, streamed with a paging cursor. Callers
// authenticate with a personal access token or a run token of the project
// that owns the collection.
var Collections = &protocol.Group{
	Name:          "collections",
	Doc:           "OpenFn Lightning collections: key/value stores with wildcard queries and streamed, cursor-paged reads.",
	Codec:         LightningErrors{},
	InvalidStatus: 422,
	Security: &protocol.SecurityScheme{
		Name: "lightningToken", Type: "http", Scheme: "bearer",
		Description: "A personal access token or a run token of the project owning the collection.",
	},
	Methods: []any{
		CollectionStream{}, CollectionGetItem{}, CollectionPutItem{}, CollectionPutItems{},
		CollectionDeleteItem{}, CollectionDeleteItems{},
	},
}

// CollectionsAdmin manages collections and the tokens that reach them, in
// the framework's own style (/api/v2, enveloped replies, api clients).
var CollectionsAdmin = &protocol.Group{
	Name: "collections-admin",
	Doc:  "Create and remove collections, and issue and revoke the tokens that reach them.",
	Methods: []any{
		CollectionCreate{}, CollectionGet{}, CollectionList{}, CollectionDelete{},
		CollectionTokenCreate{}, CollectionTokenList{}, CollectionTokenRevoke{},
	},
}

// CollectionItem is one key/value pair of a collection. Values are
// strings: clients JSON-encode what they store.
type CollectionItem struct {
	Key     string    `json:"key"`
	Value   string    `json:"value"`
	Created Timestamp `json:"created"`
	Updated Timestamp `json:"updated"`
}

// CollectionCursor follows the items of a collection stream.
type CollectionCursor struct {
	Cursor *string `json:"cursor" doc:"Pass it as cursor to get the next items; null when there are no more."`
}

// CollectionStream streams the items of a collection in insertion order,
// at most limit of them, with a cursor to the rest.
//
// A key pattern matches whole keys; * matches any run of characters.
type CollectionStream struct {
	protocol.Method[protocol.Stream[CollectionItem, CollectionCursor]] `path:"/collections/<name>" operation:"GET" bare:"true" strict_query:"true"`

	Name          string    `json:"name" doc:"The collection."`
	Key           *string   `json:"key" doc:"A key pattern: * matches any run of characters."`
	Cursor        *string   `json:"cursor" doc:"Where the previous call stopped."`
	Limit         int       `json:"limit" default:"1000" validate:"min=1" doc:"The most items to return."`
	CreatedAfter  *DateTime `json:"created_after" doc:"Only items created at or after this time."`
	CreatedBefore *DateTime `json:"created_before" doc:"Only items created at or before this time."`
	UpdatedAfter  *DateTime `json:"updated_after" doc:"Only items updated at or after this time."`
	UpdatedBefore *DateTime `json:"updated_before" doc:"Only items updated at or before this time."`
}

// CollectionGetItem gets the item of one key; 204 with no body when the
// collection has no such key.
type CollectionGetItem struct {
	protocol.Method[*CollectionItem] `path:"/collections/<name>/<key>" operation:"GET" bare:"true" strict_query:"true" empty_status:"204"`

	Name string `json:"name" doc:"The collection."`
	Key  string `json:"key" doc:"The key."`
}

// CollectionPutItem sets the value of one key, keeping its creation time
// when it exists.
type CollectionPutItem struct {
	protocol.Method[Upserted] `path:"/collections/<name>/<key>" operation:"PUT" bare:"true" strict_query:"true"`

	Name  string `json:"name" doc:"The collection."`
	Key   string `json:"key" doc:"The key."`
	Value string `json:"value" doc:"The value: a string, JSON-encoded by the client."`
}

// CollectionPutItems upserts a batch of items in one transaction: all of
// them or, when a key appears twice, none.
type CollectionPutItems struct {
	protocol.Method[Upserted] `path:"/collections/<name>" operation:"POST" bare:"true" strict_query:"true" max_body:"64MiB"`

	Name  string         `json:"name" doc:"The collection."`
	Items []ItemKeyValue `json:"items" validate:"required,dive" doc:"The items to upsert."`
}

// ItemKeyValue is an item to upsert.
type ItemKeyValue struct {
	Key   string `json:"key" validate:"required"`
	Value string `json:"value"`
}

// Upserted says how many items an upsert wrote.
type Upserted struct {
	Upserted int     `json:"upserted"`
	Error    *string `json:"error"`
}

// CollectionDeleteItem deletes the item of one key. A missing key is no
// failure: the reply says nothing was deleted.
type CollectionDeleteItem struct {
	protocol.Method[DeletedKey] `path:"/collections/<name>/<key>" operation:"DELETE" bare:"true" strict_query:"true"`

	Name string `json:"name" doc:"The collection."`
	Key  string `json:"key" doc:"The key."`
}

// DeletedKey says whether one key was deleted.
type DeletedKey struct {
	Key     string  `json:"key"`
	Deleted int     `json:"deleted"`
	Error   *string `json:"error"`
}

// CollectionDeleteItems deletes the items matching a key pattern and the
// date filters; with neither, every item of the collection.
type CollectionDeleteItems struct {
	protocol.Method[DeletedItems] `path:"/collections/<name>" operation:"DELETE" bare:"true" strict_query:"true"`

	Name          string    `json:"name" doc:"The collection."`
	Key           *string   `json:"key" doc:"A key pattern: * matches any run of characters."`
	CreatedAfter  *DateTime `json:"created_after" doc:"Only items created at or after this time."`
	CreatedBefore *DateTime `json:"created_before" doc:"Only items created at or before this time."`
	UpdatedAfter  *DateTime `json:"updated_after" doc:"Only items updated at or after this time."`
	UpdatedBefore *DateTime `json:"updated_before" doc:"Only items updated at or before this time."`
}

// DeletedItems says how many items a pattern deleted.
type DeletedItems struct {
	Key     *string `json:"key"`
	Deleted int     `json:"deleted"`
	Error   *string `json:"error"`
}

// Collection is a collection as the management methods show it.
type Collection struct {
	Name      string    `json:"name"`
	ProjectID uuid.UUID `json:"project_id"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CollectionCreate creates an empty collection owned by a project.
//
// It fails with Conflict when the name is taken, NotFound when the project
// does not exist.
type CollectionCreate struct {
	protocol.Method[Collection] `path:"/collection" operation:"POST" api_version:"2" envelope:"true" msg:"Creating collection {name}" success_msg:"Created collection {name}"`

	Name      string    `json:"name" validate:"required,max=255,excludesall=/?#%*" doc:"The collection's name, unique on the server."`
	ProjectID uuid.UUID `json:"project_id" doc:"The project that owns it."`
}

// ErrCollectionNotFound is the named error of a collection that does not
// exist.
var ErrCollectionNotFound = protocol.Named("collectionNotFound", 404, "the collection {name} does not exist",
	"list the collections with: tagrpc collections-admin collection-list",
	"create it with: tagrpc collections-admin collection-create --name {name} --project-id <project>")

// CollectionGet gets a collection.
type CollectionGet struct {
	protocol.Method[Collection] `path:"/collection/<name>" operation:"GET" api_version:"2" envelope:"true" msg:"Getting collection {name}"`

	Name string `json:"name"`
}

// Errors implements protocol.ErrorCatalog.
func (CollectionGet) Errors() []*protocol.Error { return []*protocol.Error{ErrCollectionNotFound} }

// CollectionList lists the collections a page at a time, by name unless
// sorted otherwise; filter.project_id picks those of a project.
type CollectionList struct {
	protocol.Method[protocol.Page[Collection]] `path:"/collections" operation:"GET" api_version:"2"`

	Page protocol.Paging `paging:"sort=name,created_at;default=name.asc;filter=name,project_id"`
}

// CollectionDelete deletes a collection and its items.
type CollectionDelete struct {
	protocol.Method[protocol.NoReply] `path:"/collection/<name>" operation:"DELETE" api_version:"2" msg:"Deleting collection {name}" success_msg:"Deleted collection {name} and its items"`

	Name string `json:"name"`
}

// Errors implements protocol.ErrorCatalog.
func (CollectionDelete) Errors() []*protocol.Error { return []*protocol.Error{ErrCollectionNotFound} }

// CollectionToken describes a token that reaches a project's collections;
// the token itself is shown only once, when it is created.
type CollectionToken struct {
	ID        uuid.UUID  `json:"id"`
	Kind      string     `json:"kind" doc:"personal (a user's access token) or run (a run's token)."`
	ProjectID uuid.UUID  `json:"project_id"`
	Label     string     `json:"label"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// NewCollectionToken is a token just created: the only time its secret is
// shown.
type NewCollectionToken struct {
	CollectionToken
	Token string `json:"token" doc:"The bearer token; it is not stored and cannot be shown again."`
}

// CollectionTokenCreate issues a token that reaches the collections of a
// project.
type CollectionTokenCreate struct {
	protocol.Method[NewCollectionToken] `path:"/collection_token" operation:"POST" api_version:"2" envelope:"true"`

	ProjectID uuid.UUID `json:"project_id" doc:"The project whose collections the token reaches."`
	Kind      string    `json:"kind" default:"personal" validate:"oneof=personal run" doc:"personal or run."`
	Label     string    `json:"label" default:"" validate:"max=255" doc:"What the token is for."`
}

// CollectionTokenList lists the tokens of a project a page at a time,
// oldest first unless sorted otherwise.
type CollectionTokenList struct {
	protocol.Method[protocol.Page[CollectionToken]] `path:"/collection_tokens" operation:"GET" api_version:"2"`

	ProjectID uuid.UUID       `json:"project_id" doc:"The project whose tokens to list."`
	Page      protocol.Paging `paging:"sort=created_at,label;default=created_at.asc;filter=kind"`
}

// CollectionTokenRevoke revokes a token: it is refused from then on.
type CollectionTokenRevoke struct {
	protocol.Method[protocol.NoReply] `path:"/collection_token/<id>" operation:"DELETE" api_version:"2"`

	ID uuid.UUID `json:"id"`
}
