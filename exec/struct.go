package exec

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// A SQL composite value (a record) is an Arrow struct, one child per field; a map column
// (from Parquet files of other writers) is an Arrow map. The kernels here move, encode and
// compare them; fields, keys and values use the kernels of their types.

// structField returns field k of row-aligned struct array s (children sliced as s is).
func structField(s *array.Struct, k int) arrow.Array { return s.Field(k) }

// makeStruct assembles a struct array of type t from a validity bitmap (may be nil, owned)
// and the children (retained).
func makeStruct(t arrow.DataType, n int, validity *memory.Buffer, children []arrow.Array) arrow.Array {
	nulls := 0
	if validity != nil {
		nulls = n - bitutil.CountSetBits(validity.Bytes(), 0, n)
	}
	cd := make([]arrow.ArrayData, len(children))
	for i, c := range children {
		cd[i] = c.Data()
	}
	data := array.NewData(t, n, []*memory.Buffer{validity}, cd, nulls, 0)
	if validity != nil {
		validity.Release()
	}
	defer data.Release()
	return array.MakeFromData(data)
}

// takeStruct is take for structs: each field taken by the same rows.
func takeStruct(mem memory.Allocator, a arrow.Array, idx []int32, validity *memory.Buffer) arrow.Array {
	s := a.(*array.Struct)
	kids := make([]arrow.Array, s.NumField())
	for k := range kids {
		kids[k] = take(mem, structField(s, k), idx)
	}
	defer releaseAll(kids)
	return makeStruct(a.DataType(), len(idx), validity, kids)
}

// scatterStruct is scatter for structs: each field scattered from the parts' fields.
func scatterStruct(mem memory.Allocator, t arrow.DataType, n int, parts []part, validity *memory.Buffer) arrow.Array {
	st := t.(*arrow.StructType)
	kids := make([]arrow.Array, st.NumFields())
	for k := range kids {
		ps := make([]part, len(parts))
		for i, p := range parts {
			ps[i] = part{rows: p.rows, arr: structField(p.arr.(*array.Struct), k)}
		}
		kids[k] = scatter(mem, st.Field(k).Type, n, ps)
	}
	defer releaseAll(kids)
	return makeStruct(t, n, validity, kids)
}

// structEncoder encodes a record as its fields' encodings (which mark NULL fields), so
// records equal field by field, NULL fields included, encode alike: PostgreSQL groups
// records with record_eq, where NULL fields equal each other.
func structEncoder(a arrow.Array) rowEncoder {
	s := a.(*array.Struct)
	encs := make([]rowEncoder, s.NumField())
	for k := range encs {
		encs[k] = encoder(structField(s, k))
	}
	return func(dst []byte, i int) []byte {
		for _, e := range encs {
			dst = e(dst, i)
		}
		return dst
	}
}

// mapEncoder encodes a map as its entry count and its entries' keys and values.
func mapEncoder(a arrow.Array) rowEncoder {
	m := a.(*array.Map)
	ke, ve := encoder(m.Keys()), encoder(m.Items())
	return func(dst []byte, i int) []byte {
		s, e := listSpan(m, i)
		dst = binary.AppendUvarint(dst, uint64(e-s))
		for k := s; k < e; k++ {
			dst = ke(dst, k)
			dst = ve(dst, k)
		}
		return dst
	}
}

// structAppender appends records of a to the struct builder b.
func structAppender(a arrow.Array, b array.Builder) rowAppender {
	s, sb := a.(*array.Struct), b.(*array.StructBuilder)
	apps := make([]rowAppender, s.NumField())
	for k := range apps {
		apps[k] = appender(structField(s, k), sb.FieldBuilder(k))
	}
	return func(i int) {
		sb.Append(true)
		for _, app := range apps {
			app(i)
		}
	}
}

// mapAppender appends maps of a to the map builder b.
func mapAppender(a arrow.Array, b array.Builder) rowAppender {
	m, mb := a.(*array.Map), b.(*array.MapBuilder)
	ka, va := appender(m.Keys(), mb.KeyBuilder()), appender(m.Items(), mb.ItemBuilder())
	return func(i int) {
		mb.Append(true)
		s, e := listSpan(m, i)
		for k := s; k < e; k++ {
			ka(k)
			va(k)
		}
	}
}

