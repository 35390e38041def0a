package compaction

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// batchStream returns n one-column batches, then panics if panicAt is reached, else io.EOF.
type batchStream struct {
	mem     memory.Allocator
	n, i    int
	panicAt int
	closed  bool
}

func (s *batchStream) Next(context.Context) (arrow.RecordBatch, error) {
	if s.i == s.panicAt {
		panic("decoder exploded")
	}
	if s.i == s.n {
		return nil, io.EOF
	}
	b := array.NewInt64Builder(s.mem)
	defer b.Release()
	b.AppendValues([]int64{int64(s.i), int64(s.i) + 1}, nil)
	col := b.NewArray()
	defer col.Release()
	s.i++
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	return array.NewRecordBatch(schema, []arrow.Array{col}, 2), nil
}

func (s *batchStream) Close() error { s.closed = true; return nil }

func TestPrefetch(t *testing.T) {
	ctx := context.Background()
	t.Run("all batches in order", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		in := &batchStream{mem: mem, n: 5, panicAt: -1}
		p := newPrefetch(in)
		for i := 0; ; i++ {
			b, err := p.Next(ctx)
			if err == io.EOF {
				if i != 5 {
					t.Fatalf("%d batches, want 5", i)
				}
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if v := b.Column(0).(*array.Int64).Value(0); v != int64(i) {
				t.Fatalf("batch %d starts with %d", i, v)
			}
			b.Release()
		}
		if err := p.Close(); err != nil || !in.closed {
			t.Fatalf("close: %v, input closed %v", err, in.closed)
		}
	})
	t.Run("close early releases what was read ahead", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		in := &batchStream{mem: mem, n: 100, panicAt: -1}
		p := newPrefetch(in)
		b, err := p.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b.Release()
		p.Close()
		if !in.closed {
			t.Fatal("input not closed")
		}
	})
	t.Run("close before the first read", func(t *testing.T) {
		in := &batchStream{n: 1, panicAt: -1}
		newPrefetch(in).Close()
		if !in.closed {
			t.Fatal("input not closed")
		}
	})
	t.Run("a panic in the input is its error", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		p := newPrefetch(&batchStream{mem: mem, n: 10, panicAt: 2})
		defer p.Close()
		var err error
		for err == nil {
			var b arrow.RecordBatch
			if b, err = p.Next(ctx); err == nil {
				b.Release()
			}
		}
		if !strings.Contains(err.Error(), "decoder exploded") {
			t.Fatalf("error %v, want the panic", err)
		}
		if _, again := p.Next(ctx); again != err {
			t.Fatalf("second error %v, want %v", again, err)
		}
	})
}
