package catalog

import (
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/types"
)

// flatKeys refuses a record or map column among t's row keys and sort keys: nested values
// are value columns only, and keys stay flat.
func flatKeys(t *Table) error {
	for _, ks := range [][]int{t.RowKeys, t.SortKeys} {
		for _, i := range ks {
			c := &t.Columns[i]
			if types.IsNested(c.Type) {
				return errs.New(errs.NotImplemented, "column %q of type %s cannot be a row key or sort key: keys are flat columns", c.Name, types.Name(c.SQL()))
			}
		}
	}
	return nil
}
