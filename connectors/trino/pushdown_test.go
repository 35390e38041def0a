package trino

import (
	"testing"

	"github.com/sleeperd/sleeperd/connectors/trino/trinothrift"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

func varcharBlock(s string) *trinothrift.TrinoThriftBlock {
	return &trinothrift.TrinoThriftBlock{VarcharData: &trinothrift.TrinoThriftVarchar{Sizes: []int32{int32(len(s))}, Bytes: []byte(s)}}
}

func tsBlock(ms int64) *trinothrift.TrinoThriftBlock {
	return &trinothrift.TrinoThriftBlock{TimestampData: &trinothrift.TrinoThriftTimestamp{Timestamps: []int64{ms}}}
}

func pointDomain(v *trinothrift.TrinoThriftBlock) *trinothrift.TrinoThriftDomain {
	return &trinothrift.TrinoThriftDomain{ValueSet: &trinothrift.TrinoThriftValueSet{RangeValueSet: &trinothrift.TrinoThriftRangeValueSet{
		Ranges: []*trinothrift.TrinoThriftRange{{Low: marker(v, trinothrift.TrinoThriftBound_EXACTLY), High: marker(v, trinothrift.TrinoThriftBound_EXACTLY)}},
	}}}
}

// TestPushdownKeepsMatchingRows checks predicates on keys of the types whose Trino values
// differ from the stored ones: microsecond timestamps shown as milliseconds, bytea shown as
// \x hex text, text; and equatable value sets. Every row Trino's predicate matches must be
// read, and the splits pruned to the leaf that holds them.
func TestPushdownKeepsMatchingRows(t *testing.T) {
	eng := openEngine(t, objstore.NewMem())
	run(t, eng,
		`CREATE TABLE kts (ts timestamp, v integer) WITH (row_keys = 'ts', split_points = '2024-01-01 00:00:00.0015')`,
		`INSERT INTO kts VALUES ('2024-01-01 00:00:00.001', 1), ('2024-01-01 00:00:00.0014', 2), ('2024-01-01 00:00:00.0019', 3), ('2024-01-01 00:00:00.002', 4)`,
		`CREATE TABLE ks (s text, v integer) WITH (row_keys = 's', split_points = 'm')`,
		`INSERT INTO ks VALUES ('a', 1), ('mango', 2), ('zebra', 3)`,
		`CREATE TABLE kb (b bytea, v integer) WITH (row_keys = 'b')`,
		`INSERT INTO kb VALUES ('\x01', 1), ('\x0102', 2), ('\xff', 3)`,
	)
	c, _ := serve(t, eng)
	// ts = 00:00:00.001 (ms) matches the rows at .001, .0014 and .0019: they show as .001.
	td := &trinothrift.TrinoThriftTupleDomain{Domains: map[string]*trinothrift.TrinoThriftDomain{"ts": pointDomain(tsBlock(1704067200001))}}
	rows := readTable(t, c, "kts", td, []string{"v"}, []string{"integer"})
	sortRows(rows)
	if len(rows) != 3 || rows[0][0] != int32(1) || rows[2][0] != int32(3) {
		t.Errorf("ts = .001: rows %v, want v 1, 2, 3", rows)
	}
	td = &trinothrift.TrinoThriftTupleDomain{Domains: map[string]*trinothrift.TrinoThriftDomain{"s": pointDomain(varcharBlock("mango"))}}
	if s := splits(t, c, "ks", td, 10); len(s) != 1 {
		t.Errorf("s = 'mango': %d splits, want 1", len(s))
	}
	if rows := readTable(t, c, "ks", td, []string{"v"}, []string{"integer"}); len(rows) != 1 || rows[0][0] != int32(2) {
		t.Errorf("s = 'mango': rows %v", rows)
	}
	// An equatable set (IN) on bytea, given as PostgreSQL's hex text.
	td = &trinothrift.TrinoThriftTupleDomain{Domains: map[string]*trinothrift.TrinoThriftDomain{"b": {ValueSet: &trinothrift.TrinoThriftValueSet{
		EquatableValueSet: &trinothrift.TrinoThriftEquatableValueSet{Inclusive: true, Values: []*trinothrift.TrinoThriftBlock{varcharBlock(`\x0102`), varcharBlock(`\xff`)}},
	}}}}
	rows = readTable(t, c, "kb", td, []string{"b", "v"}, []string{"varchar", "integer"})
	sortRows(rows)
	got := map[string]bool{}
	for _, r := range rows {
		got[r[0].(string)] = true
	}
	if len(rows) != 2 || !got[`\x0102`] || !got[`\xff`] {
		t.Errorf("b IN (\\x0102, \\xff): rows %v", rows)
	}
	// Exclusive equatable sets (NOT IN) prune nothing.
	td.Domains["b"].ValueSet.EquatableValueSet.Inclusive = false
	if rows := readTable(t, c, "kb", td, []string{"v"}, []string{"integer"}); len(rows) != 3 {
		t.Errorf("b NOT IN (...): %d rows, want all 3", len(rows))
	}
	// None on a value column: no row matches; with NULL allowed, the rows stay.
	td = &trinothrift.TrinoThriftTupleDomain{Domains: map[string]*trinothrift.TrinoThriftDomain{"v": {ValueSet: &trinothrift.TrinoThriftValueSet{AllOrNoneValueSet: &trinothrift.TrinoThriftAllOrNoneValueSet{All: false}}}}}
	if s := splits(t, c, "ks", td, 10); len(s) != 0 {
		t.Errorf("v in no value: %d splits", len(s))
	}
	td.Domains["v"].NullAllowed = true
	if rows := readTable(t, c, "ks", td, []string{"v"}, []string{"integer"}); len(rows) != 3 {
		t.Errorf("v IS NULL: %d rows read, want all 3 (Trino filters)", len(rows))
	}
}

// TestValueBoundsSkipRowGroups checks that a domain on a value column skips the row groups
// whose statistics miss it, and that the rows it matches are all read.
func TestValueBoundsSkipRowGroups(t *testing.T) {
	eng := openEngine(t, objstore.NewMem())
	run(t, eng,
		"CREATE TABLE rg (id bigint, v bigint) WITH (row_keys = 'id', row_group_rows = '100')",
		"INSERT INTO rg SELECT g, g FROM generate_series(1, 1000) g",
	)
	c, _ := serve(t, eng)
	m := eng.Metrics()
	read, skipped := m.RowGroupsRead.Load(), m.RowGroupsSkipped.Load()
	td := &trinothrift.TrinoThriftTupleDomain{Domains: map[string]*trinothrift.TrinoThriftDomain{"v": rangeDomain(450, 460)}}
	rows := readTable(t, c, "rg", td, []string{"v"}, []string{"bigint"})
	n := 0
	for _, r := range rows {
		if v := r[0].(int64); v >= 450 && v <= 460 {
			n++
		}
	}
	if n != 11 {
		t.Errorf("%d rows with 450 <= v <= 460, want 11", n)
	}
	if r, s := m.RowGroupsRead.Load()-read, m.RowGroupsSkipped.Load()-skipped; r != 1 || s != 9 {
		t.Errorf("read %d row groups and skipped %d, want 1 and 9", r, s)
	}
}