// structComparer orders records as PostgreSQL's record_cmp does: field by field, a NULL field
// above every value and equal to another NULL.
func structComparer(a, b arrow.Array) rowComparer {
	x, y := a.(*array.Struct), b.(*array.Struct)
	n := min(x.NumField(), y.NumField())
	cs := make([]rowComparer, n)
	xs, ys := make([]arrow.Array, n), make([]arrow.Array, n)
	for k := range n {
		xs[k], ys[k] = structField(x, k), structField(y, k)
		cs[k] = comparer(xs[k], ys[k])
	}
	return func(i, j int) int {
		for k, c := range cs {
			xn, yn := xs[k].IsNull(i), ys[k].IsNull(j)
			switch {
			case xn && yn:
			case xn:
				return 1
			case yn:
				return -1
			default:
				if r := c(i, j); r != 0 {
					return r
				}
			}
		}
		return 0
	}
}

// structValue is row i of a struct array as a Go []any of its fields.
func structValue(s *array.Struct, i int) []any {
	out := make([]any, s.NumField())
	for k := range out {
		out[k] = valueAt(structField(s, k), i)
	}
	return out
}

// appendStruct appends a Go []any record to b.
func appendStruct(b *array.StructBuilder, v []any) {
	b.Append(true)
	for k, x := range v {
		fb := b.FieldBuilder(k)
		if x == nil {
			fb.AppendNull()
			continue
		}
		appendValue(fb, x)
	}
}

// supportedNested reports whether t is a struct or map the kernels handle.
func supportedNested(t arrow.DataType) bool {
	switch t := t.(type) {
	case *arrow.StructType:
		if t.NumFields() == 0 {
			return false
		}
		for _, f := range t.Fields() {
			if !supported(f.Type) {
				return false
			}
		}
		return true
	case *arrow.MapType:
		return supported(t.KeyType()) && supported(t.ItemType()) && t.KeyType().ID() != arrow.STRUCT
	}
	return false
}

// RecordField is (r).f: field k of the record r, NULL where r is NULL.
type RecordField struct {
	rec Expr
	k   int
	typ arrow.DataType
}

var _ Expr = (*RecordField)(nil)

// newRecordField binds record_field(r, k), k a constant field index.
func newRecordField(args []Expr) (Expr, error) {
	if len(args) != 2 {
		return nil, typeErr("record_field takes a record and a field index")
	}
	st, ok := args[0].DataType().(*arrow.StructType)
	l, isLit := args[1].(*Literal)
	if !ok || !isLit {
		return nil, typeErr("record_field of %s", args[0].DataType())
	}
	k, ok := l.Value().(int32)
	if !ok || int(k) < 0 || int(k) >= st.NumFields() {
		return nil, typeErr("record_field index %v of %s", l.Value(), st)
	}
	return &RecordField{rec: args[0], k: int(k), typ: st.Field(int(k)).Type}, nil
}

func (f *RecordField) DataType() arrow.DataType { return f.typ }

func (f *RecordField) String() string {
	return "(" + f.rec.String() + ")." + f.rec.DataType().(*arrow.StructType).Field(f.k).Name
}

func (f *RecordField) Eval(ctx context.Context, batch arrow.RecordBatch) (arrow.Array, error) {
	mem := Allocator(ctx)
	r, err := f.rec.Eval(ctx, batch)
	if err != nil {
		return nil, err
	}
	defer r.Release()
	s := r.(*array.Struct)
	child := structField(s, f.k)
	n := s.Len()
	idx := make([]int32, n)
	for i := range idx {
		idx[i] = int32(i)
	}
	out := take(mem, child, idx)
	if s.NullN() == 0 {
		return out, nil
	}
	// Arrow leaves a NULL record's fields unspecified: they are NULL here.
	defer out.Release()
	valid := newBitmap(mem, n, false)
	vb := valid.Bytes()
	for i := range n {
		if s.IsValid(i) && out.IsValid(i) {
			bitutil.SetBit(vb, i)
		}
	}
	d := out.Data()
	bufs := append([]*memory.Buffer{valid}, d.Buffers()[1:]...)
	nd := array.NewData(d.DataType(), n, bufs, d.Children(), n-bitutil.CountSetBits(vb, 0, n), 0)
	valid.Release()
	defer nd.Release()
	return array.MakeFromData(nd), nil
}

