package parquet

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Columnar assembly of general nested columns of structs, lists, maps and flat leaves:
// each node of the type is built once per batch from the entries of its leaves, rather
// than value by value. A node's slots (its values, NULL ones included, one per value of
// its parent, or per element for a list's element) are the entries of each leaf below it
// whose repetition level is at most the number of lists and maps above the node (rep) and whose
// definition level is at least the level at which the slot exists (slot). A slot's value
// is present when its definition level reaches the node's present level (its parent's,
// plus one for a nullable node); a list's slot has elements from one level beyond that.
// Entries repeating at a list's own level are further elements of its current slot. A map
// is a list of its pairs, a struct of the key and the value that is never NULL.

// errNotColumnar is returned when a leaf's definition levels are not those its type
// implies: the values are then assembled one by one.
var errNotColumnar = errors.New("not assembled column by column")

// columnarShape reports whether values of t can be assembled column by column: structs,
// lists and maps of flat leaves, at any depth.
func columnarShape(t arrow.DataType) bool {
	switch t := t.(type) {
	case *arrow.StructType:
		for _, f := range t.Fields() {
			if !columnarShape(f.Type) {
				return false
			}
		}
		return t.NumFields() > 0
	case *arrow.ListType:
		return columnarShape(t.Elem())
	case *arrow.MapType:
		return columnarShape(t.KeyType()) && columnarShape(t.ItemType())
	}
	return !isNestedType(t)
}

// columnar builds the values of field f from the entries of the leaves from leaf on; rep,
// slot and base (the level at which f's parent is present) are as described above, n the
// number of slots.
func (a *assembler) columnar(f arrow.Field, rep int, slot, base byte, leaf, n int, mem memory.Allocator) (arrow.ArrayData, error) {
	present := base
	if f.Nullable {
		present++
	}
	reps, defs := a.reps[leaf], a.defs[leaf]
	defs = defs[:len(reps)]
	switch t := f.Type.(type) {
	case *arrow.StructType:
		valid, nulls := validity(reps, defs, rep, slot, present, n, mem)
		children := make([]arrow.ArrayData, t.NumFields())
		release := func() {
			for _, c := range children {
				if c != nil {
					c.Release()
				}
			}
			if valid != nil {
				valid.Release()
			}
		}
		l := leaf
		for i := range t.NumFields() {
			cf := t.Field(i)
			c, err := a.columnar(cf, rep, slot, present, l, n, mem)
			if err != nil {
				release()
				return nil, err
			}
			children[i] = c
			l += leafCount(cf.Type)
		}
		d := array.NewData(f.Type, n, []*memory.Buffer{valid}, children, nulls, 0)
		release()
		return d, nil
	case *arrow.ListType, *arrow.MapType:
		valid := newBuffer(mem, int(bitutil.BytesForBits(int64(n))))
		offBuf := newBuffer(mem, 4*(n+1))
		vb, offs := valid.Bytes(), arrow.Int32Traits.CastFromBytes(offBuf.Bytes())
		clear(vb)
		fail := func(err error) (arrow.ArrayData, error) {
			valid.Release()
			offBuf.Release()
			return nil, err
		}
		s, elems, nulls := -1, 0, 0
		for i, r := range reps {
			d := defs[i]
			switch {
			case int(r) <= rep && d >= slot:
				s++
				if s >= n {
					return fail(fmt.Errorf("%w: more list values than their parents hold", ErrCorrupt))
				}
				offs[s] = int32(elems)
				if d < present {
					nulls++
					continue
				}
				bitutil.SetBit(vb, s)
				if d > present {
					elems++
				}
			case int(r) == rep+1:
				if s < 0 {
					return fail(fmt.Errorf("%w: list elements before their list", ErrCorrupt))
				}
				elems++
			}
		}
		if s != n-1 {
			return fail(fmt.Errorf("%w: %d list values for %d slots", ErrCorrupt, s+1, n))
		}
		offs[n] = int32(elems)
		child, err := a.columnar(repeatedField(t), rep+1, present+1, present+1, leaf, elems, mem)
		if err != nil {
			return fail(err)
		}
		d := array.NewData(f.Type, n, []*memory.Buffer{valid, offBuf}, []arrow.ArrayData{child}, nulls, 0)
		valid.Release()
		offBuf.Release()
		child.Release()
		return d, nil
	}
	if present != a.nc.maxDef[leaf] {
		return nil, errNotColumnar
	}
	if a.dense != nil {
		return scatter(f.Type, a.dense[leaf], a.kinds[leaf], defs, slot, present, n, mem)
	}
	ents := a.ents[leaf]
	lc := &a.nc.leaves[leaf]
	b := array.NewBuilder(mem, f.Type)
	defer b.Release()
	sb := storageBuilder(b)
	sb.Reserve(n)
	got := 0
	switch ib := sb.(type) {
	case *array.Int64Builder:
		for _, e := range ents {
			if e.RepetitionLevel() > rep || byte(e.DefinitionLevel()) < slot {
				continue
			}
			got++
			if byte(e.DefinitionLevel()) < present {
				ib.AppendNull()
			} else {
				ib.UnsafeAppend(e.Int64())
			}
		}
	case *array.StringBuilder:
		for _, e := range ents {
			if e.RepetitionLevel() > rep || byte(e.DefinitionLevel()) < slot {
				continue
			}
			got++
			if byte(e.DefinitionLevel()) < present {
				ib.AppendNull()
			} else {
				ib.BinaryBuilder.Append(e.ByteArray())
			}
		}
	default:
		for _, e := range ents {
			if e.RepetitionLevel() > rep || byte(e.DefinitionLevel()) < slot {
				continue
			}
			got++
			if byte(e.DefinitionLevel()) < present {
				sb.AppendNull()
			} else if err := appendNestedLeaf(sb, e, lc); err != nil {
				return nil, err
			}
		}
	}
	if got != n {
		return nil, fmt.Errorf("%w: leaf %d holds %d values for %d slots", ErrCorrupt, leaf, got, n)
	}
	arr := b.NewArray()
	defer arr.Release()
	d := arr.Data()
	d.Retain()
	return d, nil
}

// repeatedField is the field of the repeated node of a list (its element) or of a map (its
// pairs: a struct of the key and the value, never NULL).
func repeatedField(t arrow.DataType) arrow.Field {
	if mt, ok := t.(*arrow.MapType); ok {
		return arrow.Field{Name: "key_value", Type: mt.Elem()}
	}
	return elementField(t.(*arrow.ListType))
}

// validity is the validity bitmap of n slots (nil when none is NULL) and how many are NULL:
// a slot is valid when its definition level reaches present.
func validity(reps, defs []byte, rep int, slot, present byte, n int, mem memory.Allocator) (*memory.Buffer, int) {
	if present == slot {
		return nil, 0
	}
	valid := newBuffer(mem, int(bitutil.BytesForBits(int64(n))))
	vb := valid.Bytes()
	clear(vb)
	s, nulls := 0, 0
	defs = defs[:len(reps)]
	for i, r := range reps {
		d := defs[i]
		if int(r) > rep || d < slot {
			continue
		}
		if s < n {
			if d >= present {
				bitutil.SetBit(vb, s)
			} else {
				nulls++
			}
		}
		s++
	}
	return valid, nulls
}
