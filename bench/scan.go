package bench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/engine"
)

// keyRange is the half-open key range [lo, hi) of a range scan.
type keyRange struct{ lo, hi string }

// keyRanges picks n ranges of about span rows each from sorted, the table's keys in order:
// each starts at a random key and ends at the key span places later, so it holds about span
// rows (more where keys repeat). It picks fewer when sorted has under span+1 keys.
func keyRanges(sorted []string, n, span int, seed uint64) []keyRange {
	if span <= 0 || len(sorted) <= span {
		return nil
	}
	rng := rand.New(rand.NewPCG(seed+2, seed^0x2545f4914f6cdd1d))
	out := make([]keyRange, 0, n)
	for range n {
		i := rng.IntN(len(sorted) - span)
		r := keyRange{sorted[i], sorted[i+span]}
		if r.lo < r.hi {
			out = append(out, r)
		}
	}
	return out
}

// The range scans time each query's delivery of its rows to the caller (sleeperd's Arrow
// batches in process; DuckDB's rows scanned through database/sql into Go values), and digest
// the rows afterwards, outside the timing: the digest is the benchmark's check that both
// engines return the same rows, not part of either query. A figure's time is the sum of the
// queries' times.

func sleeperdRanges(ctx context.Context, conn engine.Conn, ranges []keyRange) (Figure, error) {
	st, err := conn.Prepare(ctx, `SELECT * FROM t WHERE key >= $1 AND key < $2`,
		[]arrow.DataType{arrow.BinaryTypes.String, arrow.BinaryTypes.String})
	if err != nil {
		return Figure{}, fmt.Errorf("bench: sleeperd prepare range scan: %w", err)
	}
	defer st.Close()
	var sum checksum
	var total time.Duration
	lat := make([]time.Duration, len(ranges))
	for i, r := range ranges {
		t0 := time.Now()
		batches, err := fetchBatches(ctx, st, []any{r.lo, r.hi})
		lat[i] = time.Since(t0)
		total += lat[i]
		if err != nil {
			return Figure{}, fmt.Errorf("bench: sleeperd range scan [%s, %s): %w", r.lo, r.hi, err)
		}
		cells := []string{}
		for _, b := range batches {
			for row := range int(b.NumRows()) {
				cells = cells[:0]
				for c := range int(b.NumCols()) {
					cells = append(cells, arrowCell(b.Column(c), row))
				}
				sum.add(cells)
			}
			b.Release()
		}
	}
	return latencies(total, lat, sum), nil
}

// fetchBatches executes st and returns every batch it returns; the caller releases them.
func fetchBatches(ctx context.Context, st engine.Statement, params []any) ([]arrow.RecordBatch, error) {
	res, err := st.Execute(ctx, params)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	var out []arrow.RecordBatch
	for {
		b, err := res.Next(ctx)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			for _, b := range out {
				b.Release()
			}
			return nil, err
		}
		out = append(out, b)
	}
}

func duckRanges(ctx context.Context, db *sql.DB, files string, ranges []keyRange) (Figure, error) {
	st, err := db.PrepareContext(ctx, fmt.Sprintf(`SELECT * FROM read_parquet('%s') WHERE key >= ? AND key < ?`, files))
	if err != nil {
		return Figure{}, fmt.Errorf("bench: duckdb prepare range scan: %w", err)
	}
	defer st.Close()
	var sum checksum
	var total time.Duration
	lat := make([]time.Duration, len(ranges))
	for i, r := range ranges {
		t0 := time.Now()
		rows, err := st.QueryContext(ctx, r.lo, r.hi)
		if err != nil {
			return Figure{}, fmt.Errorf("bench: duckdb range scan [%s, %s): %w", r.lo, r.hi, err)
		}
		vals, cols, err := fetchRows(rows)
		lat[i] = time.Since(t0)
		total += lat[i]
		if err != nil {
			return Figure{}, fmt.Errorf("bench: duckdb range scan [%s, %s): %w", r.lo, r.hi, err)
		}
		cells := make([]string, cols)
		for at := 0; at+cols <= len(vals) && cols > 0; at += cols {
			for c, v := range vals[at : at+cols] {
				cells[c] = duckCell(v)
			}
			sum.add(cells)
		}
	}
	return latencies(total, lat, sum), nil
}

// fetchRows scans every row of rows into Go values, a row's values after the previous row's,
// and returns them with the number of columns.
func fetchRows(rows *sql.Rows) ([]any, int, error) {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, 0, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var out []any
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, 0, err
		}
		out = append(out, vals...)
	}
	return out, len(cols), rows.Err()
}
