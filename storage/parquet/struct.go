package parquet

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// Struct and map columns have more than one leaf. A struct is a Parquet group with one field
// per Arrow field, nested structs as nested groups, so each flat field is a leaf of its own:
//
//	<optional|required> group name {
//	  <optional|required> f1;
//	  <optional|required> group f2 { <optional|required> g1; ... }
//	}
//
// A row has one entry in every leaf. Its definition level counts the optional nodes on the
// leaf's path that are present: a NULL record is an entry below the record's own level, a NULL
// field one below the leaf's maximum, and a value one at the maximum. A map is the standard
// MAP group:
//
//	<optional|required> group name (MAP) {
//	  repeated group key_value {
//	    required key;
//	    <optional|required> value;
//	  }
//	}
//
// whose two leaves hold one entry per pair (repetition level 0 for a row's first pair, 1 for
// the others), or one level-only entry for a NULL map (below the map's level) or an empty one
// (at it). Column i of the Arrow schema is the group of leaves starting at leaf column.leaf.
// Nested columns keep no statistics and no page index use: their rows are skipped by
// walking the levels.
type nestedCol struct {
	isMap bool
	// general says the column is shredded by the general scheme of dremel.go: lists and maps
	// below structs, lists of nested types, maps of nested keys or values.
	general bool
	leaves  []column   // the flat leaves, in file order
	maxDef  []byte     // per leaf: the definition level of a value
	paths   [][]string // per leaf: its path in the file's schema
}

// isNestedGroup reports whether the top-level Parquet column c is a struct or a map (rather
// than a flat leaf or a list).
func isNestedGroup(c *pq.Column) bool {
	if c.Leaf() {
		return false
	}
	if isMapGroup(c) {
		return true
	}
	if isListGroup(c) {
		// A list of one flat element type is read as a list column of one leaf.
		_, err := leafOf(c)
		return err != nil && nestedList(c)
	}
	return true
}

// nestedList reports whether the LIST group c is in the standard three-level layout with an
// element of a nested type (a group).
func nestedList(c *pq.Column) bool {
	kids := c.Columns()
	if len(kids) != 1 || kids[0].Leaf() || len(kids[0].Columns()) != 1 {
		return false
	}
	return !kids[0].Columns()[0].Leaf()
}

// isMapGroup reports whether c is a MAP group (or the MAP_KEY_VALUE of older writers).
func isMapGroup(c *pq.Column) bool {
	if c.Leaf() {
		return false
	}
	if lt := c.Type().LogicalType(); lt != nil {
		if _, ok := lt.Value.(*format.MapType); ok {
			return true
		}
	}
	if ct := c.Type().ConvertedType(); ct != nil && (*ct == deprecated.Map || *ct == deprecated.MapKeyValue) {
		return true
	}
	return false
}

// isListGroup reports whether c is a LIST group.
func isListGroup(c *pq.Column) bool {
	if lt := c.Type().LogicalType(); lt != nil {
		if _, ok := lt.Value.(*format.ListType); ok {
			return true
		}
	}
	ct := c.Type().ConvertedType()
	return ct != nil && *ct == deprecated.List
}

func forLeaves(c *pq.Column, do func(*pq.Column)) {
	if c.Leaf() {
		do(c)
		return
	}
	for _, k := range c.Columns() {
		forLeaves(k, do)
	}
}

// addColumn records the top-level Parquet column c of an opened file: its leaf, or for a
// struct or map, its leaves.
func (f *File) addColumn(c *pq.Column) error {
	f.first = append(f.first, f.nleaves)
	if isNestedGroup(c) {
		var ls []*pq.Column
		forLeaves(c, func(l *pq.Column) { ls = append(ls, l) })
		f.leaves = append(f.leaves, ls[0])
		f.tops = append(f.tops, c)
		f.nestedLeaves = append(f.nestedLeaves, ls)
		f.nleaves += len(ls)
		return nil
	}
	leaf, err := leafOf(c)
	if err != nil {
		return err
	}
	f.leaves = append(f.leaves, leaf)
	f.tops = append(f.tops, c)
	f.nestedLeaves = append(f.nestedLeaves, nil)
	f.nleaves++
	return nil
}

