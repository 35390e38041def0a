package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/function"
	"github.com/sleeperd/sleeperd/storage/merge"
	"github.com/sleeperd/sleeperd/types"
)

// Former is a shape a column had before ALTER COLUMN ... TYPE changed its type in a way that
// changes the stored values. Data files written while the column had SQL type Type store it
// under the name Stored; the column's current stored name is new, so that the name of a
// column in a file says which of its types the file holds. Readers convert the values of
// such a file: through the explicit casts of Via (the USING clause), then to the next type
// (the next newer Former's, or the column's own).
type Former struct {
	Stored string
	Type   arrow.DataType // the SQL type
	Via    []arrow.DataType
	// Fields, when set, make the step to the next type a change of the column's composite
	// type (ALTER TYPE ... ADD, DROP, RENAME ATTRIBUTE) rather than a cast: field i of the
	// next type's records is field Fields[i] of this one's, or NULL for -1 (reshape).
	Fields []int
}

type formerJSON struct {
	Stored string   `json:"stored"`
	Type   string   `json:"type"`
	Via    []string `json:"via,omitempty"`
	Fields []int    `json:"fields,omitempty"`
}

func formersToJSON(fs []Former) []formerJSON {
	var out []formerJSON
	for _, f := range fs {
		j := formerJSON{Stored: f.Stored, Type: types.Format(f.Type), Fields: f.Fields}
		for _, v := range f.Via {
			j.Via = append(j.Via, types.Format(v))
		}
		out = append(out, j)
	}
	return out
}

func formersFromJSON(js []formerJSON) ([]Former, error) {
	var out []Former
	for _, j := range js {
		t, err := types.Parse(j.Type)
		if err != nil {
			return nil, fmt.Errorf("catalog: %w", err)
		}
		f := Former{Stored: j.Stored, Type: t, Fields: j.Fields}
		for _, v := range j.Via {
			vt, err := types.Parse(v)
			if err != nil {
				return nil, fmt.Errorf("catalog: %w", err)
			}
			f.Via = append(f.Via, vt)
		}
		out = append(out, f)
	}
	return out, nil
}

// formerMetadata is the field metadata value naming the column's former stored names, newest
// first (merge.FormerKey).
func formerMetadata(fs []Former) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Stored
	}
	b, _ := json.Marshal(names)
	return string(b)
}

// FormerPath returns the SQL types a value of Former k of the column passes through to reach
// the column's type, in order: the explicit casts (Via) of each step, then the step's type.
func (c Column) FormerPath(k int) []arrow.DataType {
	var path []arrow.DataType
	for j := k; j >= 0; j-- {
		path = append(path, c.Former[j].Via...)
		if j > 0 {
			path = append(path, c.Former[j-1].Type)
		}
	}
	return append(path, c.SQL())
}

// CastPath converts a, stored values of SQL type from, through the SQL types of path in
// order, with PostgreSQL's casts (an explicit cast to character varying(n) truncates), and
// returns an array of the last type's stored type. It does not release a.
func CastPath(ctx context.Context, a arrow.Array, from arrow.DataType, path []arrow.DataType) (arrow.Array, error) {
	a.Retain()
	for _, t := range path {
		if arrow.TypeEqual(from, t) {
			continue // an identity step: a former name of the column with its type (a lifted fence)
		}
		out, err := function.CastSQL(ctx, a, from, t)
		a.Release()
		if err != nil {
			return nil, err
		}
		a, from = out, t
		if n, ok := types.CharLength(t); ok && n >= 0 {
			out := truncate(ctx, a, int(n))
			a.Release()
			a = out
		}
	}
	if len(path) > 0 {
		if st := types.Storage(path[len(path)-1]); !arrow.TypeEqual(a.DataType(), st) {
			out, err := exec.CastArray(ctx, a, st)
			a.Release()
			if err != nil {
				return nil, err
			}
			a = out
		}
	}
	return a, nil
}

// ConvertFormer is t's merge.Converter: it converts values a file holds under former name k
// of the column stored as field.Name to the column's type.
func (t *Table) ConvertFormer(ctx context.Context, field arrow.Field, k int, a arrow.Array) (arrow.Array, error) {
	for _, c := range t.Columns {
		if c.StoredName() == field.Name {
			if k < 0 || k >= len(c.Former) {
				break
			}
			return c.convertFormer(ctx, k, a)
		}
	}
	return nil, fmt.Errorf("catalog: table %s has no former column %d of %q", t.Name, k, field.Name)
}

