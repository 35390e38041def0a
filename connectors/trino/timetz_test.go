package trino

import (
	"context"
	"reflect"
	"testing"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// TestTimeTZColumns reads timetz and timetz[] columns through the Thrift connector: both are
// varchar holding PostgreSQL's text of them.
func TestTimeTZColumns(t *testing.T) {
	ctx := context.Background()
	eng := openEngine(t, objstore.NewMem())
	run(t, eng,
		`CREATE TABLE ttz (k integer, t timetz, ta timetz[]) WITH (row_keys = 'k')`,
		`INSERT INTO ttz VALUES (1, '10:00:00.5+05:30', ARRAY['23:59:59-15:59:59'::timetz, NULL]), (2, NULL, NULL)`,
	)
	c, _ := serve(t, eng)
	cols, types := tableColumns(ctx, t, c, "ttz")
	if want := []string{"integer", "varchar", "varchar"}; !reflect.DeepEqual(types, want) {
		t.Fatalf("types %v, want %v", types, want)
	}
	rows := readTable(t, c, "ttz", all(), cols, types)
	sortRows(rows)
	want := [][]any{{int32(1), "10:00:00.5+05:30", "{23:59:59-15:59:59,NULL}"}, {int32(2), nil, nil}}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows\n%q\nwant\n%q", rows, want)
	}
}
