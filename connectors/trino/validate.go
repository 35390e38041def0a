package trino

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sleeperd/sleeperd/connectors/trino/trinothrift"
)

// ValidatePage checks the invariants Trino's Thrift connector relies on for a page whose
// columns have the given Trino types (as TrinoGetTableMetadata names them): one block per
// column, exactly one data field set in each block and the one of its column's type, every
// block holding RowCount rows (the length of nulls if set, else of the values or sizes),
// value and size lists as long as the nulls when both are set, sizes that are not negative
// and sum to the length of the bytes (and, for arrays, to the element count).
func ValidatePage(p *trinothrift.TrinoThriftPageResult_, types []string) error {
	if p == nil {
		return errors.New("no page")
	}
	if p.RowCount < 0 {
		return fmt.Errorf("rowCount %d is negative", p.RowCount)
	}
	if len(p.ColumnBlocks) != len(types) {
		return fmt.Errorf("%d column blocks for %d columns", len(p.ColumnBlocks), len(types))
	}
	for i, blk := range p.ColumnBlocks {
		k, ok := kindOfTrinoType(types[i])
		if !ok {
			return fmt.Errorf("column %d: type %q is not one the connector accepts", i, types[i])
		}
		if err := checkBlock(blk, k, int(p.RowCount)); err != nil {
			return fmt.Errorf("column %d (%s): %w", i, types[i], err)
		}
	}
	return nil
}

// kindOfTrinoType is the block kind of a Trino type name.
func kindOfTrinoType(t string) (kind, bool) {
	switch {
	case t == "integer":
		return kindInteger, true
	case t == "bigint":
		return kindBigint, true
	case t == "double":
		return kindDouble, true
	case t == "varchar" || strings.HasPrefix(t, "varchar("):
		return kindVarchar, true
	case t == "boolean":
		return kindBoolean, true
	case t == "date":
		return kindDate, true
	case t == "timestamp(3)" || t == "timestamp":
		return kindTimestamp, true
	case t == "json":
		return kindJSON, true
	case t == "array(bigint)":
		return kindBigintList, true
	case t == "HyperLogLog":
		return kindHyperLogLog, true
	}
	return 0, false
}

// checkBlock checks one block of rows rows of kind k (kindText is checked as varchar).
func checkBlock(blk *trinothrift.TrinoThriftBlock, k kind, rows int) error {
	if blk == nil {
		return errors.New("no block")
	}
	set := 0
	for _, isSet := range []bool{blk.IsSetIntegerData(), blk.IsSetBigintData(), blk.IsSetDoubleData(), blk.IsSetVarcharData(),
		blk.IsSetBooleanData(), blk.IsSetDateData(), blk.IsSetTimestampData(), blk.IsSetJsonData(), blk.IsSetHyperLogLogData(), blk.IsSetBigintArrayData()} {
		if isSet {
			set++
		}
	}
	if set != 1 {
		return fmt.Errorf("%d data fields set, not one", set)
	}
	fixed := func(nulls []bool, n int, isNil bool) error {
		if nulls != nil && !isNil && n != len(nulls) {
			return fmt.Errorf("%d values for %d nulls", n, len(nulls))
		}
		got := n
		if nulls != nil {
			got = len(nulls)
		} else if isNil {
			got = 0
		}
		if got != rows {
			return fmt.Errorf("%d rows, not %d", got, rows)
		}
		return nil
	}
	sized := func(nulls []bool, sizes []int32, total int, what string) error {
		if err := fixed(nulls, len(sizes), sizes == nil); err != nil {
			return err
		}
		sum := 0
		for i, s := range sizes {
			if s < 0 {
				return fmt.Errorf("size %d of row %d is negative", s, i)
			}
			if nulls != nil && nulls[i] && s != 0 {
				return fmt.Errorf("NULL row %d has size %d", i, s)
			}
			sum += int(s)
		}
		if sum != total {
			return fmt.Errorf("sizes sum to %d, %s hold %d", sum, what, total)
		}
		return nil
	}
	switch k {
	case kindInteger:
		if d := blk.IntegerData; d != nil {
			return fixed(d.Nulls, len(d.Ints), d.Ints == nil)
		}
	case kindBigint:
		if d := blk.BigintData; d != nil {
			return fixed(d.Nulls, len(d.Longs), d.Longs == nil)
		}
	case kindDouble:
		if d := blk.DoubleData; d != nil {
			return fixed(d.Nulls, len(d.Doubles), d.Doubles == nil)
		}
	case kindBoolean:
		if d := blk.BooleanData; d != nil {
			return fixed(d.Nulls, len(d.Booleans), d.Booleans == nil)
		}
	case kindDate:
		if d := blk.DateData; d != nil {
			return fixed(d.Nulls, len(d.Dates), d.Dates == nil)
		}
	case kindTimestamp:
		if d := blk.TimestampData; d != nil {
			return fixed(d.Nulls, len(d.Timestamps), d.Timestamps == nil)
		}
	case kindVarchar, kindText:
		if d := blk.VarcharData; d != nil {
			return sized(d.Nulls, d.Sizes, len(d.Bytes), "bytes")
		}
	case kindJSON:
		if d := blk.JsonData; d != nil {
			return sized(d.Nulls, d.Sizes, len(d.Bytes), "bytes")
		}
	case kindHyperLogLog:
		if d := blk.HyperLogLogData; d != nil {
			return sized(d.Nulls, d.Sizes, len(d.Bytes), "bytes")
		}
	case kindBigintList:
		if d := blk.BigintArrayData; d != nil {
			n := 0
			if d.Values != nil {
				if d.Values.Nulls != nil && d.Values.Longs != nil && len(d.Values.Nulls) != len(d.Values.Longs) {
					return fmt.Errorf("array elements: %d values for %d nulls", len(d.Values.Longs), len(d.Values.Nulls))
				}
				n = max(len(d.Values.Longs), len(d.Values.Nulls))
			}
			return sized(d.Nulls, d.Sizes, n, "elements")
		}
	}
	return fmt.Errorf("the data field set is not the one of type %s", k.trinoType())
}
