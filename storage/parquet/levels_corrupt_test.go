package parquet

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"
)

// TestMapLevelsOutOfStep reads a map column whose key and value leaves disagree on a row's
// pairs (two keys, one value): ErrCorrupt, with nothing leaked, rather than a map of
// misaligned keys and values.
func TestMapLevelsOutOfStep(t *testing.T) {
	schema := pq.NewSchema("t", pq.Group{
		"m": pq.Optional(pq.Map(pq.String(), pq.Optional(pq.Leaf(pq.Int64Type)))),
	})
	var buf bytes.Buffer
	w := pq.NewWriter(&buf, schema)
	row := pq.Row{
		pq.ByteArrayValue([]byte("a")).Level(0, 2, 0),
		pq.ByteArrayValue([]byte("b")).Level(1, 2, 0),
		pq.Int64Value(7).Level(0, 3, 1),
	}
	if _, err := w.WriteRows([]pq.Row{row}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	f, err := Open(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if !byLevels(&f.cols[0]) {
		t.Fatalf("map<string, int64> not read by levels")
	}
	r, err := f.Read(context.Background(), ReadOptions{Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := r.Next(context.Background())
	if b != nil {
		t.Logf("read: %v", b.Column(0))
		b.Release()
	}
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "out of step") {
		t.Fatalf("read: %v, want ErrCorrupt: map keys and values out of step", err)
	}
}
