package parquet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"

	"github.com/sleeperd/sleeperd/types"
)

// Lists of a flat element type are stored in the standard three-level LIST layout:
//
//	<optional|required> group name (LIST) {
//	  repeated group list {
//	    <optional|required> element;
//	  }
//	}
//
// so a list column, like a flat one, has exactly one leaf, and column i of the Arrow schema is
// leaf i of the file. A row's values in the leaf carry the repetition level 0 for the row's
// first element (or for the row's one level-only entry when the list is NULL or empty) and 1
// for the others; the definition level tells a NULL list (below repDef-1), an empty list
// (repDef-1), a NULL element (repDef up to below maxDef) and a value (maxDef).
type listLevels struct {
	repDef byte // the definition level of an element entry, NULL or not
	maxDef byte // the definition level of a non-NULL element
}

// leafOf returns the one leaf of a top-level column: the column itself when it is a flat
// leaf, or the element leaf of a list of a flat type (the standard three-level layout, or the
// two-level layout of older writers: a repeated group or leaf directly under the LIST group).
func leafOf(c *pq.Column) (*pq.Column, error) {
	if c.Leaf() {
		if c.MaxRepetitionLevel() > 0 || c.MaxDefinitionLevel() > 1 {
			return nil, fmt.Errorf("%w: repeated column %q", ErrUnsupportedType, c.Name())
		}
		return c, nil
	}
	if !isListGroup(c) {
		return nil, fmt.Errorf("%w: nested column %q (only lists of one flat element type, structs of flat fields and maps of flat keys and values are read)", ErrUnsupportedType, c.Name())
	}
	leaf := c
	for depth := 0; !leaf.Leaf(); depth++ {
		kids := leaf.Columns()
		if len(kids) != 1 || depth == 2 {
			return nil, fmt.Errorf("%w: nested column %q (only lists of one flat element type are read)", ErrUnsupportedType, c.Name())
		}
		leaf = kids[0]
	}
	if leaf.MaxRepetitionLevel() != 1 {
		return nil, fmt.Errorf("%w: nested column %q (only lists of one flat element type are read)", ErrUnsupportedType, c.Name())
	}
	return leaf, nil
}

// levelsOf returns the levels of the list column whose leaf is leaf.
func levelsOf(leaf *pq.Column) *listLevels {
	maxDef := byte(leaf.MaxDefinitionLevel())
	repDef := maxDef
	if leaf.Optional() {
		repDef--
	}
	return &listLevels{repDef: repDef, maxDef: maxDef}
}

// listColumnOf maps a list field of a flat element type to its column and LIST node.
func listColumnOf(f arrow.Field, lt *arrow.ListType, props Properties, codec compress.Codec) (column, pq.Node, error) {
	ef := lt.ElemField()
	if ef.Type.ID() == arrow.LIST || ef.Type.ID() == arrow.STRUCT || ef.Type.ID() == arrow.MAP {
		return column{}, nil, fmt.Errorf("%w: column %q: %s (lists of nested types)", ErrUnsupportedType, f.Name, f.Type)
	}
	ec, leaf, err := columnOf(arrow.Field{Name: f.Name, Type: ef.Type, Nullable: ef.Nullable, Metadata: elemMetadata(f, ef)})
	if err != nil {
		return column{}, nil, err
	}
	leaf = leafEncoding(leaf, ec, props, codec)
	if ef.Nullable {
		leaf = pq.Optional(leaf)
	} else {
		leaf = pq.Required(leaf)
	}
	n := pq.List(leaf)
	lv := &listLevels{repDef: 1, maxDef: 1}
	if f.Nullable {
		n = pq.Optional(n)
		lv.repDef++
		lv.maxDef++
	} else {
		n = pq.Required(n)
	}
	if ef.Nullable {
		lv.maxDef++
	}
	return column{field: f, kind: ec.kind, size: ec.size, list: lv}, n, nil
}

// elemMetadata is the metadata naming the SQL type of the element of list field f, whose
// element field is ef, which picks the element's logical type (uuid, time, json) as a flat
// column's metadata does: ef's own, or else the element type of the array type f's metadata
// names (a table's uuid[] column is a list of binary named "_uuid").
func elemMetadata(f, ef arrow.Field) arrow.Metadata {
	if _, ok := ef.Metadata.GetValue(types.SQLTypeKey); ok {
		return ef.Metadata
	}
	if name, ok := f.Metadata.GetValue(types.SQLTypeKey); ok && strings.HasPrefix(name, "_") {
		return arrow.NewMetadata([]string{types.SQLTypeKey}, []string{name[1:]})
	}
	return ef.Metadata
}

// path is the path of the column's leaf in the file's schema.
func (c *column) path() []string {
	if c.list != nil {
		return []string{c.field.Name, "list", "element"}
	}
	return []string{c.field.Name}
}

