package catalog

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/parquet"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

func newCatalog(t *testing.T, store objstore.Store) *Catalog {
	t.Helper()
	c, err := Open(context.Background(), store, statestore.New(store, statestore.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var (
	i64  = arrow.PrimitiveTypes.Int64
	i32  = arrow.PrimitiveTypes.Int32
	text = arrow.BinaryTypes.String
	f64  = arrow.PrimitiveTypes.Float64
)

func TestCreateValidation(t *testing.T) {
	ctx := context.Background()
	c := newCatalog(t, objstore.NewMem())
	if _, err := c.Create(ctx, TableDef{Name: "taken", Columns: []Column{{Name: "a", Type: i64}}}, nil); err != nil {
		t.Fatal(err)
	}
	cols := []Column{{Name: "k", Type: i64}, {Name: "v", Type: text, Nullable: true}, {Name: "f", Type: f64, Nullable: true}}
	tests := []struct {
		name string
		def  TableDef
		kind error
		msg  string
	}{
		{"duplicate table", TableDef{Name: "taken", Columns: cols}, errs.DuplicateTable, `relation "taken" already exists`},
		{"duplicate column", TableDef{Name: "t", Columns: []Column{{Name: "a", Type: i64}, {Name: "a", Type: text}}}, errs.DuplicateColumn, `column "a" specified more than once`},
		{"unknown row key", TableDef{Name: "t", Columns: cols, RowKeys: []string{"x"}}, errs.UndefinedColumn, ""},
		{"unknown sort key", TableDef{Name: "t", Columns: cols, RowKeys: []string{"k"}, SortKeys: []string{"x"}}, errs.UndefinedColumn, ""},
		{"unknown primary key", TableDef{Name: "t", Columns: cols, PrimaryKey: []string{"x"}}, errs.UndefinedColumn, ""},
		{"repeated row key", TableDef{Name: "t", Columns: cols, RowKeys: []string{"k", "k"}}, errs.DuplicateColumn, ""},
		{"float row key", TableDef{Name: "t", Columns: cols, RowKeys: []string{"f"}}, errs.InvalidDefinition, ""},
		{"row key as sort key", TableDef{Name: "t", Columns: cols, RowKeys: []string{"k"}, SortKeys: []string{"k"}}, errs.InvalidDefinition, ""},
		{"reserved rowid", TableDef{Name: "t", Columns: []Column{{Name: RowIDColumn, Type: i64}}}, errs.DuplicateColumn, ""},
		{"unknown property", TableDef{Name: "t", Columns: cols, Properties: map[string]string{"colour": "red"}}, errs.InvalidParameter, `unrecognized parameter "colour"`},
		{"bad compression", TableDef{Name: "t", Columns: cols, Properties: map[string]string{"compression": "brotli"}}, errs.InvalidParameter, ""},
		{"bad row group rows", TableDef{Name: "t", Columns: cols, Properties: map[string]string{"row_group_rows": "0"}}, errs.InvalidParameter, ""},
		{"bad dictionary", TableDef{Name: "t", Columns: cols, Properties: map[string]string{"dictionary": "maybe"}}, errs.InvalidParameter, ""},
		{"bad split threshold", TableDef{Name: "t", Columns: cols, Properties: map[string]string{"split_threshold": "x"}}, errs.InvalidParameter, ""},
		{"bad split point", TableDef{Name: "t", Columns: cols, RowKeys: []string{"k"}, SplitPoints: []string{"ten"}}, errs.InvalidText, ""},
		{"duplicate split point", TableDef{Name: "t", Columns: cols, RowKeys: []string{"k"}, Properties: map[string]string{"split_points": "1, 2, 1"}}, errs.InvalidParameter, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Create(ctx, tc.def, nil)
			if !errors.Is(err, tc.kind) {
				t.Fatalf("got %v, want kind %v", err, tc.kind)
			}
			if tc.msg != "" && err.Error() != tc.msg {
				t.Errorf("message %q, want %q", err.Error(), tc.msg)
			}
		})
	}
	tables, err := c.Tables(ctx)
	if err != nil || len(tables) != 1 {
		t.Errorf("tables after failed creates: %d %v", len(tables), err)
	}
}

func TestCreateRoles(t *testing.T) {
	ctx := context.Background()
	c := newCatalog(t, objstore.NewMem())
	tests := []struct {
		name     string
		def      TableDef
		rowKeys  []string
		sortKeys []string
		hidden   bool
	}{
		{"row keys", TableDef{Columns: []Column{{Name: "a", Type: text, Nullable: true}, {Name: "b", Type: i32, Nullable: true}, {Name: "v", Type: f64, Nullable: true}}, RowKeys: []string{"b", "a"}, SortKeys: []string{"v"}}, []string{"b", "a"}, []string{"v"}, false},
		{"primary key", TableDef{Columns: []Column{{Name: "id", Type: i64, Nullable: true}, {Name: "v", Type: text, Nullable: true}}, PrimaryKey: []string{"id"}}, []string{"id"}, nil, false},
		{"insertion order", TableDef{Columns: []Column{{Name: "v", Type: text, Nullable: true}}}, []string{RowIDColumn}, nil, true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.def.Name = "t" + string(rune('a'+i))
			tb, err := c.Create(ctx, tc.def, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, k := range tb.RowKeys {
				got = append(got, tb.Columns[k].Name)
				if tb.Columns[k].Nullable || tb.Schema().Field(k).Nullable {
					t.Errorf("row key %s is nullable", tb.Columns[k].Name)
				}
			}
			if !slices.Equal(got, tc.rowKeys) {
				t.Errorf("row keys %v, want %v", got, tc.rowKeys)
			}
			var sk []string
			for _, k := range tb.SortKeys {
				sk = append(sk, tb.Columns[k].Name)
			}
			if !slices.Equal(sk, tc.sortKeys) {
				t.Errorf("sort keys %v, want %v", sk, tc.sortKeys)
			}
			if tb.KeyedByInsertion() != tc.hidden {
				t.Errorf("keyed by insertion = %v", tb.KeyedByInsertion())
			}
			if tc.hidden && len(tb.Visible()) != len(tb.Columns)-1 {
				t.Errorf("visible columns %v of %d", tb.Visible(), len(tb.Columns))
			}
			spec := tb.IngestSpec()
			if err := spec.Validate(); err != nil {
				t.Error(err)
			}
			st, err := c.StateStore().Snapshot(ctx, tb.StateID())
			if err != nil || len(st.Leaves()) != 1 {
				t.Errorf("state: %v", err)
			}
		})
	}
}

func TestSplitPointsAndProperties(t *testing.T) {
	ctx := context.Background()
	c := newCatalog(t, objstore.NewMem())
	ts := &arrow.TimestampType{Unit: arrow.Microsecond}
	tests := []struct {
		name   string
		typ    arrow.DataType
		points []string
		prop   string
		want   []any
	}{
		{"int64", i64, []string{"30", "-5"}, "10", []any{int64(-5), int64(10), int64(30)}},
		{"int32", i32, nil, "3,1,2", []any{int32(1), int32(2), int32(3)}},
		{"text", text, []string{"m"}, "'a,b', c", []any{"a,b", "c", "m"}},
		{"bytea", arrow.BinaryTypes.Binary, []string{`\x00ff`}, "", []any{[]byte{0, 0xff}}},
		{"date", arrow.FixedWidthTypes.Date32, []string{"2024-03-01", "1969-12-31"}, "", []any{arrow.Date32(-1), arrow.Date32(19783)}},
		{"timestamp", ts, []string{"2024-01-02 03:04:05.5", "2024-01-02T00:00:00+01:00"}, "", []any{arrow.Timestamp(1704150000000000), arrow.Timestamp(1704164645500000)}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			def := TableDef{
				Name:        "s" + string(rune('a'+i)),
				Columns:     []Column{{Name: "k", Type: tc.typ}},
				RowKeys:     []string{"k"},
				SplitPoints: tc.points,
				Properties:  map[string]string{"compression": "snappy", "row_group_rows": "500", "dictionary": "on", "split_threshold": "1234"},
			}
			if tc.prop != "" {
				def.Properties["split_points"] = tc.prop
			}
			tb, err := c.Create(ctx, def, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := parquet.Properties{Compression: "snappy", RowGroupRows: 500, PageBytes: 8 << 10, Dictionary: true, Encoding: parquet.EncodingDelta}
			if tb.Props.Parquet != want || tb.Props.SplitThreshold != 1234 {
				t.Errorf("props %+v", tb.Props)
			}
			st, err := c.StateStore().Snapshot(ctx, tb.StateID())
			if err != nil {
				t.Fatal(err)
			}
			leaves := st.Leaves()
			if len(leaves) != len(tc.want)+1 {
				t.Fatalf("%d leaves, want %d", len(leaves), len(tc.want)+1)
			}
			for j, v := range tc.want {
				k, err := keys.AppendGo(nil, tc.typ, v)
				if err != nil {
					t.Fatal(err)
				}
				if string(leaves[j].Range.Max) != string(k) {
					t.Errorf("split %d: %s, want %s", j, keys.Format([]arrow.DataType{tc.typ}, leaves[j].Range.Max, true), keys.Format([]arrow.DataType{tc.typ}, k, true))
				}
			}
		})
	}
}

func TestPersistenceAndSharing(t *testing.T) {
	ctx := context.Background()
	store := objstore.NewMem()
	c1 := newCatalog(t, store)
	c2 := newCatalog(t, store) // another process on the same store
	dec, _ := arrow.NewDecimalType(arrow.DECIMAL128, 12, 3)
	def := TableDef{
		Name: "demo",
		Columns: []Column{
			{Name: "key", Type: text},
			{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
			{Name: "amount", Type: dec, Nullable: true},
		},
		RowKeys:    []string{"key"},
		SortKeys:   []string{"ts"},
		Properties: map[string]string{"compression": "gzip", "split_points": "m"},
	}
	created, err := c1.Create(ctx, def, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Create(ctx, def, nil); !errors.Is(err, errs.DuplicateTable) {
		t.Fatalf("second process created a duplicate: %v", err)
	}
	seen, err := c2.Table(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	reopened := newCatalog(t, store)
	got, err := reopened.Table(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range []*Table{seen, got} {
		if tb.ID != created.ID || !tb.Schema().Equal(created.Schema()) || !slices.Equal(tb.SortKeys, created.SortKeys) ||
			!slices.Equal(tb.RowKeys, created.RowKeys) || tb.Props.Parquet != created.Props.Parquet || tb.Props.Raw["split_points"] != "m" {
			t.Errorf("table after reopen differs: %+v vs %+v", tb, created)
		}
	}
	if _, err := reopened.Table(ctx, "nope"); !errors.Is(err, errs.UndefinedTable) || err.Error() != `relation "nope" does not exist` {
		t.Errorf("missing table: %v", err)
	}
}

func TestDropAndRecreate(t *testing.T) {
	ctx := context.Background()
	store := objstore.NewMem()
	c := newCatalog(t, store)
	other := newCatalog(t, store)
	def := TableDef{Name: "t", Columns: []Column{{Name: "k", Type: i64}}, RowKeys: []string{"k"}, SplitPoints: []string{"5"}}
	first, err := c.Create(ctx, def, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Table(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	if err := other.Drop(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	if err := c.Drop(ctx, "t"); !errors.Is(err, errs.UndefinedTable) {
		t.Errorf("second drop: %v", err)
	}
	if _, err := statestore.New(store, statestore.Options{}).Snapshot(ctx, first.StateID()); !errors.Is(err, statestore.ErrTableNotFound) {
		t.Errorf("state of the dropped table: %v", err)
	}
	def.SplitPoints = nil
	second, err := c.Create(ctx, def, nil)
	if err != nil {
		t.Fatal(err)
	}
	if second.ID == first.ID {
		t.Error("recreated table reuses the dropped table's ID")
	}
	st, err := other.StateStore().Snapshot(ctx, second.StateID())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Leaves()) != 1 || len(st.Files()) != 0 {
		t.Errorf("recreated table has %d leaves and %d files", len(st.Leaves()), len(st.Files()))
	}
	tables, err := newCatalog(t, store).Tables(ctx)
	if err != nil || len(tables) != 1 || tables[0].ID != second.ID {
		t.Errorf("tables after reopen: %v %v", tables, err)
	}
}
