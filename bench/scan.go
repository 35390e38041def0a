package bench

import (
	"context"
	"database/sql"
	"fmt"
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

func sleeperdRanges(ctx context.Context, conn engine.Conn, ranges []keyRange) (Figure, error) {
	st, err := conn.Prepare(ctx, `SELECT * FROM t WHERE key >= $1 AND key < $2`,
		[]arrow.DataType{arrow.BinaryTypes.String, arrow.BinaryTypes.String})
	if err != nil {
		return Figure{}, fmt.Errorf("bench: sleeperd prepare range scan: %w", err)
	}
	defer st.Close()
	var sum checksum
	lat := make([]time.Duration, len(ranges))
	start := time.Now()
	for i, r := range ranges {
		t0 := time.Now()
		if _, _, err := drain(ctx, st, []any{r.lo, r.hi}, &sum); err != nil {
			return Figure{}, fmt.Errorf("bench: sleeperd range scan [%s, %s): %w", r.lo, r.hi, err)
		}
		lat[i] = time.Since(t0)
	}
	return latencies(time.Since(start), lat, sum), nil
}

func duckRanges(ctx context.Context, db *sql.DB, files string, ranges []keyRange) (Figure, error) {
	st, err := db.PrepareContext(ctx, fmt.Sprintf(`SELECT * FROM read_parquet('%s') WHERE key >= ? AND key < ?`, files))
	if err != nil {
		return Figure{}, fmt.Errorf("bench: duckdb prepare range scan: %w", err)
	}
	defer st.Close()
	var sum checksum
	lat := make([]time.Duration, len(ranges))
	start := time.Now()
	for i, r := range ranges {
		t0 := time.Now()
		rows, err := st.QueryContext(ctx, r.lo, r.hi)
		if err != nil {
			return Figure{}, fmt.Errorf("bench: duckdb range scan [%s, %s): %w", r.lo, r.hi, err)
		}
		if err := scanRows(rows, &sum); err != nil {
			return Figure{}, fmt.Errorf("bench: duckdb range scan [%s, %s): %w", r.lo, r.hi, err)
		}
		lat[i] = time.Since(t0)
	}
	return latencies(time.Since(start), lat, sum), nil
}