// nestedArrowType maps a struct, LIST or MAP group of a file without an ARROW:schema key.
func nestedArrowType(c *pq.Column) (arrow.DataType, error) {
	if isListGroup(c) {
		if !nestedList(c) {
			leaf := c.Columns()[0]
			if !leaf.Leaf() {
				leaf = leaf.Columns()[0]
			}
			if !leaf.Leaf() {
				return nil, fmt.Errorf("%w: list column %q", ErrUnsupportedType, c.Name())
			}
			t, err := arrowTypeOf(leaf)
			if err != nil {
				return nil, err
			}
			return arrow.ListOfField(arrow.Field{Name: "element", Type: t, Nullable: leaf.Optional()}), nil
		}
		el := c.Columns()[0].Columns()[0]
		t, err := nestedArrowType(el)
		if err != nil {
			return nil, err
		}
		return arrow.ListOfField(arrow.Field{Name: "element", Type: t, Nullable: el.Optional()}), nil
	}
	if isMapGroup(c) {
		if kids := c.Columns(); len(kids) == 1 && len(kids[0].Columns()) == 2 && (!kids[0].Columns()[0].Leaf() || !kids[0].Columns()[1].Leaf()) {
			k, v := kids[0].Columns()[0], kids[0].Columns()[1]
			kt, err := nodeArrowType(k)
			if err != nil {
				return nil, err
			}
			vt, err := nodeArrowType(v)
			if err != nil {
				return nil, err
			}
			mt := arrow.MapOf(kt, vt)
			mt.SetItemNullable(v.Optional())
			return mt, nil
		}
		kids := c.Columns()
		if len(kids) != 1 || kids[0].Leaf() || len(kids[0].Columns()) != 2 {
			return nil, fmt.Errorf("%w: map column %q without a key and a value", ErrUnsupportedType, c.Name())
		}
		k, v := kids[0].Columns()[0], kids[0].Columns()[1]
		if !k.Leaf() || !v.Leaf() {
			return nil, fmt.Errorf("%w: map column %q of nested keys or values", ErrUnsupportedType, c.Name())
		}
		kt, err := arrowTypeOf(k)
		if err != nil {
			return nil, err
		}
		vt, err := arrowTypeOf(v)
		if err != nil {
			return nil, err
		}
		mt := arrow.MapOf(kt, vt)
		mt.SetItemNullable(v.Optional())
		return mt, nil
	}
	var fields []arrow.Field
	for _, k := range c.Columns() {
		var (
			t   arrow.DataType
			err error
		)
		if k.Leaf() && k.MaxRepetitionLevel() == c.MaxRepetitionLevel() {
			t, err = arrowTypeOf(k)
		} else if !k.Leaf() {
			t, err = nestedArrowType(k)
		} else {
			err = fmt.Errorf("%w: repeated field %q of struct column %q outside a LIST group", ErrUnsupportedType, k.Name(), c.Name())
		}
		if err != nil {
			return nil, err
		}
		fields = append(fields, arrow.Field{Name: k.Name(), Type: t, Nullable: k.Optional()})
	}
	return arrow.StructOf(fields...), nil
}

// nestedSpec walks the Arrow field f of a struct, map or list column, calling leaf for each
// flat leaf with its field, path and definition level, and returns the Parquet node of the
// column (without its own repetition) built from the leaf nodes leaf returns, and whether the
// column is a map of flat keys and values.
func nestedSpec(f arrow.Field, leaf func(arrow.Field, []string, byte) (pq.Node, error)) (pq.Node, bool, error) {
	def := byte(0)
	if f.Nullable {
		def = 1
	}
	n, err := nodeSpec(f, []string{f.Name}, def, leaf)
	_, isMap := f.Type.(*arrow.MapType)
	return n, isMap && !needsGeneral(f.Type), err
}

