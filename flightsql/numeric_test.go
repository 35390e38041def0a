package flightsql

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// A numeric without a type modifier reaches Flight SQL clients as decimal256(76,38), the
// schema announced and the batches alike, with its exact values.
func TestNumericOverFlight(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	srv := serve(t, Config{Engine: openEngine(t, mem), Alloc: mem})
	cl := client(t, srv)
	batches := readAnnounced(t, ctx, cl, mem, "SELECT t::numeric AS n FROM (VALUES ('7.00'), ('-0.125'), (NULL)) v(t)", wireNumeric)
	defer releaseAll(batches)
	var got []string
	for _, b := range batches {
		c, ok := b.Column(0).(*array.Decimal256)
		if !ok {
			t.Fatalf("column is %s", b.Column(0).DataType())
		}
		for i := 0; i < c.Len(); i++ {
			if c.IsNull(i) {
				got = append(got, "NULL")
				continue
			}
			got = append(got, c.Value(i).ToString(wireNumeric.Scale))
		}
	}
	want := []string{"7.00000000000000000000000000000000000000", "-0.12500000000000000000000000000000000000", "NULL"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

// An array of numeric without a type modifier reaches Flight SQL clients as a list of
// decimal256(76,38), with the exact values of its elements and its NULLs.
func TestNumericArrayOverFlight(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	srv := serve(t, Config{Engine: openEngine(t, mem), Alloc: mem})
	cl := client(t, srv)
	batches := readAnnounced(t, ctx, cl, mem, "SELECT a FROM (VALUES (1, '{7.00,NULL,-0.125}'::numeric[]), (2, NULL), (3, '{}')) v(k, a) ORDER BY k", wireNumericList)
	defer releaseAll(batches)
	var got []string
	for _, b := range batches {
		c, ok := b.Column(0).(*array.List)
		if !ok {
			t.Fatalf("column is %s", b.Column(0).DataType())
		}
		vals := c.ListValues().(*array.Decimal256)
		for i := 0; i < c.Len(); i++ {
			if c.IsNull(i) {
				got = append(got, "NULL")
				continue
			}
			s, e := c.ValueOffsets(i)
			row := "{"
			for j := s; j < e; j++ {
				if j > s {
					row += ","
				}
				if vals.IsNull(int(j)) {
					row += "NULL"
				} else {
					row += vals.Value(int(j)).ToString(wireNumeric.Scale)
				}
			}
			got = append(got, row+"}")
		}
	}
	want := []string{"{7.00000000000000000000000000000000000000,NULL,-0.12500000000000000000000000000000000000}", "NULL", "{}"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// readAnnounced executes q and reads its batches, after checking that the schema the server
// announced types the first column as want.
func readAnnounced(t *testing.T, ctx context.Context, cl *flightsql.Client, mem memory.Allocator, q string, want arrow.DataType) []arrow.RecordBatch {
	t.Helper()
	info, err := cl.Execute(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	schema, err := flight.DeserializeSchema(info.Schema, mem)
	if err != nil {
		t.Fatal(err)
	}
	if !arrow.TypeEqual(schema.Field(0).Type, want) {
		t.Fatalf("announced type %s, want %s", schema.Field(0).Type, want)
	}
	batches, err := readInfo(ctx, cl, mem, info)
	if err != nil {
		t.Fatal(err)
	}
	return batches
}
