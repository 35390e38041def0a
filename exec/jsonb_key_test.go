package exec

import "testing"

// Hash keys of jsonb are equal exactly when jsonb's = finds the values equal: numbers by
// value, outside strings only.
func TestJSONBKey(t *testing.T) {
	same := [][]string{
		{`1`, `1.0`, `1.000`, `1e0`, `0.1e1`, `10E-1`},
		{`0`, `-0`, `0.0`, `-0.000`, `0e5`},
		{`100`, `1e2`, `100.00`, `1E+2`},
		{`-0.05`, `-5e-2`, `-0.050`},
		{`{"a": 1.50, "b": [2, 0.0]}`, `{"a": 1.5, "b": [2.0, 0]}`},
		{`"1.0"`},
		{`"1"`},
		{`"a\"1.0"`},
		{`"a\"1"`},
		{`[1, "2.0"]`},
		{`[1, "2"]`},
		{`12`},
		{`120`},
		{`1.2`},
		{`true`},
		{`null`},
	}
	seen := map[string]int{}
	for g, vals := range same {
		for _, v := range vals {
			k := string(appendJSONBKey(nil, []byte(v)))
			if o, ok := seen[k]; ok && o != g {
				t.Errorf("%s has the key %q of group %d, want group %d", v, k, o, g)
			}
			seen[k] = g
			if first := string(appendJSONBKey(nil, []byte(vals[0]))); first != k {
				t.Errorf("%s: key %q, want %q (the key of %s)", v, k, first, vals[0])
			}
		}
	}
}
