package pgvalue

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/types"
)

// TestRegWriters: a regclass column is written by the names given for its OIDs in text (an
// OID without one as its number) and as uint32 OIDs in binary; without names, by number.
func TestRegWriters(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b := array.NewInt64Builder(mem)
	b.AppendValues([]int64{1259, 99999}, nil)
	arr := b.NewArray()
	b.Release()
	defer arr.Release()
	md, _ := types.SQLMetadata(types.RegClass)
	f := arrow.Field{Name: "c", Type: arrow.PrimitiveTypes.Int64, Metadata: md}
	names := func(r *types.Reg, oid int64) (string, bool) {
		if r == types.RegClass && oid == 1259 {
			return "pg_class", true
		}
		return "", false
	}
	text := NewWriterNames(f, arr, FormatText, nil, names)
	if got := string(text(nil, 0)); got != "pg_class" {
		t.Errorf("text %q", got)
	}
	if got := string(text(nil, 1)); got != "99999" {
		t.Errorf("text of an OID without a name %q", got)
	}
	if got := string(AppendFieldNames(nil, f, arr, 0, nil, names)); got != "pg_class" {
		t.Errorf("AppendFieldNames %q", got)
	}
	if got := string(NewWriter(f, arr, FormatText, nil)(nil, 0)); got != "1259" {
		t.Errorf("text without names %q", got)
	}
	if got := NewWriterNames(f, arr, FormatBinary, nil, names)(nil, 0); string(got) != "\x00\x00\x04\xeb" {
		t.Errorf("binary %x", got)
	}
	if got := NewWriter(f, arr, FormatBinary, nil)(nil, 1); string(got) != "\x00\x01\x86\x9f" {
		t.Errorf("binary without names %x", got)
	}
}
