package function

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
)

func TestArrayFunctions(t *testing.T) {
	a := func(v ...any) *exec.Literal { return lit(t, ints(v...), tI32s) }
	null := lit(t, nil, tI32s)
	i := func(v int) *exec.Literal { return lit(t, int32(v), tI32) }
	s := func(v string) *exec.Literal { return lit(t, v, tStr) }
	ns := lit(t, nil, tStr)
	ni := lit(t, nil, tI32)
	tests := []struct {
		fn   string
		args []exec.Expr
		want string
	}{
		{"cardinality", []exec.Expr{a(1, nil, 3)}, "3"},
		{"cardinality", []exec.Expr{a()}, "0"},
		{"cardinality", []exec.Expr{null}, "NULL"},
		{"array_length", []exec.Expr{a(1, 2), i(1)}, "2"},
		{"array_length", []exec.Expr{a(1, 2), i(2)}, "NULL"},
		{"array_length", []exec.Expr{a(), i(1)}, "NULL"},
		{"array_lower", []exec.Expr{a(1, 2), i(1)}, "1"},
		{"array_upper", []exec.Expr{a(1, 2), i(1)}, "2"},
		{"array_upper", []exec.Expr{a(), i(1)}, "NULL"},
		{"array_to_string", []exec.Expr{a(1, nil, 3), s(",")}, "1,3"},
		{"array_to_string", []exec.Expr{a(1, nil, 3), s("-"), s("*")}, "1-*-3"},
		{"array_to_string", []exec.Expr{a(1, nil, 3), s("-"), ns}, "1-3"},
		{"array_to_string", []exec.Expr{a(1), ns}, "NULL"},
		{"array_to_string", []exec.Expr{a(), s(",")}, ""},
		{"string_to_array", []exec.Expr{s("a,b,,c"), s(",")}, `{a,b,"",c}`},
		{"string_to_array", []exec.Expr{s("a,b,x"), s(","), s("x")}, `{a,b,NULL}`},
		{"string_to_array", []exec.Expr{s("abc"), ns}, `{a,b,c}`},
		{"string_to_array", []exec.Expr{s("abc"), s("")}, `{abc}`},
		{"string_to_array", []exec.Expr{s(""), s(",")}, `{}`},
		{"string_to_array", []exec.Expr{ns, s(",")}, `NULL`},
		{"array_append", []exec.Expr{a(1), i(2)}, "{1,2}"},
		{"array_append", []exec.Expr{null, i(2)}, "{2}"},
		{"array_append", []exec.Expr{a(1), ni}, "{1,NULL}"},
		{"array_prepend", []exec.Expr{i(0), a(1)}, "{0,1}"},
		{"array_cat", []exec.Expr{a(1), a(2, 3)}, "{1,2,3}"},
		{"array_cat", []exec.Expr{null, a(2)}, "{2}"},
		{"array_cat", []exec.Expr{null, null}, "NULL"},
		{"array_position", []exec.Expr{a(5, 6, 6), i(6)}, "2"},
		{"array_position", []exec.Expr{a(5, nil), ni}, "2"},
		{"array_position", []exec.Expr{a(5), i(7)}, "NULL"},
		{"array_position", []exec.Expr{a(1, 2, 3, 2, 1), i(2), i(3)}, "4"},
		{"array_position", []exec.Expr{a(1, 2, 3, 2, 1), i(1), i(2)}, "5"},
		{"array_position", []exec.Expr{a(1, 2, 3, 2, 1), i(2), i(-7)}, "2"},
		{"array_position", []exec.Expr{a(1, 2), i(2), i(9)}, "NULL"},
		{"array_position", []exec.Expr{a(1, nil, 3, nil), ni, i(3)}, "4"},
		{"array_position", []exec.Expr{null, i(2), ni}, "NULL"},
		{"array_remove", []exec.Expr{a(1, 2, 1, nil), i(1)}, "{2,NULL}"},
		{"array_remove", []exec.Expr{a(1, nil), ni}, "{1}"},
		{"array_contains", []exec.Expr{a(1, 2, 3), a(3, 1)}, "true"},
		{"array_contains", []exec.Expr{a(1, 2, 3), a(4)}, "false"},
		{"array_contains", []exec.Expr{a(1, nil), a(nil)}, "false"},
		{"array_contains", []exec.Expr{a(1), a()}, "true"},
		{"array_contains", []exec.Expr{null, a()}, "NULL"},
		{"array_overlap", []exec.Expr{a(1, 2), a(2, 9)}, "true"},
		{"array_overlap", []exec.Expr{a(1, nil), a(nil, 9)}, "false"},
		{"array_subscript", []exec.Expr{a(7, 8), i(2)}, "8"},
		{"array_subscript", []exec.Expr{a(7, 8), i(3)}, "NULL"},
		{"array_subscript", []exec.Expr{a(7, 8), i(0)}, "NULL"},
		{"array_subscript", []exec.Expr{a(7, nil), i(2)}, "NULL"},
		{"array_positions", []exec.Expr{a(1, 2, 1, nil), i(1)}, "{1,3}"},
		{"array_positions", []exec.Expr{a(1, nil, nil), ni}, "{2,3}"},
		{"array_positions", []exec.Expr{a(1), i(2)}, "{}"},
		{"array_positions", []exec.Expr{null, i(2)}, "NULL"},
		{"array_replace", []exec.Expr{a(1, 2, 1), i(1), i(9)}, "{9,2,9}"},
		{"array_replace", []exec.Expr{a(1, nil), ni, i(0)}, "{1,0}"},
		{"array_replace", []exec.Expr{a(1, 2), i(2), ni}, "{1,NULL}"},
		{"array_replace", []exec.Expr{null, i(2), i(3)}, "NULL"},
		{"array_slice", []exec.Expr{a(1, 2, 3), i(2), i(3)}, "{2,3}"},
		{"array_slice", []exec.Expr{a(1, 2, 3), i(-4), i(1)}, "{1}"},
		{"array_slice", []exec.Expr{a(1, 2, 3), i(3), i(2)}, "{}"},
		{"array_slice", []exec.Expr{a(1, 2, 3), i(4), i(9)}, "{}"},
		{"array_slice", []exec.Expr{a(1, nil, 3), i(2), i(2)}, "{NULL}"},
		{"array_slice", []exec.Expr{a(1, 2), ni, i(2)}, "NULL"},
		{"array_slice", []exec.Expr{null, i(1), i(2)}, "NULL"},
	}
	for _, tc := range tests {
		t.Run(tc.fn+"("+exec.JoinExprs(tc.args)+")", func(t *testing.T) {
			ctx, mem := checkedCtx(t)
			b := col(t, mem, tI32, 1)
			defer b.Release()
			e, err := NewFunc(tc.fn, tc.args)
			if err != nil {
				t.Fatal(err)
			}
			got, err := evalText(ctx, e, b)
			if err != nil || got[0] != tc.want {
				t.Fatalf("got %q, %v, want %s", got, err, tc.want)
			}
		})
	}
	// A NULL start position of a non-NULL array is an error.
	ctx, mem := checkedCtx(t)
	b := col(t, mem, tI32, 1)
	defer b.Release()
	pos, err := NewFunc("array_position", []exec.Expr{a(1), i(1), ni})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := evalText(ctx, pos, b); !errorsIs(err, errs.NullNotAllowed) {
		t.Fatalf("array_position with a NULL start: %v", err)
	}
	for _, bad := range [][]exec.Expr{{i(1)}, {a(1), s("x")}} {
		if _, err := NewFunc("array_append", bad); !errorsIs(err, errs.UndefinedFunction) {
			t.Fatalf("array_append(%s): %v", exec.JoinExprs(bad), err)
		}
	}
}
func TestUnnestBatches(t *testing.T) {
	ctx, mem := checkedCtx(t)
	n := exec.BatchRows + 5
	long := make([]any, n)
	for i := range long {
		long[i] = int32(i)
	}
	// The lists come from an expression, so input rows do not carry them.
	s := schemaOf(tI32)
	v := mkValues(t, s, mkBatch(t, mem, s, []any{1}, []any{2}))
	e, err := NewFunc("array_cat", []exec.Expr{lit(t, long, tI32s), lit(t, ints(1, 2), tI32s)})
	if err != nil {
		t.Fatal(err)
	}
	u, err := exec.NewUnnest(v, []exec.Expr{e}, []string{"x"}, "")
	if err != nil {
		t.Fatal(err)
	}
	bs, err := exec.Collect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer releaseBatches(bs)
	total := 0
	for _, b := range bs {
		if b.NumRows() > exec.BatchRows {
			t.Fatalf("batch of %d rows", b.NumRows())
		}
		total += int(b.NumRows())
	}
	if total != 2*(n+2) {
		t.Fatalf("%d rows, want %d", total, 2*(n+2))
	}
	last := bs[len(bs)-1]
	if got := texts(last.Column(1)); !strings.HasSuffix(strings.Join(got, ","), fmt.Sprintf("%d,1,2", n-1)) {
		t.Fatalf("last batch ends %q", got[max(0, len(got)-3):])
	}
}
