package merge

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// BenchmarkMergeFiles reads 11 sorted files of 100,000 rows each with overlapping keys,
// merges them and, in the lww variant, applies last-write-wins.
func BenchmarkMergeFiles(b *testing.B) {
	const files, rows = 11, 100_000
	store := objstore.NewMem()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	rng := rand.New(rand.NewPCG(1, 2))
	for f := range files {
		rs := make([]row, rows)
		for i := range rs {
			rs[i] = row{k: rng.Int64N(rows * 4), s: str(fmt.Sprintf("s%02d", rng.IntN(100))), a: i64(int64(i)), b: str("payload"), ts: i64(int64(i))}
		}
		slices.SortFunc(rs, func(x, y row) int {
			if x.k != y.k {
				return int(x.k - y.k)
			}
			return cmpStrNullsLast(x.s, y.s)
		})
		batch := tableBatch(mem, rs, false)
		writeFile(b, store, fmt.Sprintf("f%02d", f), tableSchema, 100_000, batch)
		batch.Release()
	}
	for _, lww := range []bool{false, true} {
		b.Run(fmt.Sprintf("lww=%v", lww), func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			var total int64
			for b.Loop() {
				var ins []exec.Stream
				for f := range files {
					s, err := ReadFile(ctx, FileSource{Store: store, Name: fmt.Sprintf("f%02d", f), AddedTxn: uint64(f + 1)},
						ReadSpec{Schema: tableSchema, Columns: []int{colK, colS, colA, colB, colTS}, RowKeys: []int{colK}, Range: keys.Full, Alloc: mem})
					if err != nil {
						b.Fatal(err)
					}
					ins = append(ins, s)
				}
				var s exec.Stream
				s, err := Merge(ins, mergeSpec(mem))
				if err != nil {
					b.Fatal(err)
				}
				if lww {
					opts := baseOptions(mem)
					opts.LastWriteWins = true
					if s, err = Apply(s, streamSchema, opts); err != nil {
						b.Fatal(err)
					}
				}
				for {
					out, err := s.Next(ctx)
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					out.Release()
				}
				s.Close()
				total += files * rows
			}
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "inrows/s")
		})
	}
	mem.AssertSize(b, 0)
}
