package function

import (
	"errors"
	"testing"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
)

// Expected values are PostgreSQL 15's.
func TestStringFunctions(t *testing.T) {
	s := func(v string) exec.Expr { return lit(t, v, tStr) }
	n := func(v int) exec.Expr { return lit(t, v, tI32) }
	runFuncCases(t, []funcCase{
		{"position", []exec.Expr{s("hello"), s("lo")}, "4", tI32},
		{"strpos", []exec.Expr{s("héllo"), s("l")}, "3", tI32},
		{"strpos", []exec.Expr{s("hello"), s("z")}, "0", tI32},
		{"btrim", []exec.Expr{s("  ab  ")}, "ab", tStr},
		{"btrim", []exec.Expr{s("xxabyx"), s("xy")}, "ab", tStr},
		{"ltrim", []exec.Expr{s("  ab ")}, "ab ", tStr},
		{"rtrim", []exec.Expr{s("xaxx"), s("x")}, "xa", tStr},
		{"trim", []exec.Expr{s("xaxx"), s("x")}, "a", tStr},
		{"replace", []exec.Expr{s("abcabc"), s("b"), s("XY")}, "aXYcaXYc", tStr},
		{"split_part", []exec.Expr{s("a,b,c"), s(","), n(2)}, "b", tStr},
		{"split_part", []exec.Expr{s("a,b,c"), s(","), n(-1)}, "c", tStr},
		{"split_part", []exec.Expr{s("a,b,c"), s(","), lit(t, 5, tI64)}, "", tStr},
		{"starts_with", []exec.Expr{s("alpha"), s("al")}, "true", tBool},
		{"left", []exec.Expr{s("héllo"), n(2)}, "hé", tStr},
		{"left", []exec.Expr{s("hello"), n(-2)}, "hel", tStr},
		{"right", []exec.Expr{s("hello"), n(2)}, "lo", tStr},
		{"right", []exec.Expr{s("hello"), n(-2)}, "llo", tStr},
		{"lpad", []exec.Expr{s("hi"), n(5)}, "   hi", tStr},
		{"lpad", []exec.Expr{s("hi"), n(5), s("xy")}, "xyxhi", tStr},
		{"rpad", []exec.Expr{s("hi"), n(5), s("xy")}, "hixyx", tStr},
		{"lpad", []exec.Expr{s("hello"), n(3)}, "hel", tStr},
		{"repeat", []exec.Expr{s("ab"), n(3)}, "ababab", tStr},
		{"reverse", []exec.Expr{s("héllo")}, "olléh", tStr},
		{"md5", []exec.Expr{s("abc")}, "900150983cd24fb0d6963f7d28e17f72", tStr},
		{"initcap", []exec.Expr{s("hello wORLD foo-bar 3rd")}, "Hello World Foo-Bar 3rd", tStr},
		{"concat_ws", []exec.Expr{s(","), s("a"), lit(t, nil, tStr), n(1), lit(t, true, tBool)}, "a,1,t", tStr},
		{"concat_ws", []exec.Expr{lit(t, nil, tStr), s("a")}, "NULL", tStr},
		{"regexp_replace", []exec.Expr{s("foobarbaz"), s("b(..)"), s(`X\1Y`)}, "fooXarYbaz", tStr},
		{"regexp_replace", []exec.Expr{s("foobarbaz"), s("b(..)"), s(`X\1Y`), s("g")}, "fooXarYXazY", tStr},
		{"regexp_replace", []exec.Expr{s("Hello"), s("l"), s("L"), s("gi")}, "HeLLo", tStr},
		{"regexp_replace", []exec.Expr{s("abc"), s("(b)"), s(`[\&]`)}, "a[b]c", tStr},
		{"regexp_replace", []exec.Expr{s("a$b"), s(`\$`), s("$1")}, "a$1b", tStr},
		{"replace", []exec.Expr{lit(t, nil, tStr), s("a"), s("b")}, "NULL", tStr},
	})
	ctx, mem := checkedCtx(t)
	batch := col(t, mem, tI32, 1)
	defer batch.Release()
	e, err := NewFunc("split_part", []exec.Expr{s("a"), s(","), n(0)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := evalText(ctx, e, batch); !errors.Is(err, errs.InvalidParameter) {
		t.Errorf("split_part(..., 0): %v", err)
	}
	if _, err := NewFunc("left", []exec.Expr{s("a"), s("b")}); !errors.Is(err, errs.UndefinedFunction) {
		t.Errorf("left(text, text): %v", err)
	}
}
