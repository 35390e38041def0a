package ingest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"slices"
	"sort"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/storage/statestore"
)

// The final merge of a spilled write runs as several merges at once over disjoint ranges of
// row keys, each writing the files of the leaves its range covers: one merge on one
// goroutine cannot keep up with the Parquet encoders it feeds. The ranges are balanced by a
// sample of the row keys taken from every sorted run, and cut at leaf boundaries where those
// balance them (each leaf's rows then go into one file), else inside a leaf (see cuts).

// samplesPerRun is how many row keys each sorted run contributes to the sample.
const samplesPerRun = 256

// keySample is a row key of a sorted run standing for weight rows around it.
type keySample struct {
	key    []byte
	weight int64
}

// sampleKeys returns up to samplesPerRun row keys of the sorted rows of m, evenly spaced.
func (m *memSource) sampleKeys() []keySample {
	n := len(m.s.perm)
	if n == 0 {
		return nil
	}
	step := max(1, n/samplesPerRun)
	out := make([]keySample, 0, n/step+1)
	for i := 0; i < n; i += step {
		out = append(out, keySample{key: bytes.Clone(m.s.rowKeyAt(i)), weight: int64(min(step, n-i))})
	}
	return out
}

// finalMerges, if positive, overrides how many merges the final merge runs at once (for
// tests: the default depends on the cores).
var finalMerges = 0

// mergeRanges returns how many merges the final merge runs at once: one per core, up to 4,
// and only with run-ahead memory (each merge holds a batch of every run).
func (w *Writer) mergeRanges() int {
	if !w.runAhead() {
		return 1
	}
	if finalMerges > 0 {
		return finalMerges
	}
	return min(runtime.GOMAXPROCS(0), 4)
}

// cuts returns up to parts-1 row keys, ascending, that cut the sampled rows into ranges of
// about the same number of rows; none when parts is 1 or the sample cannot be cut. Each cut
// is the leaf boundary nearest to its even share when one is within a slack of it (an eighth
// of a range's share either way), so that a leaf's rows stay in one file where the leaves
// allow an even split; otherwise it is a sampled row key inside a leaf, whose rows then go
// into one file on either side of the cut. A cut is a row key and a range takes the rows
// with row keys at or past its start and before its end, so rows with equal row keys never
// go into two files.
func cuts(samples []keySample, leaves []*statestore.Partition, parts int) [][]byte {
	if parts <= 1 || len(samples) == 0 {
		return nil
	}
	s := slices.Clone(samples)
	slices.SortFunc(s, func(a, b keySample) int { return bytes.Compare(a.key, b.key) })
	below := make([]int64, len(s)+1) // below[i]: weight of s[:i]
	for i, k := range s {
		below[i+1] = below[i] + k.weight
	}
	total := below[len(s)]
	// under returns the weight of the samples below key k.
	under := func(k []byte) int64 {
		return below[sort.Search(len(s), func(i int) bool { return bytes.Compare(s[i].key, k) >= 0 })]
	}
	var bounds [][]byte // the leaf boundaries, ascending
	for _, leaf := range leaves {
		if leaf.Range.Max != nil {
			bounds = append(bounds, leaf.Range.Max)
		}
	}
	slack := total / int64(8*parts)
	var out [][]byte
	var last int64 // weight below the last cut
	for k := 1; k < parts; k++ {
		target := total * int64(k) / int64(parts)
		var cut []byte
		var dist int64
		j := sort.Search(len(bounds), func(j int) bool { return under(bounds[j]) >= target })
		for _, c := range []int{j - 1, j} {
			if c < 0 || c >= len(bounds) {
				continue
			}
			d := under(bounds[c]) - target
			if d < 0 {
				d = -d
			}
			if d <= slack && (cut == nil || d < dist) {
				cut, dist = bounds[c], d
			}
		}
		if cut == nil {
			i := sort.Search(len(s), func(i int) bool { return below[i] >= target })
			if i >= len(s) {
				continue
			}
			cut = s[i].key
		}
		u := under(cut)
		if u <= last || u >= total {
			continue // a range would have no sampled rows
		}
		out = append(out, cut)
		last = u
	}
	return out
}

// bounded streams the rows of a source whose row keys are in [lo, hi) (nil: unbounded),
// batches sliced where a bound falls inside them. It stops reading at the first row at or
// past hi.
type bounded struct {
	src     source
	lo, hi  []byte
	keyCol  int
	started bool // a row at or past lo was seen
	done    bool
}

