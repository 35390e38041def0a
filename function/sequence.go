package function

import (
	"context"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
)

// volatile are the functions whose every call may return something else, or change state:
// they are never evaluated at planning time.
var volatile = map[string]bool{"nextval": true, "setval": true, "currval": true, "lastval": true, "random": true}

// Volatile reports whether the scalar function name must be evaluated for each row, never
// folded into a constant.
func Volatile(name string) bool { return volatile[strings.ToLower(name)] }

// SequenceName is the name of the sequence a nextval argument (regclass text) designates:
// an unquoted name folded to lower case, a quoted one as written, the public schema allowed.
func SequenceName(s string) string {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(strings.ToLower(s), "public."); ok && !strings.HasPrefix(s, `"`) {
		s = s[len(s)-len(rest):]
	} else if strings.HasPrefix(s, `"public".`) {
		s = s[len(`"public".`):]
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return strings.ReplaceAll(s[1:len(s)-1], `""`, `"`)
	}
	return strings.ToLower(s)
}

func registerSequence() {
	i64 := arrow.PrimitiveTypes.Int64
	seqs := func(ctx context.Context) (exec.Sequences, error) {
		s := exec.SequencesOf(ctx)
		if s == nil {
			return nil, errs.New(errs.NotImplemented, "sequence functions are not available here")
		}
		return s, nil
	}
	register(function{resolve: signature("nextval", i64, []int{pText}), evalCtx: func(ctx context.Context, n int, _ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		s, err := seqs(ctx)
		if err != nil {
			return nil, err
		}
		names := args[0].(*array.String)
		b := array.NewInt64Builder(exec.Allocator(ctx))
		defer b.Release()
		b.Reserve(n)
		// Rows naming the same sequence as the one before take their values in one call.
		for i := 0; i < n; {
			if names.IsNull(i) {
				b.AppendNull()
				i++
				continue
			}
			j := i + 1
			for j < n && names.IsValid(j) && names.Value(j) == names.Value(i) {
				j++
			}
			vals, err := s.NextVal(ctx, SequenceName(names.Value(i)), j-i)
			if err != nil {
				return nil, err
			}
			b.AppendValues(vals, nil)
			i = j
		}
		return b.NewArray(), nil
	}}, "nextval")
	register(function{resolve: signature("currval", i64, []int{pText}), evalCtx: func(ctx context.Context, n int, _ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		s, err := seqs(ctx)
		if err != nil {
			return nil, err
		}
		names := args[0].(*array.String)
		b := array.NewInt64Builder(exec.Allocator(ctx))
		defer b.Release()
		for i := 0; i < n; i++ {
			if names.IsNull(i) {
				b.AppendNull()
				continue
			}
			v, err := s.CurrVal(ctx, SequenceName(names.Value(i)))
			if err != nil {
				return nil, err
			}
			b.Append(v)
		}
		return b.NewArray(), nil
	}}, "currval")
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 0 {
			return nil, nil, undefinedFunc("lastval", args)
		}
		return i64, nil, nil
	}, evalCtx: func(ctx context.Context, n int, _ arrow.DataType, _ []arrow.Array) (arrow.Array, error) {
		s, err := seqs(ctx)
		if err != nil {
			return nil, err
		}
		b := array.NewInt64Builder(exec.Allocator(ctx))
		defer b.Release()
		for i := 0; i < n; i++ {
			v, err := s.LastVal(ctx)
			if err != nil {
				return nil, err
			}
			b.Append(v)
		}
		return b.NewArray(), nil
	}}, "lastval")
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		switch {
		case len(args) == 2 && args[0].ID() == arrow.STRING && exec.IsInteger(args[1]):
			return i64, []arrow.DataType{nil, i64}, nil
		case len(args) == 3 && args[0].ID() == arrow.STRING && exec.IsInteger(args[1]) && args[2].ID() == arrow.BOOL:
			return i64, []arrow.DataType{nil, i64, nil}, nil
		}
		return nil, nil, undefinedFunc("setval", args)
	}, evalCtx: func(ctx context.Context, n int, _ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		s, err := seqs(ctx)
		if err != nil {
			return nil, err
		}
		names, vals := args[0].(*array.String), args[1].(*array.Int64)
		b := array.NewInt64Builder(exec.Allocator(ctx))
		defer b.Release()
		for i := 0; i < n; i++ {
			called := true
			if len(args) == 3 {
				if args[2].IsNull(i) {
					b.AppendNull()
					continue
				}
				called = args[2].(*array.Boolean).Value(i)
			}
			if names.IsNull(i) || vals.IsNull(i) {
				b.AppendNull()
				continue
			}
			v, err := s.SetVal(ctx, SequenceName(names.Value(i)), vals.Value(i), called)
			if err != nil {
				return nil, err
			}
			b.Append(v)
		}
		return b.NewArray(), nil
	}}, "setval")
}
