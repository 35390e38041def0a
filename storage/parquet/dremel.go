package parquet

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"
)

// Nested columns of any shape (lists in structs, lists of structs, lists of lists, maps of
// nested values, structs in maps, ...) are written and read by the general record shredding
// of Dremel, the scheme Parquet's levels come from. Each node of the Arrow type is a node of
// the Parquet schema:
//
//	struct  -> group { field... }
//	list    -> group (LIST) { repeated group list { element } }
//	map     -> group (MAP) { repeated group key_value { required key; value } }
//
// An optional node adds a definition level, a repeated one a definition and a repetition
// level. A value writes one entry to each leaf below it: a NULL node (or an empty list or map)
// one level-only entry per leaf at the definition level of its parent, a list's first element
// at the repetition level its parent's first entry takes and the other elements at the list's
// own repetition level. Reading walks the same type, taking the entries back in the same
// order: every leaf of a subtree holds exactly one entry for a NULL or empty node, and a
// list's next element begins where its first leaf's next entry repeats at the list's level.
// The flat structs and top-level maps of flat keys and values keep the simpler paths of
// struct.go; general is set for the other shapes.

// needsGeneral reports whether a struct, map or list column of type t needs the general
// shredding: anything beyond structs of structs of flat fields and maps of flat keys and
// values.
func needsGeneral(t arrow.DataType) bool {
	switch t := t.(type) {
	case *arrow.ListType:
		return true
	case *arrow.MapType:
		return isNestedType(t.KeyType()) || isNestedType(t.ItemType())
	case *arrow.StructType:
		for _, f := range t.Fields() {
			switch f.Type.(type) {
			case *arrow.StructType:
				if needsGeneral(f.Type) {
					return true
				}
			default:
				if isNestedType(f.Type) {
					return true
				}
			}
		}
	}
	return false
}

// leafCount is the number of Parquet leaves of a value of type t.
func leafCount(t arrow.DataType) int {
	switch t := t.(type) {
	case *arrow.StructType:
		n := 0
		for i := range t.NumFields() {
			n += leafCount(t.Field(i).Type)
		}
		return n
	case *arrow.MapType:
		return leafCount(t.KeyType()) + leafCount(t.ItemType())
	case *arrow.ListType:
		return leafCount(t.Elem())
	}
	return 1
}

// elementField is the element field of a list as the LIST group names it.
func elementField(lt *arrow.ListType) arrow.Field {
	ef := lt.ElemField()
	return arrow.Field{Name: "element", Type: ef.Type, Nullable: ef.Nullable, Metadata: ef.Metadata}
}

// nodeSpec is the Parquet node of field f (without f's own repetition), present at
// definition level def, calling leaf for each flat leaf with its field, path and definition
// level.
func nodeSpec(f arrow.Field, path []string, def byte, leaf func(arrow.Field, []string, byte) (pq.Node, error)) (pq.Node, error) {
	wrap := func(n pq.Node, nullable bool) pq.Node {
		if nullable {
			return pq.Optional(n)
		}
		return pq.Required(n)
	}
	child := func(cf arrow.Field, p ...string) (pq.Node, error) {
		d := def + 1 // the repeated group
		if cf.Nullable {
			d++
		}
		n, err := nodeSpec(cf, append(append([]string(nil), path...), p...), d, leaf)
		if err != nil {
			return nil, err
		}
		return wrap(n, cf.Nullable), nil
	}
	switch t := f.Type.(type) {
	case *arrow.StructType:
		return structSpec(t, path, def, leaf)
	case *arrow.ListType:
		// The element's logical type comes from its own metadata or from the array type
		// f's names (a record's uuid[] field is a list of binary named "_uuid").
		ef := elementField(t)
		ef.Metadata = elemMetadata(f, t.ElemField())
		en, err := child(ef, "list", "element")
		if err != nil {
			return nil, err
		}
		return pq.List(en), nil
	case *arrow.MapType:
		kf, vf := t.KeyField(), t.ItemField()
		// Keys and values keep their metadata: a key's SQL type picks its logical type
		// (uuid, time, json) as a list element's does.
		kn, err := child(arrow.Field{Name: "key", Type: kf.Type, Metadata: kf.Metadata}, "key_value", "key")
		if err != nil {
			return nil, err
		}
		vn, err := child(arrow.Field{Name: "value", Type: vf.Type, Nullable: vf.Nullable, Metadata: vf.Metadata}, "key_value", "value")
		if err != nil {
			return nil, err
		}
		return pq.Map(kn, vn), nil
	}
	if isNestedType(f.Type) {
		return nil, fmt.Errorf("%w: column %q: %s", ErrUnsupportedType, path[0], f.Type)
	}
	return leaf(f, path, def)
}

