package trino

import (
	"context"
	"errors"
	"io"
	"net"
	"sort"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/thrift/lib/go/thrift"

	"github.com/sleeperd/sleeperd/connectors/trino/trinothrift"
	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// openEngine opens an engine over store with a checked allocator; when the test ends it is
// closed and the allocator must hold nothing.
func openEngine(t testing.TB, store objstore.Store) *engine.Engine {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	eng, err := engine.Open(context.Background(), engine.Options{Store: store, Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		eng.Close()
		mem.AssertSize(t, 0)
	})
	return eng
}

// serve starts a server over eng on a free loopback port and returns a client of it; both
// are closed when the test ends (before the engine).
func serve(t testing.TB, eng *engine.Engine, advertise ...string) (*trinothrift.TrinoThriftServiceClient, string) {
	t.Helper()
	srv, err := NewServer(Config{Engine: eng, Advertise: advertise})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if err := <-done; !errors.Is(err, ErrClosed) {
			t.Errorf("serve: %v", err)
		}
	})
	return dial(t, ln.Addr().String()), ln.Addr().String()
}

// dial connects a client generated from the IDL: framed transport, strict binary protocol,
// as Trino's connector does.
func dial(t testing.TB, addr string) *trinothrift.TrinoThriftServiceClient {
	t.Helper()
	conf := &thrift.TConfiguration{MaxFrameSize: MaxFrame, TBinaryStrictRead: thrift.BoolPtr(true), TBinaryStrictWrite: thrift.BoolPtr(true)}
	sock := thrift.NewTSocketConf(addr, conf)
	trans := thrift.NewTFramedTransportConf(sock, conf)
	if err := trans.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { trans.Close() })
	pf := thrift.NewTBinaryProtocolFactoryConf(conf)
	return trinothrift.NewTrinoThriftServiceClientFactory(trans, pf)
}

// run executes statements through the engine API.
func run(t testing.TB, eng *engine.Engine, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	c, err := eng.Connect(ctx, "test", "test")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, s := range stmts {
		st, err := c.Prepare(ctx, s, nil)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		r, err := st.Execute(ctx, nil)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		for {
			b, err := r.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", s, err)
			}
			b.Release()
		}
		r.Close()
	}
}

func public(name string) *trinothrift.TrinoThriftSchemaTableName {
	return &trinothrift.TrinoThriftSchemaTableName{SchemaName: "public", TableName: name}
}

// all is the tuple domain that admits every row.
func all() *trinothrift.TrinoThriftTupleDomain {
	return &trinothrift.TrinoThriftTupleDomain{Domains: map[string]*trinothrift.TrinoThriftDomain{}}
}

// splits lists every split of a table, maxSplitCount at a time.
func splits(t testing.TB, c *trinothrift.TrinoThriftServiceClient, table string, td *trinothrift.TrinoThriftTupleDomain, maxSplitCount int32) []*trinothrift.TrinoThriftSplit {
	t.Helper()
	var out []*trinothrift.TrinoThriftSplit
	var tok *trinothrift.TrinoThriftNullableToken = &trinothrift.TrinoThriftNullableToken{}
	for {
		b, err := c.TrinoGetSplits(context.Background(), public(table), &trinothrift.TrinoThriftNullableColumnSet{}, td, maxSplitCount, tok)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Splits) > int(maxSplitCount) {
			t.Fatalf("%d splits in a batch of at most %d", len(b.Splits), maxSplitCount)
		}
		out = append(out, b.Splits...)
		if b.NextToken == nil {
			return out
		}
		tok = &trinothrift.TrinoThriftNullableToken{Token: b.NextToken}
	}
}

// readSplit reads every page of a split, validating each against types and checking its
// encoded size against maxBytes, and returns the rows as Go values and the page count.
func readSplit(t *testing.T, c *trinothrift.TrinoThriftServiceClient, split *trinothrift.TrinoThriftId, columns, types []string, maxBytes int64) (rows [][]any, pages int) {
	t.Helper()
	ctx := context.Background()
	tok := &trinothrift.TrinoThriftNullableToken{}
	ser := thrift.NewTSerializer()
	for {
		p, err := c.TrinoGetRows(ctx, split, columns, maxBytes, tok)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if err := ValidatePage(p, types); err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		if maxBytes > 0 && p.RowCount > 1 {
			enc, err := ser.Write(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(enc)) > maxBytes {
				t.Fatalf("page %d of %d rows is %d bytes, over maxBytes %d", pages, p.RowCount, len(enc), maxBytes)
			}
		}
		for r := 0; r < int(p.RowCount); r++ {
			row := make([]any, len(columns))
			for i, blk := range p.ColumnBlocks {
				row[i] = cell(blk, r)
			}
			rows = append(rows, row)
		}
		if p.NextToken == nil {
			return rows, pages
		}
		tok = &trinothrift.TrinoThriftNullableToken{Token: p.NextToken}
	}
}

