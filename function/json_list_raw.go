package function

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// registerJSONListRaw registers _json_list_raw(a, spaced): the JSON array of a json[] or
// jsonb[] value a (held as the elements' text), each element as the JSON it is and a NULL
// element as null, as to_json and to_jsonb write an array of json values; spaced puts a space
// after each comma.
func registerJSONListRaw(text arrow.DataType) {
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 2 || args[0].ID() != arrow.LIST || args[1].ID() != arrow.BOOL {
			return nil, nil, undefinedFunc("_json_list_raw", args)
		}
		return text, nil, nil
	}, eval: rowwise(false, func(v []any) (any, error) {
		sep := ","
		if v[1].(bool) {
			sep = ", "
		}
		b := []byte{'['}
		for i, x := range v[0].([]any) {
			if i > 0 {
				b = append(b, sep...)
			}
			if x == nil {
				b = append(b, "null"...)
				continue
			}
			b = append(b, x.(string)...)
		}
		return string(append(b, ']')), nil
	})}, "_json_list_raw")
}
