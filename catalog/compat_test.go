package catalog

import (
	"context"
	"testing"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// A catalog written before column defaults, checks, identity, stored names and comments
// existed still loads: every new field is optional and absent means none.
func TestOldCatalogEntriesLoad(t *testing.T) {
	ctx := context.Background()
	store := objstore.NewMem()
	old := `{"op":"CreateTable","time":"2026-01-01T00:00:00Z","table":{"id":"0123456789abcdef01234567","name":"t",` +
		`"columns":[{"name":"k","type":"int64"},{"name":"v","type":"string","nullable":true}],"rowKeys":[0]}}`
	if err := store.PutIfAbsent(ctx, LogPrefix+"00000000000000000001.json", []byte(old)); err != nil {
		t.Fatal(err)
	}
	c := newCatalog(t, store)
	tb, err := c.Table(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	for _, col := range tb.Columns {
		if col.Default != "" || col.Identity != "" || col.Stored != "" || col.Missing != nil {
			t.Errorf("column %s: %+v", col.Name, col)
		}
	}
	if len(tb.Checks) != 0 || tb.Comment != "" || tb.Schema().Field(1).Name != "v" {
		t.Errorf("table: %+v", tb)
	}
	seqs, err := c.Sequences(ctx)
	if err != nil || len(seqs) != 0 {
		t.Errorf("sequences: %v %v", seqs, err)
	}
}
