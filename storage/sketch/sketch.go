// Package sketch keeps a quantile sketch of the encoded row keys of a sorted file: every k-th
// key, and the row count, so that the weighted median of several files' keys within a key
// range can be estimated without reading the files.
//
// Because a file is sorted, a systematic sample is exact up to one step: the i-th sample
// (0-based) is the key of row (i+1)*Step-1, and, when Step does not divide the row count, a
// final sample holds the file's last key. A sample stands for the Step rows ending at it (the
// final one for the rows after the previous sample). A sketch holds at most MaxSamples+1 keys.
package sketch

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/storage/keys"
)

// FooterKey is the Parquet footer key/value key under which a file's sketch is stored, in
// the text form of Sketch.Encode.
const FooterKey = "sleeperd.sketch"

// MaxSamples bounds the number of full-step samples a Builder keeps.
const MaxSamples = 1024

// Errors of this package, wrapped with context.
var (
	// ErrCorrupt: an encoded sketch cannot be decoded.
	ErrCorrupt = errors.New("corrupt sketch")
	// ErrNoSketch: a file carries no sketch.
	ErrNoSketch = errors.New("file has no sketch")
)

// Sketch is a sample of the sorted encoded row keys of one file. A Sketch is immutable once
// built or decoded and safe for concurrent use.
type Sketch struct {
	rows int64
	step int64
	keys [][]byte // ascending
}

// Rows returns the number of rows the sketch describes.
func (s *Sketch) Rows() int64 { return s.rows }

// Step returns the number of rows each full sample stands for.
func (s *Sketch) Step() int64 { return s.step }

// Samples returns the number of sampled keys.
func (s *Sketch) Samples() int { return len(s.keys) }

// weight returns how many rows sample i stands for.
func (s *Sketch) weight(i int) int64 {
	if int64(i) < s.rows/s.step {
		return s.step
	}
	return s.rows % s.step
}

// Builder builds the sketch of a sorted stream of keys. The zero value is not usable; call
// NewBuilder. A Builder is not safe for concurrent use.
type Builder struct {
	max  int
	step int64
	rows int64
	keys [][]byte
	last []byte // key of the last row added, reused
}

// NewBuilder returns a Builder that keeps at most max full-step samples; max <= 0 means
// MaxSamples. max is rounded up to an even number.
func NewBuilder(max int) *Builder {
	if max <= 0 {
		max = MaxSamples
	}
	max += max % 2
	return &Builder{max: max, step: 1}
}

// Add adds the key of the next row; keys must come in ascending order. key is copied when
// kept.
func (b *Builder) Add(key []byte) {
	b.rows++
	if b.rows%b.step == 0 {
		b.keep(bytes.Clone(key))
	}
	b.last = append(b.last[:0], key...)
}

// keep appends a sample and halves the samples when there are too many.
func (b *Builder) keep(k []byte) {
	b.keys = append(b.keys, k)
	if len(b.keys) < b.max {
		return
	}
	// Samples sit at rows (i+1)*step-1; with twice the step the survivors are the odd i.
	n := 0
	for i := 1; i < len(b.keys); i += 2 {
		b.keys[n] = b.keys[i]
		n++
	}
	clear(b.keys[n:])
	b.keys = b.keys[:n]
	b.step *= 2
}

// AddColumns adds the n rows of the given row key columns (in key order, as package keys
// encodes them); the rows must continue the ascending order. Only the sampled rows and the
// last row are encoded.
func (b *Builder) AddColumns(cols []arrow.Array, n int) {
	b.AddKeys(n, func(dst []byte, i int) []byte { return keys.AppendRow(dst, cols, i) })
}

// AddKeys adds n rows whose keys key appends to dst (row i of the n, as package keys encodes
// them); the rows must continue the ascending order. Only the sampled rows and the last row
// are encoded.
func (b *Builder) AddKeys(n int, key func(dst []byte, i int) []byte) {
	if n <= 0 {
		return
	}
	for i := 0; i < n; {
		// The next sampled row is the one that makes rows a multiple of step.
		next := b.step - b.rows%b.step // rows to add until a sample, >= 1
		if int64(n-i) < next {
			b.rows += int64(n - i)
			break
		}
		i += int(next)
		b.rows += next
		b.keep(key(nil, i-1))
	}
	b.last = key(b.last[:0], n-1)
}

// Rows returns the number of rows added so far.
func (b *Builder) Rows() int64 { return b.rows }

// Sketch returns the sketch of the rows added so far. The Builder may go on being used.
func (b *Builder) Sketch() *Sketch {
	s := &Sketch{rows: b.rows, step: b.step, keys: slices.Clone(b.keys)}
	if b.rows%b.step != 0 {
		s.keys = append(s.keys, bytes.Clone(b.last))
	}
	return s
}

// sample is a key with the number of rows it stands for.
type sample struct {
	key    []byte
	weight int64
}