func structSpec(t *arrow.StructType, path []string, def byte, leaf func(arrow.Field, []string, byte) (pq.Node, error)) (pq.Node, error) {
	if t.NumFields() == 0 {
		return nil, fmt.Errorf("%w: column %q: struct of no fields", ErrUnsupportedType, path[0])
	}
	g := make(group, t.NumFields())
	seen := make(map[string]bool, t.NumFields())
	for i, cf := range t.Fields() {
		if seen[cf.Name] {
			return nil, fmt.Errorf("%w: column %q: duplicate field name %q", ErrUnsupportedType, path[0], cf.Name)
		}
		seen[cf.Name] = true
		d := def
		if cf.Nullable {
			d++
		}
		p := append(append([]string(nil), path...), cf.Name)
		var (
			n   pq.Node
			err error
		)
		n, err = nodeSpec(cf, p, d, leaf)
		if err != nil {
			return nil, err
		}
		if cf.Nullable {
			n = pq.Optional(n)
		} else {
			n = pq.Required(n)
		}
		g[i] = namedNode{Node: n, name: cf.Name}
	}
	return g, nil
}

func isNestedType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.STRUCT, arrow.MAP, arrow.LIST, arrow.LARGE_LIST, arrow.FIXED_SIZE_LIST, arrow.LIST_VIEW, arrow.LARGE_LIST_VIEW:
		return true
	}
	return false
}

// nestedColumnOf maps a struct or map field to its column and Parquet node.
func nestedColumnOf(f arrow.Field, props Properties, codec compress.Codec) (column, pq.Node, error) {
	nc := &nestedCol{}
	n, isMap, err := nestedSpec(f, func(lf arrow.Field, path []string, def byte) (pq.Node, error) {
		c, n, err := columnOf(lf)
		if err != nil {
			return nil, err
		}
		n = leafEncoding(n, c, props, codec)
		c.dict = props.Dictionary && c.kind != pq.Boolean
		nc.leaves = append(nc.leaves, c)
		nc.maxDef = append(nc.maxDef, def)
		nc.paths = append(nc.paths, path)
		return n, nil
	})
	if err != nil {
		return column{}, nil, err
	}
	nc.isMap = isMap
	nc.general = needsGeneral(f.Type)
	if f.Nullable {
		n = pq.Optional(n)
	} else {
		n = pq.Required(n)
	}
	return column{field: f, nested: nc}, n, nil
}

// nestedColOfFile maps the Arrow field f to the leaves of a file's struct or map column,
// failing when they do not match.
func nestedColOfFile(f arrow.Field, top *pq.Column, leaves []*pq.Column) (*nestedCol, error) {
	if top.Optional() && !f.Nullable {
		return nil, fmt.Errorf("%w: column %q is optional in the file", ErrUnsupportedType, f.Name)
	}
	nc := &nestedCol{}
	_, isMap, err := nestedSpec(f, func(lf arrow.Field, path []string, def byte) (pq.Node, error) {
		k := len(nc.leaves)
		if k >= len(leaves) {
			return nil, fmt.Errorf("%w: column %q has more fields than the file", ErrUnsupportedType, f.Name)
		}
		l := leaves[k]
		if inStruct := len(path) < 2 || path[len(path)-2] != "list" && path[len(path)-2] != "key_value"; inStruct && !isMapGroup(top) && l.Name() != lf.Name {
			return nil, fmt.Errorf("%w: column %q: field %q is %q in the file", ErrUnsupportedType, f.Name, lf.Name, l.Name())
		}
		if !compatible(lf.Type, l.Type().Kind(), l.Type().Length()) || l.Optional() && !lf.Nullable {
			return nil, fmt.Errorf("%w: column %q: field %q is %s in the file", ErrUnsupportedType, f.Name, lf.Name, l.Type())
		}
		c := column{field: lf, kind: l.Type().Kind(), size: l.Type().Length()}
		nc.leaves = append(nc.leaves, c)
		if needsGeneral(f.Type) && byte(l.MaxDefinitionLevel()) != def {
			return nil, fmt.Errorf("%w: column %q: field %q has other levels in the file", ErrUnsupportedType, f.Name, lf.Name)
		}
		nc.maxDef = append(nc.maxDef, byte(l.MaxDefinitionLevel()))
		nc.paths = append(nc.paths, path)
		return pq.Leaf(pq.BooleanType), nil // the node is not used
	})
	if err != nil {
		return nil, err
	}
	if len(nc.leaves) != len(leaves) || isMap != (isMapGroup(top) && !needsGeneral(f.Type)) {
		return nil, fmt.Errorf("%w: column %q does not match the file's column", ErrUnsupportedType, f.Name)
	}
	// A file's own levels are read as they are (a required key_value group of an older
	// writer still has the standard levels, since only optional and repeated nodes count).
	nc.general = needsGeneral(f.Type)
	if isMap {
		nc.isMap = true
		for _, l := range leaves {
			if l.MaxRepetitionLevel() != 1 {
				return nil, fmt.Errorf("%w: map column %q of nested levels", ErrUnsupportedType, f.Name)
			}
		}
	}
	return nc, nil
}

