package trino

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sleeperd/sleeperd/connectors/trino/trinothrift"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

func TestMetadata(t *testing.T) {
	ctx := context.Background()
	eng := openEngine(t, objstore.NewMem())
	run(t, eng,
		"CREATE TABLE kv (k bigint, s text, v integer) WITH (row_keys = 'k,s')",
		"CREATE TABLE log (msg text, at timestamp)",
		`CREATE TABLE "Odd" (a integer)`,
	)
	c, _ := serve(t, eng)

	schemas, err := c.TrinoListSchemaNames(ctx)
	if err != nil || !reflect.DeepEqual(schemas, []string{"public", "sleeper"}) {
		t.Fatalf("schemas %v, %v", schemas, err)
	}
	pub := "public"
	tables, err := c.TrinoListTables(ctx, &trinothrift.TrinoThriftNullableSchemaName{SchemaName: &pub})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tn := range tables {
		names = append(names, tn.SchemaName+"."+tn.TableName)
	}
	slices.Sort(names)
	if want := []string{"public.kv", "public.log"}; !reflect.DeepEqual(names, want) {
		t.Errorf("public tables %v, want %v (Odd is not a Trino name)", names, want)
	}
	every, err := c.TrinoListTables(ctx, &trinothrift.TrinoThriftNullableSchemaName{})
	if err != nil {
		t.Fatal(err)
	}
	sys := 0
	for _, tn := range every {
		if tn.SchemaName == "sleeper" {
			sys++
		}
	}
	if sys == 0 || len(every) != len(tables)+sys {
		t.Errorf("all schemas: %d tables, %d of them system tables", len(every), sys)
	}

	md, err := c.TrinoGetTableMetadata(ctx, public("kv"))
	if err != nil {
		t.Fatal(err)
	}
	tm := md.TableMetadata
	if tm == nil {
		t.Fatal("no metadata for kv")
	}
	var cols []string
	for _, col := range tm.Columns {
		cols = append(cols, fmt.Sprintf("%s %s hidden=%v", col.Name, col.Type, col.Hidden))
	}
	if want := []string{"k bigint hidden=false", "s varchar hidden=false", "v integer hidden=false"}; !reflect.DeepEqual(cols, want) {
		t.Errorf("columns %v, want %v", cols, want)
	}
	if want := [][]string{{"k"}, {"k", "s"}}; !reflect.DeepEqual(tm.IndexableKeys, want) {
		t.Errorf("indexable keys %v, want %v", tm.IndexableKeys, want)
	}

	md, err = c.TrinoGetTableMetadata(ctx, public("log"))
	if err != nil {
		t.Fatal(err)
	}
	cols = cols[:0]
	for _, col := range md.TableMetadata.Columns {
		cols = append(cols, fmt.Sprintf("%s %s hidden=%v", col.Name, col.Type, col.Hidden))
	}
	// The generated row id (_rowid) is not a name Trino accepts: it is not exposed.
	if want := []string{"msg varchar hidden=false", "at timestamp(3) hidden=false"}; !reflect.DeepEqual(cols, want) {
		t.Errorf("columns %v, want %v", cols, want)
	}
	if md.TableMetadata.IndexableKeys != nil {
		t.Errorf("a table keyed by insertion has index keys %v", md.TableMetadata.IndexableKeys)
	}

	for _, missing := range []*trinothrift.TrinoThriftSchemaTableName{public("nope"), {SchemaName: "other", TableName: "kv"}, {SchemaName: "sleeper", TableName: "nope"}} {
		md, err := c.TrinoGetTableMetadata(ctx, missing)
		if err != nil || md.TableMetadata != nil {
			t.Errorf("%v: %v, %v; want no metadata", missing, md, err)
		}
	}
	md, err = c.TrinoGetTableMetadata(ctx, &trinothrift.TrinoThriftSchemaTableName{SchemaName: "sleeper", TableName: "partitions"})
	if err != nil || md.TableMetadata == nil || len(md.TableMetadata.Columns) == 0 {
		t.Fatalf("sleeper.tables: %v, %v", md, err)
	}
}

