package types

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// Char is the type of PostgreSQL's character varying(n) (varchar) and character(n) (bpchar,
// Fixed) values: an Arrow string type, so that string kernels and builders handle its values
// as text, which carries the declared length in characters (-1 for none). Values of
// character(n) are stored padded with spaces to n characters.
//
// arrow.TypeEqual sees it as equal to arrow.BinaryTypes.String: arrays of either type fit a
// schema field of the other.
type Char struct {
	arrow.StringType
	length int32
	fixed  bool
}

// MaxCharLength is PostgreSQL's largest length of character varying(n) and character(n).
const MaxCharLength = 10485760

// Varchar returns the type character varying(n); n < 0 means no length limit.
func Varchar(n int32) *Char { return &Char{length: max(n, -1)} }

// Bpchar returns the type character(n); n < 0 means no length (bpchar).
func Bpchar(n int32) *Char { return &Char{length: max(n, -1), fixed: true} }

// Length is the declared maximum length in characters, or -1.
func (t *Char) Length() int32 { return t.length }

// Fixed reports whether t is character(n) rather than character varying(n).
func (t *Char) Fixed() bool { return t.fixed }

// Name is varchar or bpchar.
func (t *Char) Name() string {
	if t.fixed {
		return "bpchar"
	}
	return "varchar"
}

// String is the PostgreSQL name of the type, such as character varying(10).
func (t *Char) String() string {
	name := "character varying"
	if t.fixed {
		name = "character"
		if t.length < 0 {
			return "bpchar"
		}
	}
	if t.length < 0 {
		return name
	}
	return fmt.Sprintf("%s(%d)", name, t.length)
}

// format is the text Format writes: varchar, varchar(n), bpchar or bpchar(n).
func (t *Char) format() string {
	if t.length < 0 {
		return t.Name()
	}
	return fmt.Sprintf("%s(%d)", t.Name(), t.length)
}

// IsVarchar reports whether t is character varying, with or without a length.
func IsVarchar(t arrow.DataType) bool { c, ok := t.(*Char); return ok && !c.Fixed() }

// IsBpchar reports whether t is character(n) or bpchar.
func IsBpchar(t arrow.DataType) bool { c, ok := t.(*Char); return ok && c.Fixed() }

// CharLength is the declared length of a character varying or character type: n of
// varchar(n), -1 without one; ok is false for other types.
func CharLength(t arrow.DataType) (n int32, ok bool) {
	if c, is := t.(*Char); is {
		return c.Length(), true
	}
	return 0, false
}

// Storage is the Arrow type values of SQL type t are stored and read as: t without its SQL
// length (character types are strings), within arrays too.
func Storage(t arrow.DataType) arrow.DataType {
	switch x := t.(type) {
	case *Char, *JSON:
		return arrow.BinaryTypes.String
	case *UUID:
		return arrow.BinaryTypes.Binary
	case *Time:
		return arrow.PrimitiveTypes.Int64
	case *arrow.ListType:
		if e := Storage(x.Elem()); e != x.Elem() {
			return arrow.ListOf(e)
		}
	}
	return t
}
