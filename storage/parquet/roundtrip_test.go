package parquet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestRoundTrip(t *testing.T) {
	const rows = 3000
	props := Properties{RowGroupRows: 700, PageBytes: 4 << 10}
	tests := []struct {
		name      string
		columns   []int
		rowGroups []int
		batchRows int
	}{
		{name: "all"},
		{name: "projection reordered", columns: []int{12, 1, 2, 11}},
		{name: "row group subset", rowGroups: []int{1, 3}},
		{name: "projection and row groups", columns: []int{17, 0}, rowGroups: []int{0, 4}, batchRows: 100},
		{name: "small batches", batchRows: 33},
		{name: "no columns", columns: []int{}, rowGroups: []int{2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			data, meta := writeFile(t, mem, testSchema, props, rows, 1000, 777, 1223)
			if meta.RowGroups != 5 {
				t.Fatalf("row groups %d, want 5", meta.RowGroups)
			}
			f, err := Open(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			if !f.Schema().Equal(testSchema) {
				t.Fatalf("schema %s, want %s", f.Schema(), testSchema)
			}
			if f.NumRows() != rows {
				t.Fatalf("rows %d", f.NumRows())
			}
			if v, ok := f.KeyValue("sketch"); !ok || v != "abc" {
				t.Fatalf("key value %q %v", v, ok)
			}
			if _, ok := f.KeyValue("missing"); ok {
				t.Fatal("missing key found")
			}
			// Row offsets of each row group, to map rows read back to rows written.
			groups := f.RowGroups()
			starts := make([]int, len(groups))
			for i := 1; i < len(groups); i++ {
				starts[i] = starts[i-1] + int(groups[i-1].Rows)
			}
			chosen := tt.rowGroups
			if chosen == nil {
				for i := range groups {
					chosen = append(chosen, i)
				}
			}
			var rowMap []int
			for _, g := range chosen {
				for i := 0; i < int(groups[g].Rows); i++ {
					rowMap = append(rowMap, starts[g]+i)
				}
			}
			r, err := f.Read(context.Background(), ReadOptions{Columns: tt.columns, RowGroups: tt.rowGroups, BatchRows: tt.batchRows, Alloc: mem})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if tt.columns != nil {
				if r.Schema().NumFields() != len(tt.columns) {
					t.Fatalf("projected schema %s", r.Schema())
				}
				for i, c := range tt.columns {
					if !r.Schema().Field(i).Equal(testSchema.Field(c)) {
						t.Fatalf("projected field %d: %v, want %v", i, r.Schema().Field(i), testSchema.Field(c))
					}
				}
			}
			checkRead(t, r, func(n int) int { return rowMap[n] }, len(rowMap))
		})
	}
}

// TestProperties round-trips a file through every codec, with dictionary encoding on and off.
func TestProperties(t *testing.T) {
	for _, codec := range []string{Zstd, Snappy, Gzip, None, ""} {
		for _, dict := range []bool{false, true} {
			t.Run(codec+map[bool]string{false: "/plain", true: "/dict"}[dict], func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				props := Properties{Compression: codec, Dictionary: dict, RowGroupRows: 900}
				data, _ := writeFile(t, mem, testSchema, props, 2000, 500)
				f, err := Open(bytes.NewReader(data), int64(len(data)))
				if err != nil {
					t.Fatal(err)
				}
				want := map[string]string{Zstd: "ZSTD", Snappy: "SNAPPY", Gzip: "GZIP", None: "UNCOMPRESSED", "": "ZSTD"}[codec]
				md := f.f.Metadata()
				for _, rg := range md.RowGroups {
					for _, cc := range rg.Columns {
						if got := cc.MetaData.Codec.String(); got != want {
							t.Fatalf("codec %s, want %s", got, want)
						}
						if cc.OffsetIndexOffset == 0 || cc.ColumnIndexOffset == 0 {
							t.Fatalf("column %v: no page index (offset index at %d, column index at %d)", cc.MetaData.PathInSchema, cc.OffsetIndexOffset, cc.ColumnIndexOffset)
						}
						hasDict := cc.MetaData.DictionaryPageOffset != 0
						if hasDict != (dict && cc.MetaData.Type.String() != "BOOLEAN") {
							t.Fatalf("column %v: dictionary page %v with Dictionary=%v", cc.MetaData.PathInSchema, hasDict, dict)
						}
					}
				}
				r, err := f.Read(context.Background(), ReadOptions{Alloc: mem, BatchRows: 1000})
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				checkRead(t, r, func(n int) int { return n }, 2000)
			})
		}
	}
}

// TestConcurrentReaders reads one File from several goroutines at once (run with -race).
func TestConcurrentReaders(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	data, _ := writeFile(t, mem, testSchema, Properties{RowGroupRows: 500}, 2000, 1000)
	f, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 4)
	for g := range 4 {
		go func() {
			r, err := f.Read(context.Background(), ReadOptions{RowGroups: []int{g}, Alloc: mem})
			if err != nil {
				errc <- err
				return
			}
			defer r.Close()
			for {
				b, err := r.Next(context.Background())
				if err != nil {
					if errors.Is(err, io.EOF) {
						err = nil
					}
					errc <- err
					return
				}
				if v := b.Column(1).(*array.Int64).Value(0); v != int64(500*g) {
					b.Release()
					errc <- fmt.Errorf("row group %d starts at seq %d", g, v)
					return
				}
				b.Release()
			}
		}()
	}
	for range 4 {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
}
