package trino

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/format/pgvalue"
	"github.com/sleeperd/sleeperd/types"
)

// A time column (int64 microseconds named time by its metadata) is shown to Trino as varchar
// holding PostgreSQL's text of the time, not as a bigint, and is not pruned as a number.
func TestTimeColumnKind(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	md, _ := types.SQLMetadata(types.TimeType)
	f := arrow.Field{Name: "t", Type: types.Storage(types.TimeType), Nullable: true, Metadata: md}
	k := kindOf(f)
	if k != kindText || k.trinoType() != "varchar" || prunable(f, k) || indexable(f) {
		t.Fatalf("time column: kind %v (%s), prunable %v, indexable %v", k, k.trinoType(), prunable(f, k), indexable(f))
	}
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.Append(13*3_600_000_000 + 14*60_000_000 + 15_500_000)
	a := b.NewArray()
	defer a.Release()
	if got := string(pgvalue.NewWriter(f, a, 0, nil)(nil, 0)); got != "13:14:15.5" {
		t.Errorf("text of a time value: %q", got)
	}
}