// write writes rows [from, to) of arr to column i, given the column writers of every leaf.
func (w *encoder) write(cws []*pq.ColumnWriter, i int, arr arrow.Array, from, to int) error {
	c := &w.cols[i]
	if c.nested == nil {
		return w.writeColumn(cws[c.leaf], i, arr, from, to)
	}
	cws = cws[c.leaf : c.leaf+len(c.nested.leaves)]
	if c.nested.general {
		return w.writeGeneral(cws, c, arr, from, to)
	}
	if c.nested.isMap {
		return w.writeMap(cws, c, arr, from, to)
	}
	a, ok := arr.(*array.Struct)
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnsupportedType, arr.DataType())
	}
	// chains[k] are the arrays on the path of leaf k: the column's, its nested structs' and
	// the leaf's, with whether each is nullable (and so counts a definition level).
	type node struct {
		a        arrow.Array
		nullable bool
	}
	var chains [][]node
	var walk func(a *array.Struct, prefix []node)
	walk = func(a *array.Struct, prefix []node) {
		st := a.DataType().(*arrow.StructType)
		for fi, cf := range st.Fields() {
			ch := append(append([]node(nil), prefix...), node{a.Field(fi), cf.Nullable})
			if s, ok := a.Field(fi).(*array.Struct); ok {
				walk(s, ch)
				continue
			}
			chains = append(chains, ch)
		}
	}
	walk(a, []node{{a, c.field.Nullable}})
	if len(chains) != len(cws) {
		return fmt.Errorf("%w: %d leaves for %d fields", ErrSchemaMismatch, len(cws), len(chains))
	}
	for k, ch := range chains {
		lc := &c.nested.leaves[k]
		leaf := unwrapExtension(ch[len(ch)-1].a)
		for lo := from; lo < to; lo += writeChunk {
			hi := min(lo+writeChunk, to)
			vals := w.values[:0]
			for j := lo; j < hi; j++ {
				def, null := 0, false
				for d, n := range ch {
					if !n.a.IsNull(j) {
						if n.nullable {
							def++
						}
						continue
					}
					if !n.nullable {
						if d == 0 {
							return fmt.Errorf("%w: NULL in non-nullable column %q", ErrSchemaMismatch, c.field.Name)
						}
						return fmt.Errorf("%w: NULL in non-nullable field of column %q", ErrSchemaMismatch, c.field.Name)
					}
					null = true
					break
				}
				if null {
					vals = append(vals, pq.NullValue().Level(0, def, c.leaf+k))
					continue
				}
				v, err := nestedLeafValue(leaf, j, lc)
				if err != nil {
					return err
				}
				vals = append(vals, v.Level(0, def, c.leaf+k))
			}
			if _, err := cws[k].WriteRowValues(vals); err != nil {
				return err
			}
			clear(vals)
			w.values = vals[:0]
		}
	}
	return nil
}

func unwrapExtension(a arrow.Array) arrow.Array {
	if e, ok := a.(array.ExtensionArray); ok {
		return e.Storage()
	}
	return a
}