// readTable reads every row of every split of a table.
func readTable(t *testing.T, c *trinothrift.TrinoThriftServiceClient, table string, td *trinothrift.TrinoThriftTupleDomain, columns, types []string) [][]any {
	t.Helper()
	var rows [][]any
	for _, s := range splits(t, c, table, td, 100) {
		r, _ := readSplit(t, c, s.SplitId, columns, types, 0)
		rows = append(rows, r...)
	}
	return rows
}

// cell decodes row r of a block as a Go value: int32, int64, float64, string, bool, nil, or
// []any of int64 for array(bigint). Dates are int32 days, timestamps int64 milliseconds.
func cell(b *trinothrift.TrinoThriftBlock, r int) any {
	null := func(n []bool) bool { return n != nil && n[r] }
	str := func(nulls []bool, sizes []int32, data []byte) any {
		if null(nulls) {
			return nil
		}
		off := 0
		for _, s := range sizes[:r] {
			off += int(s)
		}
		return string(data[off : off+int(sizes[r])])
	}
	switch {
	case b.IntegerData != nil:
		if null(b.IntegerData.Nulls) {
			return nil
		}
		return b.IntegerData.Ints[r]
	case b.BigintData != nil:
		if null(b.BigintData.Nulls) {
			return nil
		}
		return b.BigintData.Longs[r]
	case b.DoubleData != nil:
		if null(b.DoubleData.Nulls) {
			return nil
		}
		return b.DoubleData.Doubles[r]
	case b.BooleanData != nil:
		if null(b.BooleanData.Nulls) {
			return nil
		}
		return b.BooleanData.Booleans[r]
	case b.DateData != nil:
		if null(b.DateData.Nulls) {
			return nil
		}
		return b.DateData.Dates[r]
	case b.TimestampData != nil:
		if null(b.TimestampData.Nulls) {
			return nil
		}
		return b.TimestampData.Timestamps[r]
	case b.VarcharData != nil:
		return str(b.VarcharData.Nulls, b.VarcharData.Sizes, b.VarcharData.Bytes)
	case b.JsonData != nil:
		return str(b.JsonData.Nulls, b.JsonData.Sizes, b.JsonData.Bytes)
	case b.BigintArrayData != nil:
		d := b.BigintArrayData
		if null(d.Nulls) {
			return nil
		}
		off := 0
		for _, s := range d.Sizes[:r] {
			off += int(s)
		}
		out := []any{}
		for j := off; j < off+int(d.Sizes[r]); j++ {
			if d.Values.Nulls != nil && d.Values.Nulls[j] {
				out = append(out, nil)
			} else {
				out = append(out, d.Values.Longs[j])
			}
		}
		return out
	}
	return "?"
}

// sortRows orders rows by their first column (an int64 or int32 key).
func sortRows(rows [][]any) {
	key := func(v any) int64 {
		switch x := v.(type) {
		case int32:
			return int64(x)
		case int64:
			return x
		}
		return 0
	}
	sort.Slice(rows, func(i, j int) bool { return key(rows[i][0]) < key(rows[j][0]) })
}

// bigintBlock is a block of bigint values (nil for NULL).
func bigintBlock(vals ...any) *trinothrift.TrinoThriftBlock {
	d := &trinothrift.TrinoThriftBigint{Longs: make([]int64, len(vals)), Nulls: make([]bool, len(vals))}
	for i, v := range vals {
		if v == nil {
			d.Nulls[i] = true
		} else {
			d.Longs[i] = int64(v.(int))
		}
	}
	return &trinothrift.TrinoThriftBlock{BigintData: d}
}

func marker(v *trinothrift.TrinoThriftBlock, b trinothrift.TrinoThriftBound) *trinothrift.TrinoThriftMarker {
	return &trinothrift.TrinoThriftMarker{Value: v, Bound: b}
}

// rangeDomain is the domain of values in [lo, hi] (nil: unbounded).
func rangeDomain(lo, hi any) *trinothrift.TrinoThriftDomain {
	low := marker(nil, trinothrift.TrinoThriftBound_ABOVE)
	if lo != nil {
		low = marker(bigintBlock(lo), trinothrift.TrinoThriftBound_EXACTLY)
	}
	high := marker(nil, trinothrift.TrinoThriftBound_BELOW)
	if hi != nil {
		high = marker(bigintBlock(hi), trinothrift.TrinoThriftBound_EXACTLY)
	}
	return &trinothrift.TrinoThriftDomain{ValueSet: &trinothrift.TrinoThriftValueSet{
		RangeValueSet: &trinothrift.TrinoThriftRangeValueSet{Ranges: []*trinothrift.TrinoThriftRange{{Low: low, High: high}}},
	}}
}

// tableColumns returns the names and Trino types of the columns of public.table, as the
// connector's metadata gives them.
func tableColumns(ctx context.Context, t *testing.T, c *trinothrift.TrinoThriftServiceClient, table string) (cols, types []string) {
	t.Helper()
	md, err := c.TrinoGetTableMetadata(ctx, public(table))
	if err != nil {
		t.Fatal(err)
	}
	for _, col := range md.TableMetadata.Columns {
		cols = append(cols, col.Name)
		types = append(types, col.Type)
	}
	return cols, types
}
