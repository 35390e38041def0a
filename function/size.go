package function

import (
	"math/big"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/types"
)

// sizeUnits are pg_size_pretty's units, as PostgreSQL 15 has them: a unit is used when the
// size's absolute value, counted in it (in halves of it for a rounded unit), is below limit,
// or when it is the last. Rounded units round half away from zero.
var sizeUnits = []struct {
	name  string
	limit int64
	round bool
}{
	{"bytes", 10 * 1024, false},
	{"kB", 20*1024 - 1, true},
	{"MB", 20*1024 - 1, true},
	{"GB", 20*1024 - 1, true},
	{"TB", 20*1024 - 1, true},
	{"PB", 20*1024 - 1, true},
}

// sizeShift is the number of bits to divide a size counted in unit i by to count it in unit
// i+1: 10, one less when the next unit keeps a bit to round by, one more when unit i kept one.
func sizeShift(i int) uint {
	s := uint(9)
	if !sizeUnits[i+1].round {
		s++
	}
	if sizeUnits[i].round {
		s++
	}
	return s
}

// SizePretty is PostgreSQL's pg_size_pretty(bigint): size in bytes as a number of bytes, kB,
// MB, GB, TB or PB (powers of 1024).
func SizePretty(size int64) string {
	for i, u := range sizeUnits {
		abs := size
		if abs < 0 {
			abs = -abs
		}
		if i == len(sizeUnits)-1 || abs < u.limit {
			if u.round {
				if size < 0 {
					size = (size - 1) / 2
				} else {
					size = (size + 1) / 2
				}
			}
			return big.NewInt(size).String() + " " + u.name
		}
		size /= int64(1) << sizeShift(i)
	}
	panic("unreachable")
}

// SizePrettyNumeric is PostgreSQL's pg_size_pretty(numeric) over a decimal of the given
// scale: as SizePretty, with a size below 10240 bytes printed as the number it is.
// Unconstrained numeric (types.DefaultNumeric) keeps no scale of its own here, so its
// trailing zero decimals are dropped.
func SizePrettyNumeric(v decimal128.Num, typ *arrow.Decimal128Type) string {
	unscaled := v.BigInt()
	ten := big.NewInt(10)
	scale := new(big.Int).Exp(ten, big.NewInt(int64(typ.Scale)), nil)
	abs := new(big.Int).Abs(unscaled)
	if abs.Cmp(new(big.Int).Mul(big.NewInt(sizeUnits[0].limit), scale)) < 0 {
		s := v.ToString(typ.Scale)
		if arrow.TypeEqual(typ, types.DefaultNumeric) && strings.Contains(s, ".") {
			s = strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
		}
		return s + " " + sizeUnits[0].name
	}
	// Past the first unit every count is an integer: numeric's division truncates.
	size := new(big.Int).Quo(unscaled, scale)
	for i := 1; i < len(sizeUnits); i++ {
		size.Quo(size, new(big.Int).Lsh(big.NewInt(1), sizeShift(i-1)))
		u := sizeUnits[i]
		if i == len(sizeUnits)-1 || new(big.Int).Abs(size).Cmp(big.NewInt(u.limit)) < 0 {
			if size.Sign() < 0 {
				size.Sub(size, big.NewInt(1))
			} else {
				size.Add(size, big.NewInt(1))
			}
			size.Quo(size, big.NewInt(2))
			return size.String() + " " + u.name
		}
	}
	panic("unreachable")
}

func registerSize() {
	text := arrow.BinaryTypes.String
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) == 1 {
			switch args[0].ID() {
			case arrow.DECIMAL128:
				return text, nil, nil
			case arrow.INT64:
				return text, []arrow.DataType{nil}, nil
			case arrow.INT16, arrow.INT32:
				// Both bigint and numeric take a smaller integer.
				return nil, nil, errs.New(errs.AmbiguousFunction, "function pg_size_pretty(%s) is not unique", types.BaseName(args[0]))
			}
		}
		return nil, nil, undefinedFunc("pg_size_pretty", args)
	}, eval: func(mem memory.Allocator, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		if dt, ok := args[0].DataType().(*arrow.Decimal128Type); ok {
			return rowwise(false, func(v []any) (any, error) {
				return SizePrettyNumeric(v[0].(decimal128.Num), dt), nil
			})(mem, typ, args)
		}
		return rowwise(false, func(v []any) (any, error) {
			return SizePretty(v[0].(int64)), nil
		})(mem, typ, args)
	}}, "pg_size_pretty")
}
