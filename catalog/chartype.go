package catalog

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// CharType is the type of PostgreSQL's character varying(n) (varchar) and character(n)
// (bpchar, Fixed) columns: an Arrow string type, so that string kernels and builders handle
// its values as text, which carries the declared length in characters (-1 for none). Values
// of character(n) are stored padded with spaces to n characters.
//
// arrow.TypeEqual sees it as equal to arrow.BinaryTypes.String: arrays of either type fit a
// schema field of the other.
type CharType struct {
	arrow.StringType
	length int32
	fixed  bool
}

// Varchar returns the type character varying(n); n < 0 means no length limit.
func Varchar(n int32) *CharType { return &CharType{length: max(n, -1)} }

// Bpchar returns the type character(n); n < 0 means no length (bpchar).
func Bpchar(n int32) *CharType { return &CharType{length: max(n, -1), fixed: true} }

// Length is the declared maximum length in characters, or -1.
func (t *CharType) Length() int32 { return t.length }

// Fixed reports whether t is character(n) rather than character varying(n).
func (t *CharType) Fixed() bool { return t.fixed }

// Name is varchar or bpchar.
func (t *CharType) Name() string {
	if t.fixed {
		return "bpchar"
	}
	return "varchar"
}

// String is the PostgreSQL name of the type, such as character varying(10).
func (t *CharType) String() string {
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

// format is the text FormatType writes: varchar, varchar(n), bpchar or bpchar(n).
func (t *CharType) format() string {
	if t.length < 0 {
		return t.Name()
	}
	return fmt.Sprintf("%s(%d)", t.Name(), t.length)
}

// StorageType is the Arrow type values of a column of type t are stored and read as: t
// without its SQL length (character types are strings).
func StorageType(t arrow.DataType) arrow.DataType {
	switch x := t.(type) {
	case *CharType:
		return arrow.BinaryTypes.String
	case *arrow.ListType:
		if e := StorageType(x.Elem()); e != x.Elem() {
			return arrow.ListOf(e)
		}
	}
	return t
}
