package function

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/exec"
)

// TestTextPrefix checks which substr calls offer the group table their string's first
// characters as a key (exec.TextPrefixer), and how many: a literal start <= 1 and count >= 0
// reaching at most 7 characters; substr with a later start, a longer reach, a start or count
// that is not a literal, or of a non-text value, does not.
func TestTextPrefix(t *testing.T) {
	s := mustCol(t, 0, arrow.BinaryTypes.String)
	i64 := arrow.PrimitiveTypes.Int64
	cases := []struct {
		args []exec.Expr
		n    int
		ok   bool
	}{
		{[]exec.Expr{s, lit(t, int64(1), i64), lit(t, int64(4), i64)}, 4, true},
		{[]exec.Expr{s, lit(t, int64(1), i64), lit(t, int64(0), i64)}, 0, true},
		{[]exec.Expr{s, lit(t, int64(1), i64), lit(t, int64(7), i64)}, 7, true},
		{[]exec.Expr{s, lit(t, int64(0), i64), lit(t, int64(3), i64)}, 2, true},
		{[]exec.Expr{s, lit(t, int64(-2), i64), lit(t, int64(5), i64)}, 2, true},
		{[]exec.Expr{s, lit(t, int64(-5), i64), lit(t, int64(2), i64)}, 0, true},
		{[]exec.Expr{s, lit(t, int64(0), i64), lit(t, int64(8), i64)}, 7, true},
		{[]exec.Expr{s, lit(t, int64(1), i64), lit(t, int64(8), i64)}, 0, false},
		{[]exec.Expr{s, lit(t, int64(2), i64), lit(t, int64(3), i64)}, 0, false},
		{[]exec.Expr{s, lit(t, int64(0), i64), lit(t, int64(9), i64)}, 0, false},
		{[]exec.Expr{s, lit(t, int64(1), i64), lit(t, int64(-1), i64)}, 0, false},
		{[]exec.Expr{s, mustCol(t, 1, i64), lit(t, int64(3), i64)}, 0, false},
		{[]exec.Expr{s, lit(t, int64(1), i64)}, 0, false},
	}
	for _, c := range cases {
		f, err := NewFunc("substr", c.args)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(fmt.Sprint(f), func(t *testing.T) {
			p, ok := f.(exec.TextPrefixer)
			if !ok {
				t.Fatalf("%T is not a TextPrefixer", f)
			}
			arg, n, ok := p.TextPrefix()
			if ok != c.ok || n != c.n {
				t.Fatalf("TextPrefix: %d, %v; want %d, %v", n, ok, c.n, c.ok)
			}
			if ok && arg != s {
				t.Fatalf("prefix of %v, want the string column", arg)
			}
		})
	}
}