// writeMap writes rows [from, to) of the map array arr to the key and value leaves.
func (w *encoder) writeMap(cws []*pq.ColumnWriter, c *column, arr arrow.Array, from, to int) error {
	a, ok := arr.(*array.Map)
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnsupportedType, arr.DataType())
	}
	nc := c.nested
	keys, items := unwrapExtension(a.Keys()), unwrapExtension(a.Items())
	entry := int(nc.maxDef[0]) // the definition level of a pair
	for lo := from; lo < to; lo += writeChunk {
		hi := min(lo+writeChunk, to)
		var kvals, vvals []pq.Value
		for j := lo; j < hi; j++ {
			b64, e64 := a.ValueOffsets(j)
			switch b, e := int(b64), int(e64); {
			case a.IsNull(j):
				kvals = append(kvals, pq.NullValue().Level(0, entry-2, c.leaf))
				vvals = append(vvals, pq.NullValue().Level(0, entry-2, c.leaf+1))
			case b == e:
				kvals = append(kvals, pq.NullValue().Level(0, entry-1, c.leaf))
				vvals = append(vvals, pq.NullValue().Level(0, entry-1, c.leaf+1))
			default:
				for k := b; k < e; k++ {
					rep := 1
					if k == b {
						rep = 0
					}
					if keys.IsNull(k) {
						return fmt.Errorf("%w: NULL map key in column %q", ErrSchemaMismatch, c.field.Name)
					}
					kv, err := nestedLeafValue(keys, k, &nc.leaves[0])
					if err != nil {
						return err
					}
					kvals = append(kvals, kv.Level(rep, entry, c.leaf))
					if items.IsNull(k) {
						vvals = append(vvals, pq.NullValue().Level(rep, entry, c.leaf+1))
						continue
					}
					vv, err := nestedLeafValue(items, k, &nc.leaves[1])
					if err != nil {
						return err
					}
					vvals = append(vvals, vv.Level(rep, int(nc.maxDef[1]), c.leaf+1))
				}
			}
		}
		if _, err := cws[0].WriteRowValues(kvals); err != nil {
			return err
		}
		if _, err := cws[1].WriteRowValues(vvals); err != nil {
			return err
		}
	}
	return nil
}

// nestedLeafValue is value k of the flat array a as the Parquet value of leaf c: the types of
// list elements and intervals.
func nestedLeafValue(a arrow.Array, k int, c *column) (pq.Value, error) {
	if iv, ok := a.(*array.MonthDayNanoInterval); ok {
		v := iv.Value(k)
		b := make([]byte, intervalBytes)
		binary.LittleEndian.PutUint32(b[0:], uint32(v.Months))
		binary.LittleEndian.PutUint32(b[4:], uint32(v.Days))
		binary.LittleEndian.PutUint64(b[8:], uint64(v.Nanoseconds))
		return pq.FixedLenByteArrayValue(b), nil
	}
	return leafValue(a, k, c)
}

// appendNestedLeaf appends the Parquet value v of leaf c to b.
func appendNestedLeaf(b array.Builder, v pq.Value, c *column) error {
	if ib, ok := b.(*array.MonthDayNanoIntervalBuilder); ok {
		bs := v.ByteArray()
		if len(bs) != intervalBytes {
			return fmt.Errorf("%w: interval of %d bytes", ErrCorrupt, len(bs))
		}
		ib.Append(arrow.MonthDayNanoInterval{
			Months:      int32(binary.LittleEndian.Uint32(bs[0:])),
			Days:        int32(binary.LittleEndian.Uint32(bs[4:])),
			Nanoseconds: int64(binary.LittleEndian.Uint64(bs[8:])),
		})
		return nil
	}
	return appendLeaf(b, v, c)
}

// nestedReader reads a struct or map column: one chunk reader of levelled values per leaf.
type nestedReader struct {
	col    *column
	leaves []*chunkReader
	// For the general assembly (readGeneral): the entries of each leaf and the copies of
	// their bytes, kept from one batch to the next.
	ents  [][]pq.Value
	arena byteArena
	// For the general columns read by levels (levels.go): the levels of each leaf.
	lreps, ldefs [][]byte
}