// elemType is the Arrow type of the column's values: the element type of a list.
func (c *column) elemType() arrow.DataType {
	if lt, ok := c.field.Type.(*arrow.ListType); ok {
		return lt.Elem()
	}
	return c.field.Type
}

// writeList writes rows [from, to) of the list array arr to column i.
func (w *encoder) writeList(cw *pq.ColumnWriter, i int, arr arrow.Array, from, to int) error {
	c := &w.cols[i]
	lv := c.list
	a, ok := arr.(*array.List)
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnsupportedType, arr.DataType())
	}
	elems := a.ListValues()
	if e, ok := elems.(array.ExtensionArray); ok {
		elems = e.Storage()
	}
	for lo := from; lo < to; lo += writeChunk {
		hi := min(lo+writeChunk, to)
		vals := w.values[:0]
		for j := lo; j < hi; j++ {
			b64, e64 := a.ValueOffsets(j)
			switch b, e := int(b64), int(e64); {
			case a.IsNull(j):
				vals = append(vals, pq.NullValue().Level(0, int(lv.repDef)-2, i))
			case b == e:
				vals = append(vals, pq.NullValue().Level(0, int(lv.repDef)-1, i))
			default:
				for k := b; k < e; k++ {
					rep := 1
					if k == b {
						rep = 0
					}
					if elems.IsNull(k) {
						vals = append(vals, pq.NullValue().Level(rep, int(lv.repDef), i))
						continue
					}
					v, err := leafValue(elems, k, c)
					if err != nil {
						return err
					}
					if isFloat(elems.DataType()) && v.Double() != v.Double() {
						w.nans[i]++
					}
					vals = append(vals, v.Level(rep, int(lv.maxDef), i))
				}
			}
		}
		if _, err := cw.WriteRowValues(vals); err != nil {
			return err
		}
		clear(vals)
		w.values = vals[:0]
	}
	return nil
}

// leafValue is value k of the flat array a as the Parquet value of column c's leaf.
func leafValue(a arrow.Array, k int, c *column) (pq.Value, error) {
	switch a := a.(type) {
	case *array.Boolean:
		return pq.BooleanValue(a.Value(k)), nil
	case *array.Int8:
		return pq.Int32Value(int32(a.Value(k))), nil
	case *array.Int16:
		return pq.Int32Value(int32(a.Value(k))), nil
	case *array.Int32:
		return pq.Int32Value(a.Value(k)), nil
	case *array.Date32:
		return pq.Int32Value(int32(a.Value(k))), nil
	case *array.Int64:
		return pq.Int64Value(a.Value(k)), nil
	case *array.Timestamp:
		return pq.Int64Value(int64(a.Value(k))), nil
	case *array.Float32:
		return pq.FloatValue(a.Value(k)), nil
	case *array.Float64:
		return pq.DoubleValue(a.Value(k)), nil
	case *array.String:
		return pq.ByteArrayValue([]byte(a.Value(k))), nil
	case *array.Binary:
		if c.kind == pq.FixedLenByteArray {
			// A uuid: a FIXED_LEN_BYTE_ARRAY value, which a dictionary of the leaf takes
			// where a byte-array value is refused.
			return fixedBinaryValue(a.Value(k), c.size, c.field.Name)
		}
		return pq.ByteArrayValue(a.Value(k)), nil
	case *array.MonthDayNanoInterval:
		// As flat intervals: the 16 bytes of Arrow's layout, little-endian.
		v := a.Value(k)
		b := make([]byte, intervalBytes)
		binary.LittleEndian.PutUint32(b[0:], uint32(v.Months))
		binary.LittleEndian.PutUint32(b[4:], uint32(v.Days))
		binary.LittleEndian.PutUint64(b[8:], uint64(v.Nanoseconds))
		return pq.FixedLenByteArrayValue(b), nil
	case *array.Decimal128:
		d := a.Value(k)
		switch c.kind {
		case pq.Int32:
			return pq.Int32Value(int32(d.LowBits())), nil
		case pq.Int64:
			return pq.Int64Value(int64(d.LowBits())), nil
		default:
			var be [16]byte
			binary.BigEndian.PutUint64(be[:8], uint64(d.HighBits()))
			binary.BigEndian.PutUint64(be[8:], d.LowBits())
			return pq.FixedLenByteArrayValue(be[16-c.size:]), nil
		}
	}
	return pq.Value{}, fmt.Errorf("%w: list of %s", ErrUnsupportedType, a.DataType())
}

