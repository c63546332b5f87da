package handlers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tagrpc/tagrpc/data"
	"github.com/tagrpc/tagrpc/methods"
	"github.com/tagrpc/tagrpc/protocol"
)

// Collections serves OpenFn Lightning's Collections API and the methods
// that manage collections and their tokens.
type Collections struct {
	db *data.DB
}

// NewCollections returns the handles of the collection groups.
func NewCollections(db *data.DB) *Collections { return &Collections{db: db} }

// CollectionAuth authenticates Lightning's bearer tokens: a personal
// access token or a run token, looked up by the hash of its secret.
func CollectionAuth(db *data.DB) protocol.Auth {
	return protocol.Auth{Authenticator: protocol.BearerLookup(func(ctx context.Context, secret string) (*protocol.Caller, error) {
		tok, err := db.LookupCollectionToken(ctx, secret)
		if errors.Is(err, data.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("look up collection token: %w", err)
		}
		return &protocol.Caller{
			Subject: tok.Kind + ":" + tok.ID.String(), ClientTypes: []string{"api"},
			TokenID: tok.ID.String(), Project: tok.ProjectID.String(),
		}, nil
	})}
}

var (
	errUnauthorized = protocol.Unauthorized("Unauthorized")
	errNoCollection = protocol.NotFound("Not Found")
)

// owned checks that the collection exists (404) and belongs to the
// caller's project (401, as Lightning answers).
func (h *Collections) owned(ctx context.Context, name string, c *protocol.Caller) error {
	coll, err := h.db.Collection(ctx, name)
	if errors.Is(err, data.ErrNotFound) {
		return errNoCollection
	}
	if err != nil {
		return err
	}
	if c == nil || c.Project != coll.ProjectID.String() {
		return errUnauthorized
	}
	return nil
}

// itemError turns what data says of a collection's items into the answer.
func itemError(err error) error {
	switch {
	case errors.Is(err, data.ErrNotFound):
		return errNoCollection
	case errors.Is(err, data.ErrBadCursor):
		return protocol.BadRequest("cursor is not a cursor this server gave")
	}
	return err
}

func filter(key *string, ca, cb, ua, ub *methods.DateTime) data.ItemFilter {
	f := data.ItemFilter{}
	if key != nil {
		f.Key = *key
	}
	for _, p := range []struct {
		in  *methods.DateTime
		out *time.Time
	}{{ca, &f.CreatedAfter}, {cb, &f.CreatedBefore}, {ua, &f.UpdatedAfter}, {ub, &f.UpdatedBefore}} {
		if p.in != nil {
			*p.out = p.in.Time
		}
	}
	return f
}

func apiItem(it data.Item) methods.CollectionItem {
	return methods.CollectionItem{Key: it.Key, Value: it.Value, Created: methods.Timestamp(it.Created), Updated: methods.Timestamp(it.Updated)}
}

// errStopped unwinds a scan whose consumer has stopped.
var errStopped = errors.New("stopped")