// openNested returns the reader of nested column col of row group g, from src (nil: the
// file's own reader), positioned at row lo.
func (f *File) openNested(src io.ReaderAt, g, col int, lo int64) (*chunkReader, error) {
	c := &f.cols[col]
	chunks := f.f.RowGroups()[g].ColumnChunks()
	nr := &nestedReader{col: c}
	cr := &chunkReader{col: c, nested: nr}
	for k := range c.nested.leaves {
		lc := &chunkReader{col: &c.nested.leaves[k]}
		fc, isFile := chunks[c.leaf+k].(*pq.FileColumnChunk)
		if src != nil && isFile {
			lc.pages = fc.PagesFrom(src)
		} else {
			lc.pages = chunks[c.leaf+k].Pages()
		}
		nr.leaves = append(nr.leaves, lc)
	}
	if lo > 0 {
		if err := nr.walk(int(lo), nil); err != nil {
			cr.close()
			return nil, err
		}
	}
	return cr, nil
}

func (r *nestedReader) close() {
	for _, l := range r.leaves {
		l.close()
	}
}

// next returns the next levelled value of leaf k, failing at the end of its chunk.
func (r *nestedReader) next(k int) (pq.Value, error) {
	v, ok, err := r.leaves[k].nextLevel()
	if err != nil {
		return v, err
	}
	if !ok {
		return v, fmt.Errorf("%w: column chunk ended early", ErrCorrupt)
	}
	return v, nil
}

// read decodes the next n rows.
func (r *nestedReader) read(n int, mem memory.Allocator) (arrow.Array, error) {
	if !r.col.nested.isMap && generalByLevels(r.col) {
		return r.readGeneralLevels(n, mem) // structs too
	}
	if r.col.nested.general {
		return r.readGeneral(n, mem)
	}
	if r.col.nested.isMap {
		if byLevels(r.col) {
			return r.readMapLevels(n, mem)
		}
		b := array.NewMapBuilderWithType(mem, r.col.field.Type.(*arrow.MapType))
		defer b.Release()
		if err := r.walkMap(n, b); err != nil {
			return nil, err
		}
		return b.NewArray(), nil
	}
	nc := r.col.nested
	leaves := make([]arrow.Array, len(nc.leaves))
	defs := make([][]byte, len(nc.leaves))
	defer func() {
		for _, a := range leaves {
			if a != nil {
				a.Release()
			}
		}
	}()
	for k := range nc.leaves {
		b := array.NewBuilder(mem, nc.leaves[k].field.Type)
		err := r.walkLeaf(k, n, b, &defs[k])
		if err == nil {
			leaves[k] = b.NewArray()
		}
		b.Release()
		if err != nil {
			return nil, err
		}
	}
	next := 0
	d, err := assembleStruct(r.col.field, 0, leaves, defs, &next, n, mem)
	if err != nil {
		return nil, err
	}
	defer d.Release()
	return array.MakeFromData(d), nil
}

// walk consumes n rows, appending map rows to mb when it is not nil.
func (r *nestedReader) walk(n int, mb *array.MapBuilder) error {
	if !r.col.nested.isMap && generalByLevels(r.col) {
		return r.skipGeneralLevels(n)
	}
	if r.col.nested.general {
		for k := range r.leaves {
			if _, err := r.gather(k, n, false, nil); err != nil {
				return err
			}
		}
		return nil
	}
	if r.col.nested.isMap {
		if mb == nil && byLevels(r.col) {
			return r.skipMapLevels(n)
		}
		return r.walkMap(n, mb)
	}
	for k := range r.leaves {
		if err := r.walkLeaf(k, n, nil, nil); err != nil {
			return err
		}
	}
	return nil
}

// walkLeaf consumes n rows of struct leaf k, appending them to b and their definition levels
// to defs when b is not nil.
func (r *nestedReader) walkLeaf(k, n int, b array.Builder, defs *[]byte) error {
	lc := &r.col.nested.leaves[k]
	maxDef := r.col.nested.maxDef[k]
	if b != nil {
		b = storageBuilder(b)
		*defs = make([]byte, 0, n)
	}
	for range n {
		v, err := r.next(k)
		if err != nil {
			return err
		}
		if v.RepetitionLevel() != 0 {
			return fmt.Errorf("%w: repeated values in a struct field", ErrCorrupt)
		}
		if b != nil {
			def := byte(v.DefinitionLevel())
			*defs = append(*defs, def)
			if def < maxDef {
				b.AppendNull()
			} else if err := appendNestedLeaf(b, v, lc); err != nil {
				return err
			}
		}
		r.leaves[k].lpos++
	}
	return nil
}