// TestEveryType reads a row of every column type a table can hold, a row of NULLs and a
// column that is NULL in every row, and checks values against the documented mapping.
func TestEveryType(t *testing.T) {
	ctx := context.Background()
	eng := openEngine(t, objstore.NewMem())
	run(t, eng,
		`CREATE TABLE ty (k integer, i2 smallint, i4 integer, i8 bigint, f4 real, f8 double precision,
			s text, vc varchar(5), ch char(3), b boolean, d date, ts timestamp, tz timestamptz,
			by bytea, n numeric(10,2), nothing bigint) WITH (row_keys = 'k')`,
		`INSERT INTO ty VALUES (1, -2, 40000, 5000000000, 1.5, -2.25, 'héllo', 'abc', 'x', true,
			'2024-02-29', '2024-02-29 12:34:56.789123', '2024-02-29 12:34:56.5+02', '\x00ff', 12.34, NULL)`,
		`INSERT INTO ty (k) VALUES (2)`,
		`INSERT INTO ty VALUES (3, 0, 0, 0, 0, 0, '', '', '', false, '1969-12-31', '1969-12-31 23:59:59.9995', NULL, '\x', -0.01, NULL)`,
	)
	c, _ := serve(t, eng)
	cols, types := tableColumns(ctx, t, c, "ty")
	wantTypes := []string{"integer", "integer", "integer", "bigint", "double", "double", "varchar", "varchar", "varchar",
		"boolean", "date", "timestamp(3)", "timestamp(3)", "varchar", "varchar", "bigint"}
	if !reflect.DeepEqual(types, wantTypes) {
		t.Fatalf("types %v, want %v", types, wantTypes)
	}
	rows := readTable(t, c, "ty", all(), cols, types)
	sortRows(rows)
	day := int32(19782) // 2024-02-29
	ms := int64(1709210096789)
	want := [][]any{
		{int32(1), int32(-2), int32(40000), int64(5000000000), 1.5, -2.25, "héllo", "abc", "x  ", true,
			day, ms, int64(1709202896500), `\x00ff`, "12.34", nil},
		{int32(2), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
		{int32(3), int32(0), int32(0), int64(0), 0.0, 0.0, "", "", "   ", false, int32(-1), int64(-1), nil, `\x`, "-0.01", nil},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows\n%v\nwant\n%v", rows, want)
	}
}

func TestSplitsPruneToOnePartition(t *testing.T) {
	ctx := context.Background()
	eng := openEngine(t, objstore.NewMem())
	run(t, eng,
		"CREATE TABLE p (id bigint, v bigint) WITH (row_keys = 'id', split_points = '100,200,300')",
		"INSERT INTO p SELECT g, g * 10 FROM generate_series(1, 400) g",
	)
	c, addr := serve(t, eng)
	cols, types := []string{"id", "v"}, []string{"bigint", "bigint"}
	if s := splits(t, c, "p", all(), 100); len(s) != 4 {
		t.Fatalf("%d splits of the whole table, want 4 (one per leaf)", len(s))
	}
	one := &trinothrift.TrinoThriftTupleDomain{Domains: map[string]*trinothrift.TrinoThriftDomain{"id": rangeDomain(150, 160)}}
	s := splits(t, c, "p", one, 100)
	if len(s) != 1 {
		t.Fatalf("%d splits for 150 <= id <= 160, want 1", len(s))
	}
	if len(s[0].Hosts) != 1 || fmt.Sprintf("%s:%d", s[0].Hosts[0].Host, s[0].Hosts[0].Port) != addr {
		t.Errorf("hosts %v, want the server's address %s", s[0].Hosts, addr)
	}
	rows, _ := readSplit(t, c, s[0].SplitId, cols, types, 0)
	if len(rows) != 11 || rows[0][0] != int64(150) || rows[10][0] != int64(160) {
		t.Errorf("rows of the pruned split: %v", rows)
	}
	// A point: also one split, one row.
	point := &trinothrift.TrinoThriftTupleDomain{Domains: map[string]*trinothrift.TrinoThriftDomain{"id": rangeDomain(300, 300)}}
	s = splits(t, c, "p", point, 100)
	if len(s) != 1 {
		t.Fatalf("%d splits for id = 300, want 1", len(s))
	}
	if rows, _ := readSplit(t, c, s[0].SplitId, cols, types, 0); !reflect.DeepEqual(rows, [][]any{{int64(300), int64(3000)}}) {
		t.Errorf("rows for id = 300: %v", rows)
	}
	// Two ranges over two leaves.
	two := &trinothrift.TrinoThriftTupleDomain{Domains: map[string]*trinothrift.TrinoThriftDomain{"id": {ValueSet: &trinothrift.TrinoThriftValueSet{
		RangeValueSet: &trinothrift.TrinoThriftRangeValueSet{Ranges: []*trinothrift.TrinoThriftRange{
			{Low: marker(nil, trinothrift.TrinoThriftBound_ABOVE), High: marker(bigintBlock(5), trinothrift.TrinoThriftBound_BELOW)},
			{Low: marker(bigintBlock(395), trinothrift.TrinoThriftBound_ABOVE), High: marker(nil, trinothrift.TrinoThriftBound_BELOW)},
		}}}}}}
	got := readTable(t, c, "p", two, cols, types)
	sortRows(got)
	var ids []int64
	for _, r := range got {
		ids = append(ids, r[0].(int64))
	}
	if want := []int64{1, 2, 3, 4, 396, 397, 398, 399, 400}; !reflect.DeepEqual(ids, want) {
		t.Errorf("id < 5 or id > 395: %v, want %v", ids, want)
	}
	if s := splits(t, c, "p", two, 100); len(s) != 2 {
		t.Errorf("%d splits for two ranges in the first and last leaf, want 2", len(s))
	}
	// No row matches: an absent domain map, or an empty set of ranges on the key.
	if s := splits(t, c, "p", &trinothrift.TrinoThriftTupleDomain{}, 100); len(s) != 0 {
		t.Errorf("%d splits for the none domain", len(s))
	}
	// A domain on a value column is pushed down as row-group bounds: it never drops a
	// matching row (Trino filters the rest).
	onV := &trinothrift.TrinoThriftTupleDomain{Domains: map[string]*trinothrift.TrinoThriftDomain{"v": rangeDomain(1000, 1020)}}
	got = readTable(t, c, "p", onV, cols, types)
	n := 0
	for _, r := range got {
		if v := r[1].(int64); v >= 1000 && v <= 1020 {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d rows with 1000 <= v <= 1020 read, want 3", n)
	}
	// NULL allowed on the key: still only the range (keys are never NULL).
	d := rangeDomain(150, 160)
	d.NullAllowed = true
	if s := splits(t, c, "p", &trinothrift.TrinoThriftTupleDomain{Domains: map[string]*trinothrift.TrinoThriftDomain{"id": d}}, 100); len(s) != 1 {
		t.Errorf("%d splits, want 1", len(s))
	}
	_ = ctx
}

func TestSplitPagingAndPinnedState(t *testing.T) {
	ctx := context.Background()
	store := objstore.NewMem()
	eng := openEngine(t, store)
	run(t, eng,
		"CREATE TABLE p (id bigint, v text) WITH (row_keys = 'id', split_points = '10,20,30,40,50,60,70')",
		"INSERT INTO p SELECT g, 'v' || g FROM generate_series(0, 79) g",
	)
	c, _ := serve(t, eng, "node-a:7779", "node-b:7779")
	first, err := c.TrinoGetSplits(ctx, public("p"), &trinothrift.TrinoThriftNullableColumnSet{}, all(), 3, &trinothrift.TrinoThriftNullableToken{})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Splits) != 3 || first.NextToken == nil {
		t.Fatalf("first page: %d splits, token %v", len(first.Splits), first.NextToken)
	}
	for _, s := range first.Splits {
		if want := []*trinothrift.TrinoThriftHostAddress{{Host: "node-a", Port: 7779}, {Host: "node-b", Port: 7779}}; !reflect.DeepEqual(s.Hosts, want) {
			t.Fatalf("hosts %v, want %v", s.Hosts, want)
		}
	}
	// Rows written, deleted and compacted (VACUUM FULL rewrites every file) after the first
	// page change no split: every page reads the state the listing began at.
	run(t, eng, "INSERT INTO p SELECT g, 'new' FROM generate_series(80, 99) g", "DELETE FROM p WHERE id < 5", "VACUUM FULL p")
	got := first.Splits
	tok := &trinothrift.TrinoThriftNullableToken{Token: first.NextToken}
	for tok.Token != nil {
		b, err := c.TrinoGetSplits(ctx, public("p"), &trinothrift.TrinoThriftNullableColumnSet{}, all(), 3, tok)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, b.Splits...)
		tok = &trinothrift.TrinoThriftNullableToken{Token: b.NextToken}
	}
	if len(got) != 8 {
		t.Fatalf("%d splits, want 8", len(got))
	}
	seen := map[string]bool{}
	var rows [][]any
	for _, s := range got {
		if seen[string(s.SplitId.ID)] {
			t.Fatalf("split listed twice")
		}
		seen[string(s.SplitId.ID)] = true
		r, _ := readSplit(t, c, s.SplitId, []string{"id"}, []string{"bigint"}, 0)
		rows = append(rows, r...)
	}
	sortRows(rows)
	if len(rows) != 80 || rows[0][0] != int64(0) || rows[79][0] != int64(79) {
		t.Errorf("%d rows from the pinned splits, want the 80 of the listing's state", len(rows))
	}
	// A new listing sees the new state.
	if rows := readTable(t, c, "p", all(), []string{"id"}, []string{"bigint"}); len(rows) != 95 {
		t.Errorf("%d rows in a new listing, want 95", len(rows))
	}
	// Another server over the same store serves the same splits and tokens.
	c2, _ := serve(t, openEngine(t, store))
	r1, _ := readSplit(t, c, got[2].SplitId, []string{"id", "v"}, []string{"bigint", "varchar"}, 0)
	r2, _ := readSplit(t, c2, got[2].SplitId, []string{"id", "v"}, []string{"bigint", "varchar"}, 0)
	if !reflect.DeepEqual(r1, r2) || len(r1) != 10 {
		t.Errorf("servers disagree on a split: %v and %v", r1, r2)
	}
}