var _ merge.Converter = (*Table)(nil).ConvertFormer

// convertFormer converts values of Former k of c to c's type, step by step: casts, and the
// reshapes of records of a changed composite type. It does not release a.
func (c Column) convertFormer(ctx context.Context, k int, a arrow.Array) (arrow.Array, error) {
	if !slices.ContainsFunc(c.Former[:k+1], func(f Former) bool { return f.Fields != nil }) {
		return CastPath(ctx, a, c.Former[k].Type, c.FormerPath(k))
	}
	a.Retain()
	for j := k; j >= 0; j-- {
		next := c.SQL()
		if j > 0 {
			next = c.Former[j-1].Type
		}
		var out arrow.Array
		var err error
		if f := c.Former[j]; f.Fields != nil {
			out, err = reshape(ctx, a, types.Storage(next), f.Fields)
		} else {
			out, err = CastPath(ctx, a, f.Type, append(slices.Clone(f.Via), next))
		}
		a.Release()
		if err != nil {
			return nil, err
		}
		a = out
	}
	return a, nil
}

// reshape returns the records of a (or of the arrays of records a holds) as records of the
// stored type to, whose field i is a's field fields[i], or NULL for -1. The values are a's,
// not copied. It does not release a.
func reshape(ctx context.Context, a arrow.Array, to arrow.DataType, fields []int) (arrow.Array, error) {
	d := a.Data()
	switch tt := to.(type) {
	case *arrow.ListType:
		l, ok := a.(*array.List)
		if !ok {
			break
		}
		vals, err := reshape(ctx, l.ListValues(), tt.Elem(), fields)
		if err != nil {
			return nil, err
		}
		defer vals.Release()
		nd := array.NewData(to, d.Len(), d.Buffers(), []arrow.ArrayData{vals.Data()}, d.NullN(), d.Offset())
		defer nd.Release()
		return array.MakeFromData(nd), nil
	case *arrow.StructType:
		_, ok := a.(*array.Struct)
		if !ok || tt.NumFields() != len(fields) {
			break
		}
		n := d.Offset() + d.Len()
		children := make([]arrow.ArrayData, len(fields))
		for i, k := range fields {
			ft := tt.Field(i).Type
			if k < 0 || k >= len(d.Children()) {
				nulls := array.MakeArrayOfNull(exec.Allocator(ctx), ft, n)
				defer nulls.Release()
				children[i] = nulls.Data()
				continue
			}
			cd := d.Children()[k]
			cd2 := array.NewData(ft, cd.Len(), cd.Buffers(), cd.Children(), cd.NullN(), cd.Offset())
			defer cd2.Release()
			children[i] = cd2
		}
		nd := array.NewData(to, d.Len(), d.Buffers(), children, d.NullN(), d.Offset())
		defer nd.Release()
		return array.MakeFromData(nd), nil
	}
	return nil, fmt.Errorf("catalog: cannot reshape %s into %s", a.DataType(), to)
}

// hasFormers reports whether a column of t has a former type: files may hold values reads
// convert.
func (t *Table) hasFormers() bool {
	for _, c := range t.Columns {
		if len(c.Former) > 0 {
			return true
		}
	}
	return false
}

// formerIndex returns the index of the Former of column c that name is, or -1.
func formerIndex(c Column, name string) int {
	for k, f := range c.Former {
		if f.Stored == name {
			return k
		}
	}
	return -1
}

// truncate returns the strings of a cut to n characters, as an explicit cast to character
// varying(n) cuts them.
func truncate(ctx context.Context, a arrow.Array, n int) arrow.Array {
	s, ok := a.(*array.String)
	if !ok {
		a.Retain()
		return a
	}
	b := array.NewStringBuilder(exec.Allocator(ctx))
	defer b.Release()
	b.Reserve(s.Len())
	for i := 0; i < s.Len(); i++ {
		if s.IsNull(i) {
			b.AppendNull()
			continue
		}
		v := s.Value(i)
		if utf8.RuneCountInString(v) > n {
			cut := 0
			for k := 0; k < n; k++ {
				_, w := utf8.DecodeRuneInString(v[cut:])
				cut += w
			}
			v = v[:cut]
		}
		b.Append(v)
	}
	return b.NewArray()
}
