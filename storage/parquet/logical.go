package parquet

import (
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"

	"github.com/sleeperd/sleeperd/types"
)

// SQL types held in plain Arrow storage (types.Time in int64, types.UUID in binary,
// types.JSON in string) are named by their field's metadata (types.SQLTypeKey), which tables'
// stored schemas and query results carry. They are written with Parquet's logical types, so
// that other readers (DuckDB, Spark, pyarrow) see them as time, uuid and json:
//
//	time        INT64 TIME(MICROS, isAdjustedToUTC=false)
//	uuid        FIXED_LEN_BYTE_ARRAY(16) UUID
//	json, jsonb BYTE_ARRAY JSON
//
// and read back into the same storage. Files written before, with plain INT64 and BYTE_ARRAY
// leaves, read as they did.

// uuidBytes is the length of a stored uuid.
const uuidBytes = 16

// logicalColumn is how field f is stored when its metadata names such a SQL type; ok is
// false for other fields.
func logicalColumn(f arrow.Field) (column, pq.Node, bool) {
	name, ok := f.Metadata.GetValue(types.SQLTypeKey)
	if !ok {
		return column{}, nil, false
	}
	c := column{field: f}
	switch {
	case name == "time" && f.Type.ID() == arrow.INT64:
		c.kind = pq.Int64
		return c, pq.TimeAdjusted(pq.Microsecond, false), true
	case name == "uuid" && f.Type.ID() == arrow.BINARY:
		c.kind, c.size = pq.FixedLenByteArray, uuidBytes
		return c, pq.UUID(), true
	case (name == "json" || name == "jsonb") && f.Type.ID() == arrow.STRING:
		c.kind = pq.ByteArray
		return c, pq.JSON(), true
	}
	return column{}, nil, false
}

// fixedBinaryValue is the Parquet value of b, a binary value written to a
// FIXED_LEN_BYTE_ARRAY(size) leaf.
func fixedBinaryValue(b []byte, size int, field string) (pq.Value, error) {
	if len(b) != size {
		return pq.Value{}, fmt.Errorf("%w: column %q: value of %d bytes in a leaf of %d", ErrUnsupportedType, field, len(b), size)
	}
	return pq.FixedLenByteArrayValue(b), nil
}

// readFixedBytes reads a FIXED_LEN_BYTE_ARRAY leaf (a uuid) into the offsets and data of a
// binary array.
func (c *chunkReader) readFixedBytes(n int, mem memory.Allocator, valid *memory.Buffer) ([]*memory.Buffer, int, error) {
	offBuf := newBuffer(mem, 4*(n+1))
	offs := arrow.Int32Traits.CastFromBytes(offBuf.Bytes())
	data := newBuffer(mem, n*max(c.col.size, 1))
	dst := data.Bytes()
	fail := func(err error) ([]*memory.Buffer, int, error) {
		offBuf.Release()
		data.Release()
		return nil, 0, err
	}
	nulls, used := 0, 0
	offs[0] = 0
	for pos := 0; pos < n; {
		k, defs, err := c.segment(n - pos)
		if err != nil {
			return fail(err)
		}
		d := c.data.Data()
		src, size := d.FixedLenByteArray()
		if size != c.col.size || size == 0 {
			return fail(fmt.Errorf("%w: fixed-length values of %d bytes in a leaf of %d", ErrCorrupt, size, c.col.size))
		}
		count := len(src) / size
		if c.idx != nil {
			count = len(c.idx)
		}
		v := c.val
		for j := range k {
			if defs != nil && defs[j] != c.maxDef {
				bitutil.ClearBit(valid.Bytes(), pos+j)
				nulls++
				offs[pos+j+1] = int32(used)
				continue
			}
			if v >= count {
				return fail(fmt.Errorf("%w: page has too few values", ErrCorrupt))
			}
			i := v
			if c.idx != nil {
				i = int(c.idx[v])
			}
			used += copy(dst[used:used+size], src[i*size:(i+1)*size])
			offs[pos+j+1] = int32(used)
			v++
		}
		c.advance(k, v-c.val)
		pos += k
	}
	return []*memory.Buffer{offBuf, data}, nulls, nil
}

