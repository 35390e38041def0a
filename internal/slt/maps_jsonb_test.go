package slt

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
)

// TestJSONBFunctionsOnMaps calls the jsonb functions on map columns and map fields of
// records, which are shown as jsonb, with no cast, against PostgreSQL calling them on the
// same values as jsonb (mapsOracle): same rows, same errors.
func TestJSONBFunctionsOnMaps(t *testing.T) {
	postgresDSN(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	func() {
		pg := freshDatabase(ctx, t, "maps_jsonb")
		addr := serve(ctx, t, openEngine(ctx, t, mem))
		sd := dial(ctx, t, fmt.Sprintf("postgres://slt@%s/slt?sslmode=disable", addr))
		file := filepath.Join(t.TempDir(), "maps.parquet")
		writeMapsParquet(t, file)
		if _, err := sd.Exec(ctx, fmt.Sprintf("CREATE TABLE r WITH (row_keys = 'k') AS SELECT * FROM read_parquet('%s')", file)); err != nil {
			t.Fatal(err)
		}
		queries := []string{
			"SELECT k, jsonb_typeof(ml), jsonb_typeof(ms), jsonb_typeof((s).m), jsonb_pretty(ml), jsonb_pretty((s).m) FROM r ORDER BY k",
			"SELECT k, to_jsonb(ml), to_jsonb((s).m), to_jsonb(ms) -> 'r' ->> 'y' FROM r ORDER BY k",
			"SELECT k, e.key, e.value FROM r, jsonb_each(ml) AS e ORDER BY k, e.key",
			"SELECT k, e.key, e.value FROM r, jsonb_each_text((s).m) AS e ORDER BY k, e.key",
			"SELECT k, jsonb_object_keys(ml) AS key FROM r ORDER BY k, key",
			"SELECT k, x FROM r, jsonb_object_keys((s).m) AS x ORDER BY k, x",
			"SELECT k, jsonb_array_elements(ml -> 'xs') AS x FROM r ORDER BY k, x",
			"SELECT k, jsonb_path_query_first(ms, '$.r.x') FROM r ORDER BY k",
			"SELECT jsonb_array_elements(ml) FROM r",
		}
		for _, q := range queries {
			// PostgreSQL's record s of ROW has no field names: its field m is the column sm.
			oracle := strings.Replace(mapsOracle, "END AS s,", "END AS s, CASE WHEN k = 1 THEN NULL ELSE m END AS sm,", 1)
			pq := strings.Replace(strings.ReplaceAll(q, "(s).m", "sm"), "FROM r", "FROM ("+oracle+") AS r", 1)
			run := func(c *pgx.Conn, q string) ([]any, error) {
				rows, err := c.Query(ctx, q, pgx.QueryResultFormats{pgx.TextFormatCode})
				if err != nil {
					return nil, err
				}
				defer rows.Close()
				var out []any
				for rows.Next() {
					vals, err := rows.Values()
					if err != nil {
						return nil, err
					}
					out = append(out, vals...)
				}
				return out, rows.Err()
			}
			want, wantErr := run(pg, pq)
			got, gotErr := run(sd, q)
			if wantErr != nil || gotErr != nil {
				if wantErr == nil || gotErr == nil || sqlstate(wantErr) != sqlstate(gotErr) {
					t.Errorf("%s: sleeperd error %q, PostgreSQL's %q", q, gotErr, wantErr)
				}
				continue
			}
			if len(want) == 0 || !reflect.DeepEqual(want, got) {
				t.Errorf("%s:\nsleeperd   %v\nPostgreSQL %v", q, got, want)
			}
		}
	}()
}
