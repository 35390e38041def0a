// Package function is the library of scalar functions: string, date/time, math, numeric,
// array, JSON, UUID, size, sequence, setting and catalog functions, to_char and to_number,
// each registered by name with the resolution of its argument types and a kernel over
// Arrow arrays, and Func, the exec.Expr that calls one.
//
// It sits above exec, apart from the operators as DuckDB keeps function/ apart from
// execution/: exec evaluates expressions and runs operators and never names a function;
// the binder (FuncResultType) and the physical planner (NewFunc) look functions up here.
// The kernels build on exec's value helpers and casts (exec/kernel_api.go), and read what
// they need of the statement from the context exec defines (exec/context.go): the
// allocator, the time zone, the statement time, the session's settings and sequences and
// the database's type names.
//
// Each file registers its functions in a register function of its own, which the one init
// in func.go calls in a fixed order. A name holds a set of overloads: the first takes any
// call, and each later one (a bytea or numeric overload) says which calls it takes and
// answers them before the earlier ones, so it is registered after them. A call resolves to
// one overload once, when it is planned.
package function
