package merge

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/exec"
)

// cmpStrNullsLast orders strings bytewise with NULL last.
func cmpStrNullsLast(a, b *string) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return cmp.Compare(*a, *b)
}

// modelRow is a row with where it came from.
type modelRow struct {
	row
	input, pos int
}

// model computes Merge + Apply the slow, obvious way.
func model(inputs [][]row, opts Options, preds []predFunc) []row {
	var all []modelRow
	for i, in := range inputs {
		for p, r := range in {
			deleted := false
			for j, d := range opts.Deletes {
				if v := preds[j].f(r); r.ver < d.Txn && v != nil && *v {
					deleted = true
				}
			}
			if !deleted {
				all = append(all, modelRow{r, i, p})
			}
		}
	}
	slices.SortStableFunc(all, func(x, y modelRow) int {
		return cmp.Or(cmp.Compare(x.k, y.k), cmpStrNullsLast(x.s, y.s), cmp.Compare(x.ver, y.ver),
			cmp.Compare(x.input, y.input), cmp.Compare(x.pos, y.pos))
	})
	var combined []row
	if !opts.LastWriteWins && len(opts.Aggregations) == 0 {
		for _, r := range all {
			combined = append(combined, r.row)
		}
	} else {
		for i := 0; i < len(all); {
			j := i + 1
			for j < len(all) && all[j].k == all[i].k && cmpStrNullsLast(all[j].s, all[i].s) == 0 {
				j++
			}
			g := all[i:j]
			out := g[len(g)-1].row
			for _, a := range opts.Aggregations {
				switch a.Column {
				case colA:
					out.a = aggInt(a.Func, g, func(r row) *int64 { return r.a })
				case colTS:
					out.ts = aggInt(a.Func, g, func(r row) *int64 { return r.ts })
				case colB:
					out.b = aggStr(a.Func, g)
				}
			}
			combined = append(combined, out)
			i = j
		}
	}
	var res []row
next:
	for _, r := range combined {
		if opts.DropTombstones && r.del {
			continue
		}
		for _, a := range opts.AgeOff {
			if r.ts != nil && *r.ts < a.Before {
				continue next
			}
		}
		res = append(res, r)
	}
	return res
}

func aggInt(fn string, g []modelRow, get func(row) *int64) *int64 {
	if fn == Last {
		return get(g[len(g)-1].row)
	}
	var acc *int64
	for _, r := range g {
		v := get(r.row)
		if v == nil {
			continue
		}
		switch {
		case acc == nil:
			acc = i64(*v)
		case fn == Sum:
			*acc += *v
		case fn == Min && *v < *acc, fn == Max && *v > *acc:
			*acc = *v
		}
	}
	return acc
}

func aggStr(fn string, g []modelRow) *string {
	if fn == Last {
		return g[len(g)-1].b
	}
	var acc *string
	for _, r := range g {
		v := r.b
		if v == nil {
			continue
		}
		if acc == nil || (fn == Min && *v < *acc) || (fn == Max && *v > *acc) {
			acc = str(*v)
		}
	}
	return acc
}

// randomInput returns sorted rows over a few keys. With fixed set, every row has the
// version fixed (an ingest file), else random versions (a compaction output).
func randomInput(rng *rand.Rand, n int, fixed int64) []row {
	rows := make([]row, n)
	ss := []*string{nil, str("x"), str("y"), str("")}
	bs := []string{"p", "q", "r", "pp"}
	for i := range rows {
		r := row{k: int64(rng.IntN(5)) - 2, s: ss[rng.IntN(len(ss))], ver: fixed, del: rng.IntN(8) == 0}
		if fixed == 0 {
			r.ver = int64(1 + rng.IntN(20))
		}
		if rng.IntN(5) > 0 {
			r.a = i64(int64(rng.IntN(201) - 100))
		}
		if rng.IntN(5) > 0 {
			r.b = str(bs[rng.IntN(len(bs))])
		}
		if rng.IntN(5) > 0 {
			r.ts = i64(int64(rng.IntN(1000)))
		}
		rows[i] = r
	}
	sortRows(rows)
	return rows
}

// sortRows orders rows as Merge does: by key, sort key (NULLs last) and version.
func sortRows(rows []row) {
	slices.SortStableFunc(rows, func(x, y row) int {
		return cmp.Or(cmp.Compare(x.k, y.k), cmpStrNullsLast(x.s, y.s), cmp.Compare(x.ver, y.ver))
	})
}

// TestRandomAgainstModel checks Merge followed by Apply against model on random inputs,
// batchings and options.
func TestRandomAgainstModel(t *testing.T) {
	predA := predFunc{"a % 3 = 0", func(r row) *bool {
		if r.a == nil {
			return nil
		}
		return boolp(*r.a%3 == 0)
	}}
	predB := predFunc{"b = 'q'", func(r row) *bool {
		if r.b == nil {
			return nil
		}
		return boolp(*r.b == "q")
	}}
	aggSets := [][]Aggregation{
		{{Column: colA, Func: Sum}},
		{{Column: colA, Func: Min}, {Column: colB, Func: Max}, {Column: colTS, Func: Max}},
		{{Column: colA, Func: Max}, {Column: colB, Func: Min}, {Column: colTS, Func: Min}},
		{{Column: colA, Func: Last}, {Column: colB, Func: Last}},
		{{Column: colA, Func: Sum}, {Column: colB, Func: Max}, {Column: colTS, Func: Min}},
	}
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 42))
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		nin := 1 + rng.IntN(5)
		inputs := make([][]row, nin)
		streams := make([]exec.Stream, nin)
		for i := range inputs {
			var fixed int64
			if rng.IntN(2) == 0 {
				fixed = int64(1 + rng.IntN(20))
			}
			inputs[i] = randomInput(rng, rng.IntN(40), fixed)
			sizes := []int{1 + rng.IntN(7), rng.IntN(3), 1 + rng.IntN(10)}
			streams[i] = streamOf(mem, inputs[i], sizes...)
		}
		opts := baseOptions(mem)
		var preds []predFunc
		for range rng.IntN(3) {
			p := []predFunc{predA, predB}[rng.IntN(2)]
			preds = append(preds, p)
			opts.Deletes = append(opts.Deletes, Delete{Txn: int64(rng.IntN(22)), Pred: p})
		}
		switch rng.IntN(3) {
		case 1:
			opts.LastWriteWins = true
		case 2:
			opts.Aggregations = aggSets[rng.IntN(len(aggSets))]
		}
		opts.DropTombstones = rng.IntN(2) == 0
		if rng.IntN(3) == 0 {
			opts.AgeOff = []AgeOff{{Column: colTS, Before: int64(rng.IntN(1000))}}
		}
		want := model(inputs, opts, preds)
		got, _, err := mergeApply(t, streams, mergeSpec(mem), opts)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if !equalRows(got, want) {
			t.Logf("seed %d: %d inputs, opts lww=%v aggs=%v deletes=%d tomb=%v ageoff=%v", seed, nin, opts.LastWriteWins, opts.Aggregations, len(opts.Deletes), opts.DropTombstones, opts.AgeOff)
		}
		diffRows(t, got, want)
		mem.AssertSize(t, 0)
	}
}