// writeGeneral writes rows [from, to) of arr to the leaves of column c by shredding.
func (w *encoder) writeGeneral(cws []*pq.ColumnWriter, c *column, arr arrow.Array, from, to int) error {
	s := &shredder{c: c, out: make([][]pq.Value, len(cws))}
	for lo := from; lo < to; lo += writeChunk {
		hi := min(lo+writeChunk, to)
		for k := range s.out {
			s.out[k] = s.out[k][:0]
		}
		for j := lo; j < hi; j++ {
			if err := s.shred(arr, j, c.field, 0, 0, 0, 0); err != nil {
				return err
			}
		}
		for k, cw := range cws {
			if _, err := cw.WriteRowValues(s.out[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

type shredder struct {
	c   *column
	out [][]pq.Value // per leaf: the entries of the rows so far
}

func (s *shredder) empty(leaf, n, rep, def int) {
	for k := leaf; k < leaf+n; k++ {
		s.out[k] = append(s.out[k], pq.NullValue().Level(rep, def, s.c.leaf+k))
	}
}

// shred appends the entries of value j of a, of field f, to the leaves from leaf on: def is
// the definition level f's parent is present at, rep the repetition level of the first
// entry and depth the number of repeated nodes above f.
func (s *shredder) shred(a arrow.Array, j int, f arrow.Field, def, rep, depth, leaf int) error {
	n := leafCount(f.Type)
	if a.IsNull(j) {
		if !f.Nullable {
			return fmt.Errorf("%w: NULL in non-nullable field %q of column %q", ErrSchemaMismatch, f.Name, s.c.field.Name)
		}
		s.empty(leaf, n, rep, def)
		return nil
	}
	if f.Nullable {
		def++
	}
	switch t := f.Type.(type) {
	case *arrow.StructType:
		sa, ok := a.(*array.Struct)
		if !ok {
			return fmt.Errorf("%w: %s for %s", ErrSchemaMismatch, a.DataType(), t)
		}
		l := leaf
		for i := range t.NumFields() {
			cf := t.Field(i) // not Fields(), which copies them
			if err := s.shred(sa.Field(i), j, cf, def, rep, depth, l); err != nil {
				return err
			}
			l += leafCount(cf.Type)
		}
		return nil
	case *arrow.ListType:
		la, ok := a.(*array.List)
		if !ok {
			return fmt.Errorf("%w: %s for %s", ErrSchemaMismatch, a.DataType(), t)
		}
		b, e := la.ValueOffsets(j)
		if b == e {
			s.empty(leaf, n, rep, def)
			return nil
		}
		ef := elementField(t)
		for k := int(b); k < int(e); k++ {
			r := rep
			if k > int(b) {
				r = depth + 1
			}
			if err := s.shred(la.ListValues(), k, ef, def+1, r, depth+1, leaf); err != nil {
				return err
			}
		}
		return nil
	case *arrow.MapType:
		ma, ok := a.(*array.Map)
		if !ok {
			return fmt.Errorf("%w: %s for %s", ErrSchemaMismatch, a.DataType(), t)
		}
		b, e := ma.ValueOffsets(j)
		if b == e {
			s.empty(leaf, n, rep, def)
			return nil
		}
		kf := arrow.Field{Name: "key", Type: t.KeyType()}
		vf := arrow.Field{Name: "value", Type: t.ItemType(), Nullable: t.ItemField().Nullable}
		kn := leafCount(t.KeyType())
		for k := int(b); k < int(e); k++ {
			r := rep
			if k > int(b) {
				r = depth + 1
			}
			if err := s.shred(ma.Keys(), k, kf, def+1, r, depth+1, leaf); err != nil {
				return err
			}
			if err := s.shred(ma.Items(), k, vf, def+1, r, depth+1, leaf+kn); err != nil {
				return err
			}
		}
		return nil
	}
	v, err := nestedLeafValue(unwrapExtension(a), j, &s.c.nested.leaves[leaf])
	if err != nil {
		return err
	}
	s.out[leaf] = append(s.out[leaf], v.Level(rep, def, s.c.leaf+leaf))
	return nil
}

// readGeneral decodes the next n rows of a general nested column.
func (r *nestedReader) readGeneral(n int, mem memory.Allocator) (arrow.Array, error) {
	if len(r.ents) != len(r.leaves) {
		r.ents = make([][]pq.Value, len(r.leaves))
	}
	r.arena.reset()
	as := &assembler{nc: r.col.nested, ents: r.ents, pos: make([]int, len(r.leaves))}
	for k := range r.leaves {
		ents, err := r.gather(k, n, true, r.ents[k][:0])
		if err != nil {
			return nil, err
		}
		r.ents[k] = ents
	}
	defer func() {
		for k := range r.ents {
			clear(r.ents[k]) // drop references to the arena
		}
	}()
	if columnarShape(r.col.field.Type) {
		as.reps, as.defs = make([][]byte, len(r.ents)), make([][]byte, len(r.ents))
		for k, ents := range r.ents {
			reps, defs := make([]byte, len(ents)), make([]byte, len(ents))
			for i, e := range ents {
				reps[i], defs[i] = byte(e.RepetitionLevel()), byte(e.DefinitionLevel())
			}
			as.reps[k], as.defs[k] = reps, defs
		}
		d, err := as.columnar(r.col.field, 0, 0, 0, 0, n, mem)
		if err == nil {
			defer d.Release()
			return array.MakeFromData(d), nil
		}
		if !errors.Is(err, errNotColumnar) {
			return nil, err
		}
	}
	b := array.NewBuilder(mem, r.col.field.Type)
	defer b.Release()
	b.Reserve(n)
	for range n {
		if err := as.value(r.col.field, b, 0, 0, 0); err != nil {
			return nil, err
		}
	}
	for k := range as.ents {
		if as.pos[k] != len(as.ents[k]) {
			return nil, fmt.Errorf("%w: leaf %d of column %q has entries left over", ErrCorrupt, k, r.col.field.Name)
		}
	}
	return b.NewArray(), nil
}

// gather consumes the entries of the next n rows of leaf k, appending them to out when
// keep is set (byte values copied to the reader's arena, as the pages they point into are
// released) and returning it.
func (r *nestedReader) gather(k, n int, keep bool, out []pq.Value) ([]pq.Value, error) {
	rows := 0
	c := r.leaves[k]
	for {
		if c.page == nil || c.lpos == len(c.levels) {
			if _, ok, err := c.nextLevel(); err != nil {
				return nil, err
			} else if !ok {
				if rows < n {
					return nil, fmt.Errorf("%w: column chunk ended early", ErrCorrupt)
				}
				return out, nil
			}
		}
		// The entries left in the page, up to the first of row n+1.
		page := c.levels[c.lpos:]
		j := 0
		for ; j < len(page); j++ {
			if page[j].RepetitionLevel() == 0 {
				if rows == n {
					break
				}
				rows++
			} else if rows == 0 {
				return nil, fmt.Errorf("%w: repeated values before the first row", ErrCorrupt)
			}
		}
		if keep {
			start := len(out)
			out = append(out, page[:j]...)
			for i := start; i < len(out); i++ {
				if v := out[i]; v.Kind() == pq.ByteArray || v.Kind() == pq.FixedLenByteArray {
					if !v.IsNull() {
						out[i] = r.arena.copyValue(v)
					}
				}
			}
		}
		c.lpos += j
		if j < len(page) {
			return out, nil
		}
	}
}

// assembler rebuilds values from the gathered entries of each leaf.
type assembler struct {
	nc   *nestedCol
	ents [][]pq.Value
	pos  []int
	// The levels of each leaf's entries, for the columnar assembly, and when the leaves
	// were read by levels (levels.go) their non-NULL values, as an array each, and how.
	reps, defs [][]byte
	dense      []arrow.ArrayData
	kinds      []levelKind
}

func (a *assembler) peek(leaf int) (pq.Value, bool) {
	if a.pos[leaf] >= len(a.ents[leaf]) {
		return pq.Value{}, false
	}
	return a.ents[leaf][a.pos[leaf]], true
}

func (a *assembler) skip(leaf, n int) {
	for k := leaf; k < leaf+n; k++ {
		a.pos[k]++
	}
}

// value appends one value of field f to b from the leaves from leaf on; def and depth are
// as shred's.
func (a *assembler) value(f arrow.Field, b array.Builder, def, depth, leaf int) error {
	e, ok := a.peek(leaf)
	if !ok {
		return fmt.Errorf("%w: leaf %d ended early", ErrCorrupt, leaf)
	}
	if f.Nullable {
		if e.DefinitionLevel() <= def {
			a.skip(leaf, leafCount(f.Type))
			b.AppendNull()
			return nil
		}
		def++
	}
	switch t := f.Type.(type) {
	case *arrow.StructType:
		sb := storageBuilder(b).(*array.StructBuilder)
		sb.Append(true)
		l := leaf
		for i := range t.NumFields() {
			cf := t.Field(i) // not Fields(), which copies them
			if err := a.value(cf, sb.FieldBuilder(i), def, depth, l); err != nil {
				return err
			}
			l += leafCount(cf.Type)
		}
		return nil
	case *arrow.ListType:
		lb := storageBuilder(b).(*array.ListBuilder)
		lb.Append(true)
		if e.DefinitionLevel() <= def {
			a.skip(leaf, leafCount(f.Type))
			return nil
		}
		ef := elementField(t)
		for {
			if err := a.value(ef, lb.ValueBuilder(), def+1, depth+1, leaf); err != nil {
				return err
			}
			if nx, ok := a.peek(leaf); !ok || nx.RepetitionLevel() <= depth {
				return nil
			}
		}
	case *arrow.MapType:
		mb := storageBuilder(b).(*array.MapBuilder)
		mb.Append(true)
		if e.DefinitionLevel() <= def {
			a.skip(leaf, leafCount(f.Type))
			return nil
		}
		kf := arrow.Field{Name: "key", Type: t.KeyType()}
		vf := arrow.Field{Name: "value", Type: t.ItemType(), Nullable: t.ItemField().Nullable}
		kn := leafCount(t.KeyType())
		for {
			if err := a.value(kf, mb.KeyBuilder(), def+1, depth+1, leaf); err != nil {
				return err
			}
			if err := a.value(vf, mb.ItemBuilder(), def+1, depth+1, leaf+kn); err != nil {
				return err
			}
			if nx, ok := a.peek(leaf); !ok || nx.RepetitionLevel() <= depth {
				return nil
			}
		}
	}
	if e.DefinitionLevel() < def {
		return fmt.Errorf("%w: NULL in non-nullable field %q", ErrCorrupt, f.Name)
	}
	a.pos[leaf]++
	return appendNestedLeaf(storageBuilder(b), e, &a.nc.leaves[leaf])
}