// logicalMetadata is the field metadata naming the SQL type of a leaf of a file written
// without an Arrow schema (by DuckDB, Spark) whose logical type is time, uuid or json, or
// none.
func logicalMetadata(col *pq.Column) arrow.Metadata {
	lt := col.Type().LogicalType()
	if lt == nil {
		return arrow.Metadata{}
	}
	name := ""
	switch v := lt.Value.(type) {
	case *format.TimeType:
		if col.Type().Kind() == pq.Int64 && isUnit[*format.MicroSeconds](v.Unit) {
			name = "time"
		}
	case *format.UUIDType:
		name = "uuid"
	case *format.JsonType:
		name = "json"
	}
	if name == "" {
		return arrow.Metadata{}
	}
	return arrow.NewMetadata([]string{types.SQLTypeKey}, []string{name})
}

// parquetIntervalBytes is the size of Parquet's INTERVAL (converted type only): unsigned
// little-endian months, days and milliseconds, as DuckDB and Spark write intervals.
const parquetIntervalBytes = 12

// isParquetInterval reports whether typ is Parquet's INTERVAL.
func isParquetInterval(typ pq.Type) bool {
	ct := typ.ConvertedType()
	return ct != nil && *ct == deprecated.Interval && typ.Kind() == pq.FixedLenByteArray && typ.Length() == parquetIntervalBytes
}

// widenIntervals converts Parquet INTERVAL values to Arrow's month_day_nano layout.
func widenIntervals(src []byte) []byte {
	n := len(src) / parquetIntervalBytes
	out := make([]byte, n*intervalBytes)
	for i := range n {
		s, d := src[i*parquetIntervalBytes:], out[i*intervalBytes:]
		copy(d[0:8], s[0:8]) // months and days
		ms := uint64(binary.LittleEndian.Uint32(s[8:12]))
		binary.LittleEndian.PutUint64(d[8:16], ms*1_000_000)
	}
	return out
}

// nestedLogical is t, the Arrow type nestedArrowType maps the struct, list or map column c
// to, with the fields of its time, uuid and json leaves (struct fields, list elements, map
// keys and values, at any depth) naming their SQL type in metadata (logicalMetadata), as flat
// columns' fields do.
func nestedLogical(t arrow.DataType, c *pq.Column) arrow.DataType {
	switch tt := t.(type) {
	case *arrow.MapType:
		kids := c.Columns()
		if !isMapGroup(c) || len(kids) != 1 || len(kids[0].Columns()) != 2 {
			return t
		}
		kf, vf := tt.KeyField(), tt.ItemField()
		changed := false
		for i, f := range []*arrow.Field{&kf, &vf} {
			col := kids[0].Columns()[i]
			if !col.Leaf() {
				if ft := nestedLogical(f.Type, col); ft != f.Type {
					f.Type, changed = ft, true
				}
				continue
			}
			if md := logicalMetadata(col); md.Len() > 0 && f.Metadata.Len() == 0 {
				f.Metadata, changed = md, true
			}
		}
		if !changed {
			return t
		}
		mt := arrow.MapOfWithMetadata(kf.Type, kf.Metadata, vf.Type, vf.Metadata)
		mt.SetItemNullable(vf.Nullable)
		mt.KeysSorted = tt.KeysSorted
		return mt
	case *arrow.ListType:
		if !isListGroup(c) || len(c.Columns()) != 1 {
			return t
		}
		el := c.Columns()[0]
		if !el.Leaf() && len(el.Columns()) == 1 {
			el = el.Columns()[0]
		}
		ef := tt.ElemField()
		if el.Leaf() {
			if md := logicalMetadata(el); md.Len() > 0 {
				ef.Metadata = md
				return arrow.ListOfField(ef)
			}
			return t
		}
		if et := nestedLogical(ef.Type, el); et != ef.Type {
			ef.Type = et
			return arrow.ListOfField(ef)
		}
	case *arrow.StructType:
		kids := c.Columns()
		if isListGroup(c) || isMapGroup(c) || len(kids) != tt.NumFields() {
			return t
		}
		fields := tt.Fields()
		changed := false
		for k, f := range fields {
			if kids[k].Name() != f.Name {
				return t
			}
			if kids[k].Leaf() {
				if md := logicalMetadata(kids[k]); md.Len() > 0 && f.Metadata.Len() == 0 {
					fields[k].Metadata, changed = md, true
				}
				continue
			}
			if ft := nestedLogical(f.Type, kids[k]); ft != f.Type {
				fields[k].Type, changed = ft, true
			}
		}
		if changed {
			return arrow.StructOf(fields...)
		}
	}
	return t
}