// TestPaging pages through a table with small maxBytes, switching servers between pages
// (so the token alone must resume), and checks every row arrives once, in order per split.
func TestPaging(t *testing.T) {
	ctx := context.Background()
	store := objstore.NewMem()
	eng := openEngine(t, store)
	const n = 20000
	run(t, eng,
		"CREATE TABLE big (id bigint, s text, f double precision) WITH (row_keys = 'id', split_points = '10000')",
		fmt.Sprintf("INSERT INTO big SELECT g, repeat('x', (g %% 17)::integer), g / 3.0 FROM generate_series(1, %d) g", n),
	)
	a, _ := serve(t, eng)
	b, _ := serve(t, openEngine(t, store))
	clients := []*trinothrift.TrinoThriftServiceClient{a, b}
	cols, types := []string{"id", "s", "f"}, []string{"bigint", "varchar", "double"}
	const maxBytes = 8 << 10
	next := int64(1)
	pages := 0
	for _, s := range splits(t, a, "big", all(), 1) {
		tok := &trinothrift.TrinoThriftNullableToken{}
		for {
			p, err := clients[pages%2].TrinoGetRows(ctx, s.SplitId, cols, maxBytes, tok)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if err := ValidatePage(p, types); err != nil {
				t.Fatal(err)
			}
			for r := 0; r < int(p.RowCount); r++ {
				id := cell(p.ColumnBlocks[0], r).(int64)
				if id != next {
					t.Fatalf("row id %d, want %d", id, next)
				}
				if sv := cell(p.ColumnBlocks[1], r).(string); len(sv) != int(id%17) {
					t.Fatalf("row %d: s %q", id, sv)
				}
				next++
			}
			if p.NextToken == nil {
				break
			}
			tok = &trinothrift.TrinoThriftNullableToken{Token: p.NextToken}
		}
	}
	if next != n+1 {
		t.Fatalf("read %d rows, want %d", next-1, n)
	}
	if pages < 40 {
		t.Errorf("%d pages of at most %d bytes for %d rows", pages, maxBytes, n)
	}
	// A retried request (the same token twice) gets the same page.
	s := splits(t, a, "big", all(), 1)[0]
	p1, err := a.TrinoGetRows(ctx, s.SplitId, cols, maxBytes, &trinothrift.TrinoThriftNullableToken{})
	if err != nil {
		t.Fatal(err)
	}
	tok := &trinothrift.TrinoThriftNullableToken{Token: p1.NextToken}
	p2, err := a.TrinoGetRows(ctx, s.SplitId, cols, maxBytes, tok)
	if err != nil {
		t.Fatal(err)
	}
	p3, err := a.TrinoGetRows(ctx, s.SplitId, cols, maxBytes, tok)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p2, p3) {
		t.Error("a retried page differs")
	}
}

