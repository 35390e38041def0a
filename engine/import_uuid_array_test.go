package engine

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// TestCopyParquetIntoUUIDArray copies Parquet lists into a uuid[] column: text elements are
// read as uuids, binary elements of 16 bytes are taken as they are, and text that is no
// uuid or binary of another length fails with 22P02, as PostgreSQL's uuid input does.
func TestCopyParquetIntoUUIDArray(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE u (k bigint NOT NULL, c uuid[]) WITH (row_keys = 'k')")
	dir := t.TempDir()
	file := func(name string, elem arrow.DataType, rows [][]any) string {
		t.Helper()
		gomem := memory.NewGoAllocator()
		kb := array.NewInt64Builder(gomem)
		defer kb.Release()
		lb := array.NewListBuilder(gomem, elem)
		defer lb.Release()
		for i, r := range rows {
			kb.Append(int64(i + 1))
			if r == nil {
				lb.AppendNull()
				continue
			}
			lb.Append(true)
			for _, v := range r {
				switch vb := lb.ValueBuilder().(type) {
				case *array.StringBuilder:
					if v == nil {
						vb.AppendNull()
					} else {
						vb.Append(v.(string))
					}
				case *array.BinaryBuilder:
					if v == nil {
						vb.AppendNull()
					} else {
						vb.Append(v.([]byte))
					}
				}
			}
		}
		k, l := kb.NewArray(), lb.NewArray()
		defer k.Release()
		defer l.Release()
		schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64}, {Name: "c", Type: l.DataType(), Nullable: true}}, nil)
		b := array.NewRecordBatch(schema, []arrow.Array{k, l}, int64(len(rows)))
		defer b.Release()
		path := filepath.Join(dir, name)
		writePqarrow(t, path, b)
		return path
	}
	const u1, u2 = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "00000000-0000-4000-8000-0000000000ff"
	text := file("text.parquet", arrow.BinaryTypes.String, [][]any{{u1, nil, u2}, nil, {}})
	run(t, c, fmt.Sprintf("COPY u FROM '%s' (FORMAT parquet)", text))
	expect(t, c, "SELECT string_agg(coalesce(c::text, 'NULL'), ' ' ORDER BY k) FROM u", "{"+u1+",NULL,"+u2+"} NULL {}")
	expect(t, c, "SELECT count(*) FROM u WHERE c[3] = '"+u2+"'::uuid", "1")

	raw := make([]byte, 16)
	raw[15] = 7
	bin := file("binary.parquet", arrow.BinaryTypes.Binary, [][]any{{raw}})
	run(t, c, "DELETE FROM u")
	run(t, c, fmt.Sprintf("COPY u FROM '%s' (FORMAT parquet)", bin))
	expect(t, c, "SELECT c::text FROM u", "{00000000-0000-0000-0000-000000000007}")

	// Text that is no uuid, and binary of 3 bytes: 22P02.
	for _, f := range []string{
		file("bad_text.parquet", arrow.BinaryTypes.String, [][]any{{u1, "not a uuid"}}),
		file("bad_binary.parquet", arrow.BinaryTypes.Binary, [][]any{{[]byte{1, 2, 3}}}),
	} {
		importErr(t, c, fmt.Sprintf("COPY u FROM '%s' (FORMAT parquet)", f), errs.InvalidText)
	}
	expect(t, c, "SELECT count(*) FROM u", "1")
}
