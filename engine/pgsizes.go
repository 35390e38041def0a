package engine

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/catalog"
)

// relationSizes computes catalog.RelationSizesTable from the tables' committed state: a
// table's size is the bytes of the data files its partitions reference now (files that
// wait for garbage collection are no longer the table's), all of it the main fork, as
// sleeperd keeps no free space or visibility maps and no TOAST. Indexes hold no data of
// their own (a primary key is the table's sort order, a created index is a name only), and
// views and the pg_catalog and information_schema tables store nothing, so their sizes
// are 0.
func (e *Engine) relationSizes(ctx context.Context) (arrow.RecordBatch, error) {
	cur, err := e.cat.Current(ctx)
	if err != nil {
		return nil, err
	}
	tables, err := cur.Tables(ctx)
	if err != nil {
		return nil, err
	}
	views, err := cur.Views(ctx)
	if err != nil {
		return nil, err
	}
	indexes, err := cur.AllIndexes(ctx)
	if err != nil {
		return nil, err
	}
	// The batch lives in Go memory, as the other system tables' do (see systemTable).
	b := array.NewRecordBuilder(memory.DefaultAllocator, catalog.RelationSizes)
	defer b.Release()
	row := func(oid, data int64) {
		for i, v := range []int64{oid, data, data, 0, data} {
			b.Field(i).(*array.Int64Builder).Append(v)
		}
	}
	for _, t := range tables {
		state, err := e.ss.Snapshot(ctx, t.StateID())
		if err != nil {
			return nil, err
		}
		var data int64
		for _, f := range state.Files() {
			if len(state.FileReferences(f.Name)) > 0 {
				data += f.Bytes
			}
		}
		row(catalog.RelationOID(t.ID), data)
		if len(t.KeyColumns()) > 0 {
			row(catalog.PrimaryKeyOID(t.ID), 0)
		}
	}
	for _, ix := range indexes {
		row(catalog.IndexOID(ix.Name), 0)
	}
	for _, v := range views {
		row(catalog.ViewOID(v.Name), 0)
	}
	for name := range catalog.PGCatalogTables {
		row(catalog.PGSystemTableOID(catalog.PGCatalogSchema, name), 0)
	}
	for name := range catalog.InformationSchemaTables {
		row(catalog.PGSystemTableOID(catalog.InformationSchemaSchema, name), 0)
	}
	return b.NewRecordBatch(), nil
}