func (b *bounded) next() (arrow.RecordBatch, error) {
	for !b.done {
		rb, err := b.src.next()
		if err != nil {
			return nil, err
		}
		n := int(rb.NumRows())
		if n == 0 {
			rb.Release()
			continue
		}
		ks := rb.Column(b.keyCol).(*array.Binary)
		rk := rb.Column(b.keyCol + 1).(*array.Int32)
		rowKey := func(i int) []byte { return ks.Value(i)[:rk.Value(i)] }
		from, to := 0, n
		if !b.started && b.lo != nil {
			from = sort.Search(n, func(i int) bool { return bytes.Compare(rowKey(i), b.lo) >= 0 })
			if from == n {
				rb.Release()
				continue
			}
		}
		b.started = true
		if b.hi != nil && bytes.Compare(rowKey(n-1), b.hi) >= 0 {
			to = sort.Search(n, func(i int) bool { return bytes.Compare(rowKey(i), b.hi) >= 0 })
			b.done = true
		}
		if from == 0 && to == n {
			return rb, nil
		}
		s := rb.NewSlice(int64(from), int64(to))
		rb.Release()
		return s, nil
	}
	return nil, io.EOF
}

func (b *bounded) close() { b.src.close() }

// view returns a source of the sorted rows of m whose row keys are in [lo, hi) (nil:
// unbounded). It shares m's rows: closing it releases nothing, m is closed once every view
// is done.
func (m *memSource) view(lo, hi []byte) *memSource {
	at := func(k []byte) int {
		return sort.Search(len(m.s.perm), func(i int) bool { return bytes.Compare(m.s.rowKeyAt(i), k) >= 0 })
	}
	from, to := 0, len(m.s.perm)
	if lo != nil {
		from = at(lo)
	}
	if hi != nil {
		to = at(hi)
	}
	return &memSource{spec: m.spec, schema: m.schema, s: m.s, in: m.in, rows: m.rows, pos: from, n: to, chunk: m.chunk, mem: m.mem, shared: true, local: m.local, order: m.order}
}

// mergeRangesToLeaves is the final merge as merges at once over the ranges cut at bounds:
// each reads every run from the batch its range starts in (opened once per range) up to the
// first row past its range, and its share of the sorted rows held, and
// writes the files of its leaves. It returns the files written also on error, for cleanup.
// The runs stay on disk (w.runs) and held stays open: the caller removes and closes them.
func (w *Writer) mergeRangesToLeaves(ctx context.Context, leaves []*statestore.Partition, held []*memSource, bounds [][]byte) ([]written, error) {
	keyCol := w.spec.Schema.NumFields()
	parts := len(bounds) + 1
	srcs := make([][]source, parts)
	defer func() {
		for _, s := range srcs {
			closeSources(s) // those a merge did not take
		}
	}()
	for p := range parts {
		var lo, hi []byte
		if p > 0 {
			lo = bounds[p-1]
		}
		if p < len(bounds) {
			hi = bounds[p]
		}
		for _, r := range w.runs {
			rd, err := r.OpenSharedAt(w.spec.Alloc, w.ioBuf(), r.startBatch(lo))
			if err != nil {
				return nil, err
			}
			srcs[p] = append(srcs[p], &bounded{src: &fileSource{r: rd}, lo: lo, hi: hi, keyCol: keyCol})
		}
		for _, h := range held {
			srcs[p] = append(srcs[p], h.view(lo, hi))
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	files := make([][]written, parts)
	failed := make([]error, parts)
	var wg sync.WaitGroup
	for p := range parts {
		s := srcs[p]
		srcs[p] = nil // the merge closes them
		wg.Add(1)
		go func() {
			defer wg.Done()
			files[p], failed[p] = w.mergeInto(ctx, s, leaves)
			if failed[p] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	var out []written
	for _, f := range files {
		out = append(out, f...)
	}
	return out, firstError(failed)
}

// firstError returns the first of errs that is not a cancellation caused by another one
// failing, or the first error when all are.
func firstError(errs []error) error {
	var first error
	for _, err := range errs {
		if err == nil {
			continue
		}
		if first == nil {
			first = err
		}
		if !errors.Is(err, context.Canceled) {
			return err
		}
	}
	return first
}
