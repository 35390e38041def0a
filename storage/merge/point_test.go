package merge

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/parquet"
)

// pointSchema is the benchmark table's schema (Sleeper's system-test schema): key is the row
// key, sort the sort key, value2 is nullable.
var pointSchema = arrow.NewSchema([]arrow.Field{
	{Name: "key", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "sort", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "value", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "value2", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// pointRow is a row of pointSchema; v2 is nil for NULL.
type pointRow struct {
	key   string
	sort  int64
	value string
	v2    *string
}

// pointRows returns n rows sorted by (key, sort) whose keys are random hex strings of 12
// characters, with runs of one key long enough to cross pages when dups is set.
func pointRows(n int, seed uint64, dups bool) []pointRow {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	rows := make([]pointRow, 0, n)
	var kb [12]byte
	for len(rows) < n {
		for i := range kb {
			kb[i] = "0123456789abcdef"[rng.IntN(16)]
		}
		run := 1
		if dups && rng.IntN(500) == 0 {
			run = 1 + rng.IntN(3000)
		}
		for range min(run, n-len(rows)) {
			r := pointRow{key: string(kb[:]), sort: rng.Int64N(1_000_000_000),
				value: fmt.Sprintf("value-%d-%x", rng.IntN(1000), rng.Uint64()>>uint(rng.IntN(48)))}
			if rng.IntN(10) != 0 {
				s := fmt.Sprintf("v2-%d", rng.IntN(100_000))
				r.v2 = &s
			}
			rows = append(rows, r)
		}
	}
	slices.SortFunc(rows, func(a, b pointRow) int {
		if a.key != b.key {
			return bytes.Compare([]byte(a.key), []byte(b.key))
		}
		return int(a.sort - b.sort)
	})
	return rows
}

// writePointFile writes rows as one file the way ingest does (zstd, key pages of 8 KiB,
// value pages of props.ValuePageBytes, a page index) and returns its name in store.
func writePointFile(t testing.TB, store objstore.Store, name string, rows []pointRow, valuePages int) {
	t.Helper()
	mem := memory.NewGoAllocator()
	b := array.NewRecordBuilder(mem, pointSchema)
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.StringBuilder).Append(r.key)
		b.Field(1).(*array.Int64Builder).Append(r.sort)
		b.Field(2).(*array.StringBuilder).Append(r.value)
		if r.v2 == nil {
			b.Field(3).(*array.StringBuilder).AppendNull()
		} else {
			b.Field(3).(*array.StringBuilder).Append(*r.v2)
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	props := parquet.DefaultProperties()
	props.ValuePageBytes = valuePages
	var buf bytes.Buffer
	w, err := parquet.NewWriter(&buf, pointSchema, props, parquet.KeyColumns(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := store.Put(context.Background(), name, &buf); err != nil {
		t.Fatal(err)
	}
}

// pointRange is the key range of one key.
func pointRange(key string) keys.Range {
	a := array.NewStringBuilder(memory.DefaultAllocator)
	a.Append(key)
	arr := a.NewArray()
	defer arr.Release()
	a.Release()
	enc := keys.AppendValue(nil, arr, 0)
	return keys.Range{Min: enc, Max: keys.PrefixEnd(enc)}
}

// lookup reads the rows of key from file name through ReadFile, cold (no caches).
func lookup(ctx context.Context, store objstore.Store, fc *FileCache, name, key string, mem memory.Allocator) ([]pointRow, error) {
	s, err := ReadFile(ctx, FileSource{Store: store, Name: name, AddedTxn: 1, Cache: fc},
		ReadSpec{Schema: pointSchema, Columns: []int{0, 1, 2, 3}, RowKeys: []int{0}, Range: pointRange(key), Alloc: mem})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	var out []pointRow
	for {
		b, err := s.Next(ctx)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		k, so, v, v2 := b.Column(0).(*array.String), b.Column(1).(*array.Int64), b.Column(2).(*array.String), b.Column(3).(*array.String)
		for i := range int(b.NumRows()) {
			r := pointRow{key: k.Value(i), sort: so.Value(i), value: v.Value(i)}
			if v2.IsValid(i) {
				s := v2.Value(i)
				r.v2 = &s
			}
			out = append(out, r)
		}
		b.Release()
	}
}

// TestPointReadPages looks keys up cold in files whose value columns have pages of several
// sizes (some larger than the key column's): every row of the key comes back, in order,
// including keys whose rows cross page boundaries of every column, the first and last keys
// of row groups and keys the file does not hold.
func TestPointReadPages(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rows := pointRows(230_000, 7, true)
	byKey := map[string][]pointRow{}
	for _, r := range rows {
		byKey[r.key] = append(byKey[r.key], r)
	}
	var probes []string
	for i := 0; i < len(rows); i += 997 {
		probes = append(probes, rows[i].key)
	}
	for _, i := range []int{0, 99_999, 100_000, 199_999, 200_000, len(rows) - 1} {
		probes = append(probes, rows[i].key)
	}
	seen := map[string]bool{}
	for _, r := range rows {
		if n := len(byKey[r.key]); n > 600 && !seen[r.key] {
			seen[r.key] = true
			probes = append(probes, r.key)
		}
	}
	if len(seen) < 3 {
		t.Fatalf("only %d keys with long runs", len(seen))
	}
	probes = append(probes, "", "0", "zzzz", rows[500].key+"0")
	for _, vp := range []int{8 << 10, 64 << 10, 256 << 10} {
		t.Run(fmt.Sprintf("value-pages=%dk", vp>>10), func(t *testing.T) {
			store := objstore.NewMem()
			writePointFile(t, store, "f", rows, vp)
			for _, fc := range []*FileCache{nil, NewFileCache(store, 0)} {
				for _, k := range probes {
					got, err := lookup(ctx, store, fc, "f", k, mem)
					if err != nil {
						t.Fatalf("lookup %q: %v", k, err)
					}
					want := byKey[k]
					if !slices.EqualFunc(got, want, func(a, b pointRow) bool {
						return a.key == b.key && a.sort == b.sort && a.value == b.value && (a.v2 == nil) == (b.v2 == nil) && (a.v2 == nil || *a.v2 == *b.v2)
					}) {
						t.Fatalf("lookup %q: %d rows, want %d (first got %v, want %v)", k, len(got), len(want), first(got), first(want))
					}
				}
			}
		})
	}
}

func first(rs []pointRow) any {
	if len(rs) == 0 {
		return nil
	}
	return rs[0]
}

// BenchmarkPointRead measures a cold key lookup through ReadFile (the file's footer and page
// index cached, no chunk cache): one key of a 250,000-row file of the benchmark schema,
// written as ingest writes it, with value pages of 8 KiB and of the default 64 KiB. Compare
// builds by cpu-us/op and allocs/op:
//
//	go test -run '^$' -bench PointRead -benchmem ./storage/merge
func BenchmarkPointRead(b *testing.B) {
	ctx := context.Background()
	rows := pointRows(250_000, 3, false)
	for _, vp := range []int{8 << 10, parquet.DefaultValuePageBytes} {
		b.Run(fmt.Sprintf("value-pages=%dk", vp>>10), func(b *testing.B) {
			store := objstore.NewMem()
			writePointFile(b, store, "f", rows, vp)
			fc := NewFileCache(store, 0)
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(b, 0)
			rng := rand.New(rand.NewPCG(5, 6))
			if _, err := lookup(ctx, store, fc, "f", rows[0].key, mem); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			cpu := cpuNow()
			for b.Loop() {
				got, err := lookup(ctx, store, fc, "f", rows[rng.IntN(len(rows))].key, mem)
				if err != nil || len(got) == 0 {
					b.Fatalf("lookup: %d rows, %v", len(got), err)
				}
			}
			b.ReportMetric(float64(cpuNow()-cpu)/1e3/float64(b.N), "cpu-us/op")
		})
	}
}

// cpuNow is the CPU time (user and system) of the process so far.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