func TestCountStar(t *testing.T) {
	ctx := context.Background()
	eng := openEngine(t, objstore.NewMem())
	run(t, eng,
		"CREATE TABLE c (id integer, v text) WITH (row_keys = 'id', split_points = '500')",
		"INSERT INTO c SELECT g, 'x' FROM generate_series(1, 1234) g",
	)
	cl, _ := serve(t, eng)
	total := 0
	for _, s := range splits(t, cl, "c", all(), 10) {
		tok := &trinothrift.TrinoThriftNullableToken{}
		for {
			p, err := cl.TrinoGetRows(ctx, s.SplitId, []string{}, 1<<20, tok)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.ColumnBlocks) != 0 {
				t.Fatalf("%d blocks for no columns", len(p.ColumnBlocks))
			}
			total += int(p.RowCount)
			if p.NextToken == nil {
				break
			}
			tok = &trinothrift.TrinoThriftNullableToken{Token: p.NextToken}
		}
	}
	if total != 1234 {
		t.Errorf("count(*) %d, want 1234", total)
	}
	// Each split scan joins the query log as a statement of the trino frontend.
	var scans, rows int64
	for _, q := range eng.Queries() {
		if q.Frontend == "trino" && q.Text == "trino split scan of c" && q.Status == "ok" {
			scans++
			rows += q.Rows
		}
	}
	if scans < 2 || rows != 1234 {
		t.Errorf("the query log holds %d trino split scans of c with %d rows, want one per split and 1234 rows", scans, rows)
	}
}

