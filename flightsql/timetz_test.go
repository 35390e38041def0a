package flightsql

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
)

// TestTimeTZOverFlight reads timetz values over Flight SQL: a stored column and an array of
// them arrive as struct<time: time64[us], offset: int32> (the offset in seconds east of
// UTC), NULLs as NULL structs.
func TestTimeTZOverFlight(t *testing.T) {
	ctx, mem, _, cl := serveChecked(t)
	execAll(ctx, t, cl,
		"CREATE TABLE tzf (k bigint NOT NULL, t timetz) WITH (row_keys = 'k')",
		"INSERT INTO tzf VALUES (1, '10:00:00.5+05:30'), (2, NULL), (3, '23:59:59-15:59:59')",
	)
	got := fetch(ctx, t, cl, mem, "SELECT k, t, ARRAY[t, NULL] AS a FROM tzf ORDER BY k")
	defer releaseAll(got)
	sc := got[0].Schema()
	if !arrow.TypeEqual(sc.Field(1).Type, wireTimeTZ) {
		t.Errorf("t is %s, want %s", sc.Field(1).Type, wireTimeTZ)
	}
	if want := arrow.ListOf(wireTimeTZ); !arrow.TypeEqual(sc.Field(2).Type, want) {
		t.Errorf("a is %s, want %s", sc.Field(2).Type, want)
	}
	var ts, as []string
	for _, b := range got {
		for i := 0; i < int(b.NumRows()); i++ {
			ts = append(ts, b.Column(1).ValueStr(i))
			as = append(as, b.Column(2).ValueStr(i))
		}
	}
	wantT := []string{`{"offset":19800,"time":"10:00:00.5"}`, "(null)", `{"offset":-57599,"time":"23:59:59"}`}
	if len(ts) != 3 || ts[0] != wantT[0] || ts[1] != wantT[1] || ts[2] != wantT[2] {
		t.Errorf("t values %q, want %q", ts, wantT)
	}
	if len(as) != 3 || as[1] != `[null,null]` {
		t.Errorf("a values %q", as)
	}
}

// TestTimeTZIngest uploads struct<time: time64[us], offset: int32> values into a timetz
// column over Flight SQL ingest and reads them back over SQL as PostgreSQL's text.
func TestTimeTZIngest(t *testing.T) {
	ctx, mem, _, cl := serveChecked(t)
	if _, err := cl.ExecuteUpdate(ctx, "CREATE TABLE tzi (k bigint NOT NULL, t timetz) WITH (row_keys = 'k')"); err != nil {
		t.Fatal(err)
	}
	sc := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64}, {Name: "t", Type: wireTimeTZ, Nullable: true}}, nil)
	b := array.NewRecordBuilder(mem, sc)
	defer b.Release()
	sb := b.Field(1).(*array.StructBuilder)
	for i, v := range []struct {
		us   int64
		east int32
	}{{36_000_500_000, 19800}, {0, 0}, {86_399_000_000, -57599}} {
		b.Field(0).(*array.Int64Builder).Append(int64(i + 1))
		if i == 1 {
			sb.AppendNull()
			continue
		}
		sb.Append(true)
		sb.FieldBuilder(0).(*array.Time64Builder).Append(arrow.Time64(v.us))
		sb.FieldBuilder(1).(*array.Int32Builder).Append(v.east)
	}
	src := b.NewRecordBatch()
	defer src.Release()
	rdr, err := array.NewRecordReader(sc, []arrow.RecordBatch{src})
	if err != nil {
		t.Fatal(err)
	}
	n, err := cl.ExecuteIngest(ctx, rdr, &flightsqlIngestOpts{TableDefinitionOptions: &flightsql.TableDefinitionOptions{
		IfNotExist: flightsql.TableDefinitionOptionsTableNotExistOptionFail,
		IfExists:   flightsql.TableDefinitionOptionsTableExistsOptionAppend,
	}, Table: "tzi"})
	rdr.Release()
	if err != nil || n != 3 {
		t.Fatalf("ingest: n=%d err=%v", n, err)
	}
	got := fetch(ctx, t, cl, mem, "SELECT t::text FROM tzi ORDER BY k")
	defer releaseAll(got)
	var ts []string
	for _, b := range got {
		for i := 0; i < int(b.NumRows()); i++ {
			ts = append(ts, b.Column(0).ValueStr(i))
		}
	}
	want := []string{"10:00:00.5+05:30", "(null)", "23:59:59-15:59:59"}
	if len(ts) != 3 || ts[0] != want[0] || ts[1] != want[1] || ts[2] != want[2] {
		t.Errorf("read back %q, want %q", ts, want)
	}
}