// CollectionStream streams a collection's items straight from the
// database's rows: nothing holds the result.
func (h *Collections) CollectionStream(ctx context.Context, in struct {
	methods.CollectionStream
	Caller *protocol.Caller
}) (protocol.Stream[methods.CollectionItem, methods.CollectionCursor], error) {
	if err := h.owned(ctx, in.Name, in.Caller); err != nil {
		return protocol.Stream[methods.CollectionItem, methods.CollectionCursor]{}, err
	}
	f := filter(in.Key, in.CreatedAfter, in.CreatedBefore, in.UpdatedAfter, in.UpdatedBefore)
	cursor := ""
	if in.Cursor != nil {
		cursor = *in.Cursor
	}
	var next string
	items := func(yield func(methods.CollectionItem, error) bool) {
		var err error
		next, err = h.db.ScanItems(ctx, in.Name, f, cursor, in.Limit, func(it data.Item) error {
			if !yield(apiItem(it), nil) {
				return errStopped
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStopped) {
			yield(methods.CollectionItem{}, itemError(err))
		}
	}
	return protocol.Stream[methods.CollectionItem, methods.CollectionCursor]{
		Items: items,
		Trailer: func() methods.CollectionCursor {
			if next == "" {
				return methods.CollectionCursor{}
			}
			return methods.CollectionCursor{Cursor: &next}
		},
	}, nil
}

// CollectionGetItem answers nil, hence 204, for a missing key.
func (h *Collections) CollectionGetItem(ctx context.Context, in struct {
	methods.CollectionGetItem
	Caller *protocol.Caller
}) (*methods.CollectionItem, error) {
	if err := h.owned(ctx, in.Name, in.Caller); err != nil {
		return nil, err
	}
	it, err := h.db.Item(ctx, in.Name, in.Key)
	if errors.Is(err, data.ErrNoItem) {
		return nil, nil
	}
	if err != nil {
		return nil, itemError(err)
	}
	out := apiItem(it)
	return &out, nil
}

// CollectionPutItem upserts one key.
func (h *Collections) CollectionPutItem(ctx context.Context, in struct {
	methods.CollectionPutItem
	Caller *protocol.Caller
}) (methods.Upserted, error) {
	if err := h.owned(ctx, in.Name, in.Caller); err != nil {
		return methods.Upserted{}, err
	}
	n, err := h.db.PutItems(ctx, in.Name, []data.Item{{Key: in.Key, Value: in.Value}})
	if err != nil {
		return methods.Upserted{}, itemError(err)
	}
	return methods.Upserted{Upserted: n}, nil
}

// CollectionPutItems upserts a batch, all or nothing.
func (h *Collections) CollectionPutItems(ctx context.Context, in struct {
	methods.CollectionPutItems
	Caller *protocol.Caller
}) (methods.Upserted, error) {
	if err := h.owned(ctx, in.Name, in.Caller); err != nil {
		return methods.Upserted{}, err
	}
	items := make([]data.Item, len(in.Items))
	for i, it := range in.Items {
		items[i] = data.Item{Key: it.Key, Value: it.Value}
	}
	n, err := h.db.PutItems(ctx, in.Name, items)
	if errors.Is(err, data.ErrDuplicateKey) {
		e := protocol.Errorf(422, "Duplicate key found")
		e.Details = map[string]any{"upserted": 0}
		return methods.Upserted{}, e
	}
	if err != nil {
		return methods.Upserted{}, itemError(err)
	}
	return methods.Upserted{Upserted: n}, nil
}

// CollectionDeleteItem deletes one key; a missing one is said in the reply.
func (h *Collections) CollectionDeleteItem(ctx context.Context, in struct {
	methods.CollectionDeleteItem
	Caller *protocol.Caller
}) (methods.DeletedKey, error) {
	if err := h.owned(ctx, in.Name, in.Caller); err != nil {
		return methods.DeletedKey{}, err
	}
	n, err := h.db.DeleteItem(ctx, in.Name, in.Key)
	if err != nil {
		return methods.DeletedKey{}, itemError(err)
	}
	out := methods.DeletedKey{Key: in.Key, Deleted: n}
	if n == 0 {
		msg := "Item Not Found"
		out.Error = &msg
	}
	return out, nil
}

// CollectionDeleteItems deletes what a pattern and the dates select.
func (h *Collections) CollectionDeleteItems(ctx context.Context, in struct {
	methods.CollectionDeleteItems
	Caller *protocol.Caller
}) (methods.DeletedItems, error) {
	if err := h.owned(ctx, in.Name, in.Caller); err != nil {
		return methods.DeletedItems{}, err
	}
	n, err := h.db.DeleteItems(ctx, in.Name, filter(in.Key, in.CreatedAfter, in.CreatedBefore, in.UpdatedAfter, in.UpdatedBefore))
	if err != nil {
		return methods.DeletedItems{}, itemError(err)
	}
	return methods.DeletedItems{Key: in.Key, Deleted: n}, nil
}

func apiCollection(c data.Collection) methods.Collection {
	return methods.Collection{Name: c.Name, ProjectID: c.ProjectID, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

// CollectionCreate creates an empty collection.
func (h *Collections) CollectionCreate(ctx context.Context, in methods.CollectionCreate) (methods.Collection, error) {
	c, err := h.db.CreateCollection(ctx, in.Name, in.ProjectID)
	if err := storeError(err, fmt.Sprintf("The project with id %s does not exist.", in.ProjectID)); err != nil {
		return methods.Collection{}, err
	}
	return apiCollection(c), nil
}

// CollectionGet gets a collection.
func (h *Collections) CollectionGet(ctx context.Context, in methods.CollectionGet) (methods.Collection, error) {
	c, err := h.db.Collection(ctx, in.Name)
	if errors.Is(err, data.ErrNotFound) {
		return methods.Collection{}, methods.ErrCollectionNotFound
	}
	if err != nil {
		return methods.Collection{}, err
	}
	return apiCollection(c), nil
}

// CollectionList lists a page of collections.
func (h *Collections) CollectionList(ctx context.Context, in methods.CollectionList) (protocol.Page[methods.Collection], error) {
	cs, meta, bounds, err := h.db.CollectionsPage(ctx, in.Page)
	if err != nil {
		return protocol.Page[methods.Collection]{}, err
	}
	out := make([]methods.Collection, len(cs))
	for i, c := range cs {
		out[i] = apiCollection(c)
	}
	return protocol.Page[methods.Collection]{Data: out, Metadata: meta, Bounds: bounds}, nil
}

// CollectionDelete deletes a collection and its items.
func (h *Collections) CollectionDelete(ctx context.Context, in methods.CollectionDelete) error {
	err := h.db.DeleteCollection(ctx, in.Name)
	if errors.Is(err, data.ErrNotFound) {
		return methods.ErrCollectionNotFound
	}
	return err
}

func apiCollectionToken(t data.CollectionToken) methods.CollectionToken {
	out := methods.CollectionToken{ID: t.ID, Kind: t.Kind, ProjectID: t.ProjectID, Label: t.Label, CreatedAt: t.CreatedAt}
	if !t.RevokedAt.IsZero() {
		r := t.RevokedAt
		out.RevokedAt = &r
	}
	return out
}

// CollectionTokenCreate issues a token; its secret is in this reply only.
func (h *Collections) CollectionTokenCreate(ctx context.Context, in methods.CollectionTokenCreate) (methods.NewCollectionToken, error) {
	secret, tok, err := h.db.CreateCollectionToken(ctx, in.Kind, in.ProjectID, in.Label)
	if err := storeError(err, fmt.Sprintf("The project with id %s does not exist.", in.ProjectID)); err != nil {
		return methods.NewCollectionToken{}, err
	}
	return methods.NewCollectionToken{CollectionToken: apiCollectionToken(tok), Token: secret}, nil
}

// CollectionTokenList lists a page of a project's tokens.
func (h *Collections) CollectionTokenList(ctx context.Context, in methods.CollectionTokenList) (protocol.Page[methods.CollectionToken], error) {
	toks, meta, bounds, err := h.db.CollectionTokensPage(ctx, in.ProjectID, in.Page)
	if err != nil {
		return protocol.Page[methods.CollectionToken]{}, err
	}
	out := make([]methods.CollectionToken, len(toks))
	for i, t := range toks {
		out[i] = apiCollectionToken(t)
	}
	return protocol.Page[methods.CollectionToken]{Data: out, Metadata: meta, Bounds: bounds}, nil
}

// CollectionTokenRevoke revokes a token.
func (h *Collections) CollectionTokenRevoke(ctx context.Context, in methods.CollectionTokenRevoke) error {
	return storeError(h.db.RevokeCollectionToken(ctx, in.ID), fmt.Sprintf("The token %s does not exist.", in.ID))
}
