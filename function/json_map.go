package function

import (
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/format/pgvalue"
	"github.com/sleeperd/sleeperd/types"
)

// _json_map is the jsonb text of a map value: an object of its entries, keys as text and
// values as to_json converts them, normalised as jsonb (keys in jsonb's order, the last of
// equal keys kept), which is how a map column is shown over the wire. Package sql binds
// map::jsonb, map::json and to_json(b) of a map to it.
func registerJSONMap() {
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 1 || args[0].ID() != arrow.MAP {
			return nil, nil, undefinedFunc("_json_map", args)
		}
		return arrow.BinaryTypes.String, nil, nil
	}, eval: jsonOfMaps}, "_json_map")
}

func jsonOfMaps(mem memory.Allocator, _ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
	m := args[0].(*array.Map)
	keys, err := exec.CastArrayIn(mem, time.UTC, m.Keys(), arrow.BinaryTypes.String)
	if err != nil {
		return nil, err
	}
	defer keys.Release()
	ks := keys.(*array.String)
	items := m.Items()
	it := items.DataType()
	// Values that are arrays, records or maps are JSON arrays and objects, as the map is shown;
	// keys and values of uuid, time and json (named by their fields' metadata, as a table's
	// storage names them) their text, as the map is shown too.
	nestedItems := it.ID() == arrow.LIST || it.ID() == arrow.STRUCT || it.ID() == arrow.MAP ||
		sqlTypedField(m.DataType().(*arrow.MapType).KeyField()) || sqlTypedField(m.DataType().(*arrow.MapType).ItemField())
	out := array.NewStringBuilder(mem)
	defer out.Release()
	var buf []byte
	for i := 0; i < m.Len(); i++ {
		if m.IsNull(i) {
			out.AppendNull()
			continue
		}
		if nestedItems {
			buf = pgvalue.MapJSON(buf[:0], m, i, time.UTC)
			out.Append(string(buf))
			continue
		}
		lo, hi := m.ValueOffsets(i)
		buf = append(buf[:0], '{')
		for j := int(lo); j < int(hi); j++ {
			if j > int(lo) {
				buf = append(buf, ", "...)
			}
			buf = types.AppendJSONString(buf, ks.Value(j))
			buf = append(buf, ": "...)
			buf = appendJSONOf(buf, exec.ValueAt(items, j), it)
		}
		s, err := types.JSONBNormalize(string(append(buf, '}')))
		if err != nil {
			return nil, err
		}
		out.Append(s)
	}
	return out.NewArray(), nil
}

// sqlTypedField reports whether map key or value field f is of a flat SQL type its storage
// does not say (uuid, time, json), itself or named by its metadata.
func sqlTypedField(f arrow.Field) bool {
	t := types.RecordField(f).Type
	if types.IsNested(t) || types.IsArray(t) {
		return false
	}
	_, ok := types.SQLMetadata(t)
	return ok
}