// samples returns the weighted samples of the sketches whose keys lie in r, sorted by key.
func samples(sketches []*Sketch, r keys.Range) []sample {
	var out []sample
	for _, s := range sketches {
		if s == nil {
			continue
		}
		for i, k := range s.keys {
			if r.Contains(k) {
				out = append(out, sample{key: k, weight: s.weight(i)})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b sample) int { return bytes.Compare(a.key, b.key) })
	return out
}

// Estimate returns the estimated number of rows of the sketches whose keys lie in r.
func Estimate(sketches []*Sketch, r keys.Range) int64 {
	var n int64
	for _, s := range samples(sketches, r) {
		n += s.weight
	}
	return n
}

// Quantile returns the smallest sampled key k in r such that at least the fraction q (in
// [0, 1]) of the sampled rows in r have keys <= k. It returns false when no sample lies in r.
func Quantile(sketches []*Sketch, r keys.Range, q float64) ([]byte, bool) {
	ss := samples(sketches, r)
	if len(ss) == 0 {
		return nil, false
	}
	var total int64
	for _, s := range ss {
		total += s.weight
	}
	q = min(max(q, 0), 1)
	target := q * float64(total)
	var acc int64
	for _, s := range ss {
		acc += s.weight
		if float64(acc) >= target {
			return s.key, true
		}
	}
	return ss[len(ss)-1].key, true
}

// Median returns a key to split r at so that about half the rows of the sketches within r
// lie below it: the weighted median of the samples in r, or, when that equals r.Min, the next
// greater sampled key. The key is strictly greater than r.Min and, for a bounded r, less than
// r.Max. It returns false when there is no such key (no samples in r, or all at r.Min).
func Median(sketches []*Sketch, r keys.Range) ([]byte, bool) {
	ss := samples(sketches, r)
	if len(ss) == 0 {
		return nil, false
	}
	var total int64
	for _, s := range ss {
		total += s.weight
	}
	// The first key with at least half the rows below or at it; splitting there puts the
	// rows of that key on the right, so prefer the key where the rows strictly below it come
	// closest to half.
	var acc int64
	best, bestDiff := -1, int64(-1)
	for i, s := range ss {
		if i > 0 && bytes.Equal(s.key, ss[i-1].key) {
			acc += s.weight
			continue
		}
		// acc = rows strictly below s.key.
		if bytes.Compare(s.key, r.Min) > 0 {
			d := acc*2 - total
			if d < 0 {
				d = -d
			}
			if best < 0 || d < bestDiff {
				best, bestDiff = i, d
			}
		}
		acc += s.weight
	}
	if best < 0 {
		return nil, false
	}
	return ss[best].key, true
}

// magic starts the binary form of a sketch.
var magic = []byte("SKT1")

// MarshalBinary encodes the sketch: magic, then uvarints rows, step, count, then each key as
// uvarint shared-prefix length with the previous key, uvarint suffix length and the suffix.
func (s *Sketch) MarshalBinary() ([]byte, error) {
	b := append([]byte(nil), magic...)
	b = binary.AppendUvarint(b, uint64(s.rows))
	b = binary.AppendUvarint(b, uint64(s.step))
	b = binary.AppendUvarint(b, uint64(len(s.keys)))
	var prev []byte
	for _, k := range s.keys {
		p := commonPrefix(prev, k)
		b = binary.AppendUvarint(b, uint64(p))
		b = binary.AppendUvarint(b, uint64(len(k)-p))
		b = append(b, k[p:]...)
		prev = k
	}
	return b, nil
}

func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// Unmarshal decodes a sketch encoded by MarshalBinary.
func Unmarshal(data []byte) (*Sketch, error) {
	if !bytes.HasPrefix(data, magic) {
		return nil, fmt.Errorf("%w: bad magic", ErrCorrupt)
	}
	data = data[len(magic):]
	next := func() (uint64, error) {
		v, n := binary.Uvarint(data)
		if n <= 0 {
			return 0, fmt.Errorf("%w: truncated", ErrCorrupt)
		}
		data = data[n:]
		return v, nil
	}
	rows, err := next()
	if err != nil {
		return nil, err
	}
	step, err := next()
	if err != nil {
		return nil, err
	}
	count, err := next()
	if err != nil {
		return nil, err
	}
	if step == 0 || rows > 1<<62 || step > 1<<62 {
		return nil, fmt.Errorf("%w: rows %d step %d", ErrCorrupt, rows, step)
	}
	want := rows / step
	if rows%step != 0 {
		want++
	}
	if count != want {
		return nil, fmt.Errorf("%w: %d keys for %d rows in steps of %d", ErrCorrupt, count, rows, step)
	}
	s := &Sketch{rows: int64(rows), step: int64(step), keys: make([][]byte, 0, count)}
	var prev []byte
	for range count {
		p, err := next()
		if err != nil {
			return nil, err
		}
		l, err := next()
		if err != nil {
			return nil, err
		}
		if p > uint64(len(prev)) || l > uint64(len(data)) {
			return nil, fmt.Errorf("%w: key out of bounds", ErrCorrupt)
		}
		k := make([]byte, 0, int(p)+int(l))
		k = append(append(k, prev[:p]...), data[:l]...)
		data = data[l:]
		if prev != nil && bytes.Compare(prev, k) > 0 {
			return nil, fmt.Errorf("%w: keys not ascending", ErrCorrupt)
		}
		s.keys = append(s.keys, k)
		prev = k
	}
	if len(data) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(data))
	}
	return s, nil
}

// Encode returns the text form of the sketch stored under FooterKey: MarshalBinary in
// standard base64.
func (s *Sketch) Encode() string {
	b, _ := s.MarshalBinary()
	return base64.StdEncoding.EncodeToString(b)
}

// Decode decodes the text form returned by Encode.
func Decode(text string) (*Sketch, error) {
	b, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return Unmarshal(b)
}