// nextLevel returns the next value of a list column's pages with its levels, reading the
// next page when the current one is consumed; ok is false at the end of the column chunk.
func (c *chunkReader) nextLevel() (v pq.Value, ok bool, err error) {
	for c.page == nil || c.lpos == len(c.levels) {
		if c.page != nil {
			pq.Release(c.page)
			c.page = nil
		}
		p, err := c.pages.ReadPage()
		if errors.Is(err, io.EOF) {
			return pq.Value{}, false, nil
		}
		if err != nil {
			return pq.Value{}, false, err
		}
		c.page = p
		n := int(p.NumValues())
		if cap(c.levels) < n {
			c.levels = make([]pq.Value, n)
		}
		c.levels = c.levels[:n]
		got, err := p.Values().ReadValues(c.levels)
		if err != nil && !errors.Is(err, io.EOF) {
			return pq.Value{}, false, err
		}
		if got != n {
			return pq.Value{}, false, fmt.Errorf("%w: %d of %d values in a page", ErrCorrupt, got, n)
		}
		c.lpos = 0
	}
	return c.levels[c.lpos], true, nil
}

// walkList consumes the values of n rows of a list column, appending them to b when it is
// not nil.
func (c *chunkReader) walkList(n int, b *array.ListBuilder) error {
	lv := c.col.list
	if b == nil && byLevels(c.col) {
		return c.skipLevels(n, lv.repDef, lv.maxDef, 1)
	}
	var eb array.Builder
	if b != nil {
		eb = storageBuilder(b.ValueBuilder())
	}
	rows := 0
	for {
		v, ok, err := c.nextLevel()
		if err != nil {
			return err
		}
		if !ok {
			if rows < n {
				return fmt.Errorf("%w: column chunk ended early", ErrCorrupt)
			}
			return nil
		}
		def := byte(v.DefinitionLevel())
		if v.RepetitionLevel() == 0 {
			if rows == n {
				return nil
			}
			rows++
			if def+1 < lv.repDef {
				if b != nil {
					b.AppendNull()
				}
				c.lpos++
				continue
			}
			if b != nil {
				b.Append(true)
			}
			if def < lv.repDef {
				c.lpos++ // empty list
				continue
			}
		} else if rows == 0 {
			return fmt.Errorf("%w: list values before the first row", ErrCorrupt)
		}
		if eb != nil {
			if def < lv.maxDef {
				eb.AppendNull()
			} else if err := appendLeaf(eb, v, c.col); err != nil {
				return err
			}
		}
		c.lpos++
	}
}

// storageBuilder is b, or for an extension type's builder the builder of its storage, which
// the leaf appenders fill.
func storageBuilder(b array.Builder) array.Builder {
	if x, ok := b.(*array.ExtensionBuilder); ok {
		return x.Builder
	}
	return b
}

// readList decodes the next n rows of a list column.
func (c *chunkReader) readList(n int, mem memory.Allocator) (arrow.Array, error) {
	if byLevels(c.col) {
		return c.readListLevels(n, mem)
	}
	lt := c.col.field.Type.(*arrow.ListType)
	b := array.NewListBuilderWithField(mem, lt.ElemField())
	defer b.Release()
	if err := c.walkList(n, b); err != nil {
		return nil, err
	}
	return b.NewArray(), nil
}

// appendLeaf appends the Parquet value v of column c's leaf to the element builder b.
func appendLeaf(b array.Builder, v pq.Value, c *column) error {
	switch b := b.(type) {
	case *array.BooleanBuilder:
		b.Append(v.Boolean())
	case *array.Int8Builder:
		b.Append(int8(v.Int32()))
	case *array.Int16Builder:
		b.Append(int16(v.Int32()))
	case *array.Int32Builder:
		b.Append(v.Int32())
	case *array.Date32Builder:
		b.Append(arrow.Date32(v.Int32()))
	case *array.Int64Builder:
		b.Append(v.Int64())
	case *array.TimestampBuilder:
		b.Append(arrow.Timestamp(v.Int64()))
	case *array.Float32Builder:
		b.Append(v.Float())
	case *array.Float64Builder:
		b.Append(v.Double())
	case *array.StringBuilder:
		b.BinaryBuilder.Append(v.ByteArray())
	case *array.BinaryBuilder:
		b.Append(v.ByteArray())
	case *array.MonthDayNanoIntervalBuilder:
		bs := v.ByteArray()
		if len(bs) != intervalBytes {
			return fmt.Errorf("%w: interval of %d bytes", ErrCorrupt, len(bs))
		}
		b.Append(arrow.MonthDayNanoInterval{
			Months:      int32(binary.LittleEndian.Uint32(bs[0:])),
			Days:        int32(binary.LittleEndian.Uint32(bs[4:])),
			Nanoseconds: int64(binary.LittleEndian.Uint64(bs[8:])),
		})
	case *array.Decimal128Builder:
		switch c.kind {
		case pq.Int32:
			b.Append(decimal128.FromI64(int64(v.Int32())))
		case pq.Int64:
			b.Append(decimal128.FromI64(v.Int64()))
		default:
			bs := v.ByteArray()
			if len(bs) > 16 {
				return fmt.Errorf("%w: decimal of %d bytes", ErrCorrupt, len(bs))
			}
			b.Append(decimalFromBE(bs))
		}
	default:
		return fmt.Errorf("%w: list of %s", ErrUnsupportedType, c.elemType())
	}
	return nil
}
