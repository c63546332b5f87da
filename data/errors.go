package data

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrNotFound is returned when the row an operation names does not exist.
var ErrNotFound = errors.New("data: not found")

// ErrConflict is matched (errors.Is) by every *ConflictError.
var ErrConflict = errors.New("data: conflict")

// ConflictError says why a write conflicts with what is stored: a name
// taken, a row still referenced.
type ConflictError struct {
	Msg string
}

func (e *ConflictError) Error() string { return "data: conflict: " + e.Msg }

// Is makes errors.Is(err, ErrConflict) hold.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

func conflict(msg string) error { return &ConflictError{Msg: msg} }

// NotFoundError says which row is missing; errors.Is(err, ErrNotFound) holds.
type NotFoundError struct {
	Msg string
}

func (e *NotFoundError) Error() string { return "data: not found: " + e.Msg }

// Is makes errors.Is(err, ErrNotFound) hold.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

func notFound(msg string) error { return &NotFoundError{Msg: msg} }

// constraint classifies a driver error as a violated constraint.
type constraint int

const (
	noConstraint constraint = iota
	uniqueViolation
	foreignKeyViolation
)

func violated(err error) constraint {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return uniqueViolation
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return foreignKeyViolation
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return uniqueViolation
		case "23503":
			return foreignKeyViolation
		}
	}
	return noConstraint
}
