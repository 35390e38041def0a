package parquet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var benchSchema = arrow.NewSchema([]arrow.Field{
	{Name: "key", Type: arrow.BinaryTypes.String},
	{Name: "sort", Type: arrow.PrimitiveTypes.Int64},
	{Name: "value", Type: arrow.BinaryTypes.String},
	{Name: "maybe", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

const benchRows = 1_000_000

// benchBatches builds the 1M-row benchmark table in batches of 64Ki rows.
func benchBatches(mem memory.Allocator) []arrow.RecordBatch {
	var out []arrow.RecordBatch
	b := array.NewRecordBuilder(mem, benchSchema)
	defer b.Release()
	for r := 0; r < benchRows; r++ {
		b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("key-%010d", r))
		b.Field(1).(*array.Int64Builder).Append(int64(r % 7))
		b.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("value %d of a row", r*31%100_003))
		if r%4 == 0 {
			b.Field(3).AppendNull()
		} else {
			b.Field(3).(*array.StringBuilder).Append(fmt.Sprintf("m%d", r%1000))
		}
		if (r+1)%(64<<10) == 0 || r == benchRows-1 {
			out = append(out, b.NewRecordBatch())
		}
	}
	return out
}

func BenchmarkWrite1M(b *testing.B) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(b, 0)
	batches := benchBatches(mem)
	defer func() {
		for _, x := range batches {
			x.Release()
		}
	}()
	var size int64
	for b.Loop() {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, benchSchema, DefaultProperties())
		if err != nil {
			b.Fatal(err)
		}
		for _, x := range batches {
			if err := w.Write(x); err != nil {
				b.Fatal(err)
			}
		}
		m, err := w.Close()
		if err != nil {
			b.Fatal(err)
		}
		size = m.Bytes
	}
	b.ReportMetric(float64(size), "file-bytes")
	b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// layouts are the page layouts BenchmarkRead1M compares: every page 8 KiB, and 8 KiB pages
// of the key column with value pages of 32, 64 or 128 KiB.
var layouts = []string{"uniform", "keyed-32k", "keyed-64k", "keyed-128k"}

// BenchmarkRead1M reads the 1M-row table whole and by columns, from a file whose every page
// is 8 KiB (pages=uniform) and from one whose key column has 8 KiB pages and the others
// the default value pages (pages=keyed, as tables write them). cpu-ms/op is the process's
// CPU time per read, every thread.
func BenchmarkRead1M(b *testing.B) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(b, 0)
	batches := benchBatches(mem)
	files := map[string][]byte{}
	for _, layout := range layouts {
		var opts []WriterOption
		props := DefaultProperties()
		if layout != "uniform" {
			opts = append(opts, KeyColumns(0))
			fmt.Sscanf(layout, "keyed-%dk", &props.ValuePageBytes)
			props.ValuePageBytes <<= 10
		}
		var buf bytes.Buffer
		w, err := NewWriter(&buf, benchSchema, props, opts...)
		if err != nil {
			b.Fatal(err)
		}
		for _, x := range batches {
			if err := w.Write(x); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := w.Close(); err != nil {
			b.Fatal(err)
		}
		files[layout] = buf.Bytes()
	}
	for _, x := range batches {
		x.Release()
	}
	for _, layout := range layouts {
		for _, cols := range [][]int{nil, {1}, {0, 3}, {2, 3}} {
			// Pages decoded by this package (direct.go), and through parquet-go's pages;
			// direct-serial decodes a batch's columns one after another (parallel.go).
			for _, via := range []string{"direct", "pages", "direct-serial"} {
				benchRead(b, mem, fmt.Sprintf("pages=%s/columns=%v/read=%s", layout, cols, via), files[layout], cols, ReadOptions{viaPages: via == "pages", serial: via == "direct-serial"})
			}
		}
	}
	// Every column chunk decoded whole into a chunk cache (File.Preload), as a scan through
	// the hot cache decodes a file it reads first.
	for _, layout := range layouts {
		benchPreload(b, "pages="+layout+"/preload", files[layout])
	}
	// A cold key lookup: one row of every column through the page index, without a chunk
	// cache, at rows spread over the file.
	for _, layout := range layouts {
		for _, via := range []string{"direct", "pages"} {
			benchOneRow(b, mem, fmt.Sprintf("pages=%s/one-row/read=%s", layout, via), files[layout], via == "pages")
		}
	}
}

func benchOneRow(b *testing.B, mem memory.Allocator, name string, data []byte, viaPages bool) {
	{
		b.Run(name, func(b *testing.B) {
			f, err := Open(bytes.NewReader(data), int64(len(data)), WithPageIndex())
			if err != nil {
				b.Fatal(err)
			}
			groups := f.RowGroups()
			cpu := cpuTime()
			i := 0
			for b.Loop() {
				i++
				g := i * 7 % len(groups)
				row := int64(i) * 7919 % groups[g].Rows
				r, err := f.Read(context.Background(), ReadOptions{Spans: []Span{{Group: g, Lo: row, Hi: row + 1}}, Alloc: mem, viaPages: viaPages})
				if err != nil {
					b.Fatal(err)
				}
				x, err := r.Next(context.Background())
				if err != nil || x.NumRows() != 1 {
					b.Fatalf("read %v, %v", x, err)
				}
				x.Release()
				r.Close()
			}
			b.ReportMetric(float64(cpuTime()-cpu)/1e3/float64(b.N), "cpu-us/op")
		})
	}
}

func benchRead(b *testing.B, mem memory.Allocator, name string, data []byte, cols []int, how ReadOptions) {
	b.Run(name, func(b *testing.B) {
		cpu := cpuTime()
		for b.Loop() {
			f, err := Open(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				b.Fatal(err)
			}
			r, err := f.Read(context.Background(), ReadOptions{Columns: cols, Alloc: mem, viaPages: how.viaPages, serial: how.serial})
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for {
				x, err := r.Next(context.Background())
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				n += int(x.NumRows())
				x.Release()
			}
			r.Close()
			if n != benchRows {
				b.Fatalf("read %d rows", n)
			}
		}
		b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		b.ReportMetric(float64(cpuTime()-cpu)/1e6/float64(b.N), "cpu-ms/op")
		b.ReportMetric(float64(len(data)), "file-bytes")
	})
}

func benchPreload(b *testing.B, name string, data []byte) {
	b.Run(name, func(b *testing.B) {
		cpu := cpuTime()
		for b.Loop() {
			f, err := Open(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				b.Fatal(err)
			}
			cc := &mapChunks{m: map[[2]int]arrow.Array{}}
			f.SetChunkCache(cc)
			if err := f.Preload(nil); err != nil {
				b.Fatal(err)
			}
			cc.release()
		}
		b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		b.ReportMetric(float64(cpuTime()-cpu)/1e6/float64(b.N), "cpu-ms/op")
	})
}