func TestIndexSplits(t *testing.T) {
	ctx := context.Background()
	eng := openEngine(t, objstore.NewMem())
	run(t, eng,
		"CREATE TABLE ix (id bigint, v text) WITH (row_keys = 'id', split_points = '100,200')",
		"INSERT INTO ix SELECT g, 'v' || g FROM generate_series(1, 300) g",
	)
	c, _ := serve(t, eng)
	keys := &trinothrift.TrinoThriftPageResult_{ColumnBlocks: []*trinothrift.TrinoThriftBlock{bigintBlock(5, 150, nil, 7, 1000)}, RowCount: 5}
	var got [][]any
	tok := &trinothrift.TrinoThriftNullableToken{}
	nsplits := 0
	for {
		b, err := c.TrinoGetIndexSplits(ctx, public("ix"), []string{"id"}, []string{"id", "v"}, keys, all(), 1, tok)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range b.Splits {
			nsplits++
			r, _ := readSplit(t, c, s.SplitId, []string{"id", "v"}, []string{"bigint", "varchar"}, 0)
			got = append(got, r...)
		}
		if b.NextToken == nil {
			break
		}
		tok = &trinothrift.TrinoThriftNullableToken{Token: b.NextToken}
	}
	sortRows(got)
	if want := [][]any{{int64(5), "v5"}, {int64(7), "v7"}, {int64(150), "v150"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("index lookup rows %v, want %v", got, want)
	}
	if nsplits != 3 {
		t.Errorf("%d index splits, want 3 (keys in three leaves)", nsplits)
	}
	_, err := c.TrinoGetIndexSplits(ctx, public("ix"), []string{"v"}, []string{"id"}, keys, all(), 10, &trinothrift.TrinoThriftNullableToken{})
	expectServiceError(t, err, "not a prefix of the row keys")
}

func expectServiceError(t *testing.T, err error, contains string) {
	t.Helper()
	var se *trinothrift.TrinoThriftServiceException
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T), want a TrinoThriftServiceException", err, err)
	}
	if !strings.Contains(se.Message, contains) {
		t.Errorf("error %q, want it to mention %q", se.Message, contains)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	eng := openEngine(t, objstore.NewMem())
	run(t, eng,
		"CREATE TABLE e (id bigint, v text) WITH (row_keys = 'id')",
		"INSERT INTO e VALUES (1, 'a'), (2, 'b')",
	)
	c, _ := serve(t, eng)
	none := &trinothrift.TrinoThriftNullableToken{}
	cols := &trinothrift.TrinoThriftNullableColumnSet{}
	_, err := c.TrinoGetSplits(ctx, public("nope"), cols, all(), 10, none)
	expectServiceError(t, err, "nope")
	_, err = c.TrinoGetSplits(ctx, &trinothrift.TrinoThriftSchemaTableName{SchemaName: "x", TableName: "e"}, cols, all(), 10, none)
	expectServiceError(t, err, "schema")
	_, err = c.TrinoGetSplits(ctx, public("e"), cols, all(), 0, none)
	expectServiceError(t, err, "maxSplitCount")
	_, err = c.TrinoGetSplits(ctx, public("e"), cols, all(), 10, &trinothrift.TrinoThriftNullableToken{Token: &trinothrift.TrinoThriftId{ID: []byte("junk")}})
	expectServiceError(t, err, "token")
	_, err = c.TrinoGetRows(ctx, &trinothrift.TrinoThriftId{ID: []byte("Ljunk")}, []string{"id"}, 1000, none)
	expectServiceError(t, err, "not a split")
	s := splits(t, c, "e", all(), 10)[0]
	_, err = c.TrinoGetRows(ctx, s.SplitId, []string{"id", "missing"}, 1000, none)
	expectServiceError(t, err, "missing")
	_, err = c.TrinoGetRows(ctx, s.SplitId, []string{"id"}, 1000, &trinothrift.TrinoThriftNullableToken{Token: &trinothrift.TrinoThriftId{ID: []byte("R1234")}})
	expectServiceError(t, err, "token")
	// A token of other columns is refused rather than misread.
	p, err := c.TrinoGetRows(ctx, s.SplitId, []string{"id"}, 1, none)
	if err != nil || p.NextToken == nil {
		t.Fatalf("first page of one row: %v, %v", p, err)
	}
	_, err = c.TrinoGetRows(ctx, s.SplitId, []string{"v"}, 1, &trinothrift.TrinoThriftNullableToken{Token: p.NextToken})
	expectServiceError(t, err, "token")
	// A dropped and re-created table's old splits fail.
	run(t, eng, "DROP TABLE e", "CREATE TABLE e (id bigint, v text) WITH (row_keys = 'id')")
	_, err = c.TrinoGetRows(ctx, s.SplitId, []string{"id"}, 1000, none)
	expectServiceError(t, err, "dropped and created again")
	// The connection survives errors.
	if _, err := c.TrinoListSchemaNames(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSystemTables(t *testing.T) {
	ctx := context.Background()
	eng := openEngine(t, objstore.NewMem())
	run(t, eng, "CREATE TABLE s1 (id bigint) WITH (row_keys = 'id')")
	c, _ := serve(t, eng)
	md, err := c.TrinoGetTableMetadata(ctx, &trinothrift.TrinoThriftSchemaTableName{SchemaName: "sleeper", TableName: "partitions"})
	if err != nil {
		t.Fatal(err)
	}
	var cols, types []string
	for _, col := range md.TableMetadata.Columns {
		cols, types = append(cols, col.Name), append(types, col.Type)
	}
	b, err := c.TrinoGetSplits(ctx, md.TableMetadata.SchemaTableName, &trinothrift.TrinoThriftNullableColumnSet{}, all(), 10, &trinothrift.TrinoThriftNullableToken{})
	if err != nil || len(b.Splits) != 1 || b.NextToken != nil {
		t.Fatalf("system table splits %v, %v", b, err)
	}
	rows, _ := readSplit(t, c, b.Splits[0].SplitId, cols, types, 0)
	if len(rows) != 1 || !slices.Contains(rows[0], any("s1")) {
		t.Errorf("sleeper.partitions rows %v", rows)
	}
}

// TestArrayColumns reads array columns of a table: integer arrays as array(bigint), other
// arrays as PostgreSQL's text of them; NULL arrays, empty arrays and NULL elements kept.
func TestArrayColumns(t *testing.T) {
	ctx := context.Background()
	eng := openEngine(t, objstore.NewMem())
	run(t, eng,
		`CREATE TABLE ar (k integer, i4 integer[], i8 bigint[], s text[], d date[]) WITH (row_keys = 'k')`,
		`INSERT INTO ar VALUES (1, '{1,NULL,3}', '{-9223372036854775808}', '{a,"b c",NULL}', '{2024-02-29}'),
			(2, NULL, NULL, NULL, NULL), (3, '{}', '{}', '{}', '{}')`,
	)
	c, _ := serve(t, eng)
	cols, types := tableColumns(ctx, t, c, "ar")
	if want := []string{"integer", "array(bigint)", "array(bigint)", "varchar", "varchar"}; !reflect.DeepEqual(types, want) {
		t.Fatalf("types %v, want %v", types, want)
	}
	rows := readTable(t, c, "ar", all(), cols, types)
	sortRows(rows)
	want := [][]any{
		{int32(1), []any{int64(1), nil, int64(3)}, []any{int64(-9223372036854775808)}, `{a,"b c",NULL}`, "{2024-02-29}"},
		{int32(2), nil, nil, nil, nil},
		{int32(3), []any{}, []any{}, "{}", "{}"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows\n%v\nwant\n%v", rows, want)
	}
}
