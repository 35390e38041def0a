package merge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/stream"
)

// A file holds column v as text under a former name; the table's v is bigint. Rows whose
// text is not a number fail to convert: with Failures they fail the read only when they
// survive the iterator stack, without it at once.
func TestConvertFailuresDeferred(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	store := objstore.NewMem()

	old := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "v", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	kb := array.NewInt64Builder(mem)
	vb := array.NewStringBuilder(mem)
	for i, v := range []string{"1", "x", "3", "y"} {
		kb.Append(int64(i + 1))
		vb.Append(v)
	}
	k, v := kb.NewArray(), vb.NewArray()
	kb.Release()
	vb.Release()
	b := newBatch(old, []arrow.Array{k, v}, 4)
	writeFile(t, store, "old.parquet", old, 100, b)
	b.Release()
	k.Release()
	v.Release()

	// Tombstones for keys 2 and 4 (the second only in the last case), in a newer file of the
	// table's schema.
	md := arrow.NewMetadata([]string{FormerKey}, []string{`["v"]`})
	table := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "v#2", Type: arrow.PrimitiveTypes.Int64, Nullable: true, Metadata: md},
	}, nil)
	tomb := func(name string, ks ...int64) {
		fs := arrow.NewSchema(append(table.Fields(), arrow.Field{Name: DeletedColumn, Type: arrow.FixedWidthTypes.Boolean, Nullable: true}), nil)
		kb := array.NewInt64Builder(mem)
		vb := array.NewInt64Builder(mem)
		db := array.NewBooleanBuilder(mem)
		for _, x := range ks {
			kb.Append(x)
			vb.AppendNull()
			db.Append(true)
		}
		cols := []arrow.Array{kb.NewArray(), vb.NewArray(), db.NewArray()}
		kb.Release()
		vb.Release()
		db.Release()
		b := newBatch(fs, cols, int64(len(ks)))
		writeFile(t, store, name, fs, 100, b)
		b.Release()
		for _, c := range cols {
			c.Release()
		}
	}
	tomb("del2.parquet", 2)
	tomb("del24.parquet", 2, 4)

	conv := func(ctx context.Context, f arrow.Field, _ int, a arrow.Array) (arrow.Array, error) {
		s := a.(*array.String)
		out := array.NewInt64Builder(mem)
		defer out.Release()
		for i := 0; i < s.Len(); i++ {
			n, err := strconv.ParseInt(s.Value(i), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("invalid input syntax for type bigint: %q", s.Value(i))
			}
			out.Append(n)
		}
		return out.NewArray(), nil
	}
	read := func(tombs string, failures *Failures) (string, error) {
		spec := ReadSpec{Schema: table, Columns: []int{0, 1}, RowKeys: []int{0}, Range: keys.Full, Alloc: mem, Convert: conv, Failures: failures}
		schema := ReadSchema(spec)
		var inputs []stream.Stream
		for i, name := range []string{"old.parquet", tombs} {
			s, err := ReadFile(ctx, FileSource{Store: store, Name: name, AddedTxn: uint64(i + 1)}, spec)
			if err != nil {
				for _, in := range inputs {
					in.Close()
				}
				return "", err
			}
			inputs = append(inputs, s)
		}
		merged, err := Merge(inputs, Spec{Schema: schema, RowKeys: []int{0}, VersionCol: 2, Alloc: mem})
		if err != nil {
			return "", err
		}
		out, err := Apply(merged, schema, Options{RowKeys: []int{0}, VersionCol: 2, DeletedCol: 3, LastWriteWins: true, DropTombstones: true, Alloc: mem})
		if err != nil {
			return "", err
		}
		out = failures.Check(out, []int{0}, 2)
		defer out.Close()
		var got []string
		for {
			b, err := out.Next(ctx)
			if errors.Is(err, io.EOF) {
				return strings.Join(got, " "), nil
			}
			if err != nil {
				return "", err
			}
			ks, vs := b.Column(0).(*array.Int64), b.Column(1).(*array.Int64)
			for i := 0; i < int(b.NumRows()); i++ {
				got = append(got, fmt.Sprintf("%d:%d", ks.Value(i), vs.Value(i)))
			}
			b.Release()
		}
	}
	if got, err := read("del24.parquet", NewFailures()); err != nil || got != "1:1 3:3" {
		t.Fatalf("both bad rows deleted: got %q, %v; want 1:1 3:3", got, err)
	}
	if _, err := read("del2.parquet", NewFailures()); err == nil || !strings.Contains(err.Error(), `"y"`) {
		t.Fatalf("a bad row that survives: got error %v, want the conversion's for \"y\"", err)
	}
	if _, err := read("del24.parquet", nil); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Fatalf("without Failures: got error %v, want the conversion's for \"x\"", err)
	}
}
