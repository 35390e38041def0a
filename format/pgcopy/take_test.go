package pgcopy

import (
	"errors"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
)

// TestTake takes the completed batches between writes: with what Finish returns they are all
// the rows, in order, and the decoder holds at most one batch's rows between takes; an error
// after some batches were taken keeps its line number.
func TestTake(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	fields := []arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64}}
	n := BatchRows*3 + 5
	for _, badLine := range []int{0, n - 2} {
		d := NewDecoder(mem, "t", fields, formats["text"])
		var got []arrow.RecordBatch
		var err error
		for i := 1; i <= n && err == nil; i++ {
			line := fmt.Sprintf("%d\n", i)
			if i == badLine {
				line = "x\n"
			}
			if err = d.Write([]byte(line)); err == nil {
				got = append(got, d.Take()...)
				if len(d.batches) != 0 || d.pending >= BatchRows {
					t.Fatalf("line %d: the decoder holds %d batches and %d rows after Take", i, len(d.batches), d.pending)
				}
			}
		}
		if err == nil {
			var rest []arrow.RecordBatch
			rest, err = d.Finish()
			got = append(got, rest...)
		} else {
			d.Release()
		}
		if badLine > 0 {
			var e *errs.Error
			if !errors.As(err, &e) || e.Where != fmt.Sprintf(`COPY t, line %d, column k: "x"`, badLine) {
				t.Errorf("bad line %d: %v (%+v)", badLine, err, e)
			}
			if len(got) != 3 {
				t.Errorf("%d batches taken before the bad line, want 3", len(got))
			}
		} else {
			if err != nil {
				t.Fatal(err)
			}
			next := int64(1)
			for _, b := range got {
				for _, v := range b.Column(0).(*array.Int64).Int64Values() {
					if v != next {
						t.Fatalf("row %d holds %d", next, v)
					}
					next++
				}
			}
			if next != int64(n)+1 || len(got) != 4 {
				t.Errorf("%d batches of %d rows, want 4 of %d", len(got), next-1, n)
			}
		}
		for _, b := range got {
			b.Release()
		}
	}
}