// assembleStruct builds the struct array of field f, whose nodes above are defined at
// definition level def, from its leaves (starting at leaves[*next]) and their levels.
func assembleStruct(f arrow.Field, def byte, leaves []arrow.Array, defs [][]byte, next *int, n int, mem memory.Allocator) (arrow.ArrayData, error) {
	st := f.Type.(*arrow.StructType)
	if f.Nullable {
		def++
	}
	first := *next
	children := make([]arrow.ArrayData, 0, st.NumFields())
	defer func() {
		for _, c := range children {
			c.Release()
		}
	}()
	for _, cf := range st.Fields() {
		if _, ok := cf.Type.(*arrow.StructType); ok {
			d, err := assembleStruct(cf, def, leaves, defs, next, n, mem)
			if err != nil {
				return nil, err
			}
			children = append(children, d)
			continue
		}
		d := leaves[*next].Data()
		d.Retain()
		children = append(children, d)
		*next++
	}
	var valid *memory.Buffer
	nulls := 0
	if f.Nullable {
		valid = memory.NewResizableBuffer(mem)
		valid.Resize(int(bitutil.BytesForBits(int64(n))))
		bs := valid.Bytes()
		clear(bs)
		for j, d := range defs[first] {
			if d >= def {
				bitutil.SetBit(bs, j)
			} else {
				nulls++
			}
		}
		defer valid.Release()
	}
	return array.NewData(st, n, []*memory.Buffer{valid}, children, nulls, 0), nil
}

// walkMap consumes n rows of a map column, appending them to b when it is not nil.
func (r *nestedReader) walkMap(n int, b *array.MapBuilder) error {
	nc := r.col.nested
	entry := nc.maxDef[0]
	var kb, ib array.Builder
	if b != nil {
		kb, ib = storageBuilder(b.KeyBuilder()), storageBuilder(b.ItemBuilder())
	}
	rows := 0
	for {
		kv, ok, err := r.leaves[0].nextLevel()
		if err != nil {
			return err
		}
		if !ok {
			if rows < n {
				return fmt.Errorf("%w: column chunk ended early", ErrCorrupt)
			}
			return nil
		}
		if kv.RepetitionLevel() == 0 && rows == n {
			return nil
		}
		vv, err := r.next(1)
		if err != nil {
			return err
		}
		if vv.RepetitionLevel() != kv.RepetitionLevel() {
			return fmt.Errorf("%w: map keys and values out of step", ErrCorrupt)
		}
		def := byte(kv.DefinitionLevel())
		if kv.RepetitionLevel() == 0 {
			rows++
			switch {
			case def+1 < entry:
				if b != nil {
					b.AppendNull()
				}
			case b != nil:
				b.Append(true)
			}
		} else if rows == 0 {
			return fmt.Errorf("%w: map values before the first row", ErrCorrupt)
		}
		if def >= entry && b != nil {
			if err := appendNestedLeaf(kb, kv, &nc.leaves[0]); err != nil {
				return err
			}
			if byte(vv.DefinitionLevel()) < nc.maxDef[1] {
				ib.AppendNull()
			} else if err := appendNestedLeaf(ib, vv, &nc.leaves[1]); err != nil {
				return err
			}
		}
		r.leaves[0].lpos++
		r.leaves[1].lpos++
	}
}

// setLeaves numbers the leaves of cols: each column's first leaf in the file.
func setLeaves(cols []column) {
	leaf := 0
	for i := range cols {
		cols[i].leaf = leaf
		if cols[i].nested != nil {
			leaf += len(cols[i].nested.leaves)
		} else {
			leaf++
		}
	}
}

// nodeArrowType maps a node of a nested column: a leaf or a group.
func nodeArrowType(c *pq.Column) (arrow.DataType, error) {
	if c.Leaf() {
		return arrowTypeOf(c)
	}
	return nestedArrowType(c)
}
