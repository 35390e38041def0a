package catalog

import (
	"context"
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

func TestCompositeTypes(t *testing.T) {
	ctx := context.Background()
	store := objstore.NewMem()
	c := newCatalog(t, store)
	fields := []arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int32, Nullable: true}, {Name: "b", Type: arrow.BinaryTypes.String, Nullable: true}}
	ct, err := c.CreateType(ctx, "pair", fields)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateType(ctx, "pair", fields); !errors.Is(err, errs.DuplicateObject) {
		t.Fatalf("duplicate type: %v", err)
	}
	if _, err := c.CreateType(ctx, "twice", []arrow.Field{fields[0], fields[0]}); !errors.Is(err, errs.DuplicateColumn) {
		t.Fatalf("field named twice: %v", err)
	}
	// Another process sees the type, with the same OIDs.
	other := newCatalog(t, store)
	got, ok, err := other.Type(ctx, "pair")
	if err != nil || !ok {
		t.Fatalf("other process: %v %v", ok, err)
	}
	if !arrow.TypeEqual(got.Struct(), ct.Struct()) || got.OID() != ct.OID() || got.OID() < 16384 || got.OID() == got.RelOID() {
		t.Fatalf("other process sees %v oid %d, want %v oid %d", got.Struct(), got.OID(), ct.Struct(), ct.OID())
	}
	// A column of the type keeps it from being dropped, in either process.
	i64 := arrow.PrimitiveTypes.Int64
	if _, err := c.Create(ctx, TableDef{Name: "t", Columns: []Column{{Name: "k", Type: i64}, {Name: "p", Type: ct.Struct(), Nullable: true, TypeName: "pair"}}, RowKeys: []string{"k"}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := other.DropType(ctx, "pair"); !errors.Is(err, errs.DependentObjects) {
		t.Fatalf("drop of a used type: %v", err)
	}
	if err := c.Drop(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	if err := other.DropType(ctx, "pair"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := c.Type(ctx, "pair"); ok {
		t.Fatal("dropped type still there")
	}
	if err := c.DropType(ctx, "pair"); !errors.Is(err, errs.UndefinedObject) {
		t.Fatalf("drop of no type: %v", err)
	}
	again, err := c.CreateType(ctx, "pair", fields[:1])
	if err != nil || again.ID == ct.ID {
		t.Fatalf("recreated: %v %v", again, err)
	}
}
