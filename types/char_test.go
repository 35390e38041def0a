package types

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestCharTypes(t *testing.T) {
	tests := []struct {
		t       arrow.DataType
		name    string
		storage arrow.DataType
	}{
		{Varchar(3), "character varying(3)", arrow.BinaryTypes.String},
		{Varchar(-1), "character varying", arrow.BinaryTypes.String},
		{Bpchar(2), "character(2)", arrow.BinaryTypes.String},
		{Bpchar(-1), "bpchar", arrow.BinaryTypes.String},
		{arrow.ListOf(Varchar(3)), "list<item: character varying(3), nullable>", arrow.ListOf(arrow.BinaryTypes.String)},
		{arrow.PrimitiveTypes.Int32, "int32", arrow.PrimitiveTypes.Int32},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.t.String(); got != tc.name {
				t.Errorf("String = %q, want %q", got, tc.name)
			}
			if got := Storage(tc.t); !arrow.TypeEqual(got, tc.storage) {
				t.Errorf("Storage = %s, want %s", got, tc.storage)
			}
		})
	}
	if arrow.TypeEqual(Varchar(3), Varchar(4)) || !arrow.TypeEqual(Varchar(3), Varchar(3)) || arrow.TypeEqual(Varchar(3), Bpchar(3)) {
		t.Error("character types compare by kind and length")
	}
}