// RowExpr is ROW(a, b, ...): a record per row of the arguments' values (never NULL itself).
type RowExpr struct {
	args []Expr
	typ  *arrow.StructType
}

var _ Expr = (*RowExpr)(nil)

func newRowExpr(args []Expr) (Expr, error) {
	if len(args) == 0 {
		return nil, typeErr("ROW of no fields")
	}
	fields := make([]arrow.Field, len(args))
	for i, a := range args {
		if !supported(a.DataType()) {
			return nil, typeErr("ROW field of type %s", a.DataType())
		}
		fields[i] = arrow.Field{Name: fmt.Sprintf("f%d", i+1), Type: a.DataType(), Nullable: true}
	}
	return &RowExpr{args: append([]Expr(nil), args...), typ: arrow.StructOf(fields...)}, nil
}

func (r *RowExpr) DataType() arrow.DataType { return r.typ }

func (r *RowExpr) String() string { return "ROW(" + joinExprs(r.args) + ")" }

func (r *RowExpr) Eval(ctx context.Context, batch arrow.RecordBatch) (arrow.Array, error) {
	vals, err := evalAll(ctx, r.args, batch)
	if err != nil {
		return nil, err
	}
	defer releaseAll(vals)
	n := int(batch.NumRows())
	for i, v := range vals {
		if v.Data().Offset() != 0 {
			// Children of a struct share its offset: copy a sliced field to offset 0.
			c, err := array.Concatenate([]arrow.Array{v}, Allocator(ctx))
			if err != nil {
				return nil, err
			}
			v.Release()
			vals[i] = c
		}
	}
	return makeStruct(r.typ, n, nil, vals), nil
}

// checkRecordValue checks that v is a []any of Go values of the fields of record type t and
// returns a copy.
func checkRecordValue(v any, t arrow.DataType) ([]any, error) {
	st := t.(*arrow.StructType)
	r, ok := v.([]any)
	if !ok || len(r) != st.NumFields() {
		return nil, typeErr("literal %v (%T) is not a value of type %s", v, v, t)
	}
	out := make([]any, len(r))
	for i, x := range r {
		if x == nil {
			continue
		}
		lit, err := NewLiteral(x, st.Field(i).Type)
		if err != nil {
			return nil, fmt.Errorf("record field %d: %w", i+1, err)
		}
		out[i] = lit.v
	}
	return out, nil
}

// recordLiteralString is a record constant as SQL: ROW(1, 'x', NULL).
func recordLiteralString(v []any, t *arrow.StructType) string {
	fields := make([]Expr, len(v))
	for i, x := range v {
		fields[i] = &Literal{v: x, typ: t.Field(i).Type}
	}
	return "ROW(" + joinExprs(fields) + ")"
}

// recordRetype is a record given the field names of another record type of the same field
// types (the type of args[1], a typed NULL), for comparing the two.
type recordRetype struct {
	rec Expr
	typ arrow.DataType
}

func newRecordRetype(args []Expr) (Expr, error) {
	if len(args) != 2 {
		return nil, typeErr("record_retype takes a record and a type")
	}
	from, ok1 := args[0].DataType().(*arrow.StructType)
	to, ok2 := args[1].DataType().(*arrow.StructType)
	if !ok1 || !ok2 || from.NumFields() != to.NumFields() {
		return nil, typeErr("record_retype of %s to %s", args[0].DataType(), args[1].DataType())
	}
	for i := range from.NumFields() {
		if !arrow.TypeEqual(from.Field(i).Type, to.Field(i).Type) {
			return nil, typeErr("record_retype of %s to %s", from, to)
		}
	}
	return &recordRetype{rec: args[0], typ: to}, nil
}

func (r *recordRetype) DataType() arrow.DataType { return r.typ }

func (r *recordRetype) String() string { return r.rec.String() }

func (r *recordRetype) Eval(ctx context.Context, batch arrow.RecordBatch) (arrow.Array, error) {
	a, err := r.rec.Eval(ctx, batch)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	d := a.Data()
	nd := array.NewData(r.typ, d.Len(), d.Buffers(), d.Children(), d.NullN(), d.Offset())
	defer nd.Release()
	return array.MakeFromData(nd), nil
}
