package trino

import (
	"context"
	"encoding/binary"
	"hash/crc32"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/connectors/trino/trinothrift"
	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/exec"
)

// pageOverhead is what the estimate of a page adds for its structure, so that pages stay
// under maxBytes once encoded.
const pageOverhead = 1024

// maxPageRows bounds the rows of one page (rowCount is an i32), and of count(*) pages.
const maxPageRows = 1 << 20

// rowToken is the resume point of a split's rows: how many rows earlier pages held, and a
// checksum of the split and columns so that a token is not taken for another split's.
func rowToken(split []byte, columns []string, offset int64) []byte {
	b := binary.BigEndian.AppendUint32([]byte{'R'}, readerSum(split, columns))
	return binary.BigEndian.AppendUint64(b, uint64(offset))
}

func decodeRowToken(tok *trinothrift.TrinoThriftNullableToken, split []byte, columns []string) (int64, error) {
	if tok == nil || tok.Token == nil {
		return 0, nil
	}
	b := tok.Token.ID
	if len(b) != 13 || b[0] != 'R' || binary.BigEndian.Uint32(b[1:]) != readerSum(split, columns) {
		return 0, invalid("not a row token of this split and these columns")
	}
	off := int64(binary.BigEndian.Uint64(b[5:]))
	if off < 0 {
		return 0, invalid("not a row token of this split and these columns")
	}
	return off, nil
}

func readerSum(split []byte, columns []string) uint32 {
	h := crc32.NewIEEE()
	h.Write(split)
	h.Write([]byte(strings.Join(columns, "\x00")))
	return h.Sum32()
}

// TrinoGetRows implements the service: the next page of a split's rows, under maxBytes,
// with the columns asked for in their order (none: only the row count).
func (h *handler) TrinoGetRows(ctx context.Context, splitID *trinothrift.TrinoThriftId, columns []string, maxBytes int64, next *trinothrift.TrinoThriftNullableToken) (_ *trinothrift.TrinoThriftPageResult_, err error) {
	defer h.recoverTo("trinoGetRows", &err)
	if splitID == nil || len(splitID.ID) == 0 {
		return nil, invalid("no split id")
	}
	split := splitID.ID
	offset, err := decodeRowToken(next, split, columns)
	if err != nil {
		return nil, err
	}
	budget := maxBytes
	if budget <= 0 || budget > MaxFrame {
		budget = MaxFrame
	}
	budget -= pageOverhead
	key := readerKey{split: string(split), columns: strings.Join(columns, "\x00"), offset: offset}
	r := h.pages.take(key)
	if r == nil {
		if r, err = h.openReader(ctx, split, columns); err != nil {
			return nil, serviceError(err)
		}
		if err := r.skip(offset); err != nil {
			r.close()
			return nil, serviceError(err)
		}
	}
	page, done, err := r.page(budget)
	if err != nil {
		h.record(r, err)
		r.close()
		return nil, serviceError(err)
	}
	if done {
		h.record(r, nil)
		r.close()
		return page, nil
	}
	page.NextToken = &trinothrift.TrinoThriftId{ID: rowToken(split, columns, r.offset)}
	key.offset = r.offset
	h.pages.put(key, r)
	return page, nil
}

// openReader starts reading a split from its first row.
func (h *handler) openReader(ctx context.Context, split []byte, columns []string) (*rowReader, error) {
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r := &rowReader{ctx: rctx, cancel: cancel, start: time.Now()}
	switch split[0] {
	case prefixSystem:
		b, err := h.e.SystemTable(ctx, string(split[1:]))
		if err != nil {
			cancel()
			return nil, err
		}
		idx := make([]int, len(columns))
		for i, c := range columns {
			fs := b.Schema().FieldIndices(c)
			if len(fs) != 1 {
				b.Release()
				cancel()
				return nil, invalid("table sleeper.%s has no column %q", split[1:], c)
			}
			idx[i] = fs[0]
			r.fields = append(r.fields, b.Schema().Field(idx[i]))
		}
		r.cols = idx
		r.stream = &oneBatch{b: b}
		r.text = "trino split scan of sleeper." + string(split[1:])
	case prefixLeaf:
		t, err := h.e.SplitTable(ctx, split[1:])
		if err != nil {
			cancel()
			return nil, err
		}
		idx := make([]int, len(columns))
		for i, c := range columns {
			idx[i] = -1
			for j, col := range t.Columns {
				if col.Name == c && validName(c) {
					idx[i] = j
				}
			}
			if idx[i] < 0 {
				cancel()
				return nil, invalid("table %s has no column %q", t.Name, c)
			}
			r.fields = append(r.fields, engine.ResultField(t, idx[i]))
		}
		s, err := h.e.ScanSplit(rctx, split[1:], idx)
		if err != nil {
			cancel()
			return nil, err
		}
		r.stream = s
		r.text = "trino split scan of " + t.Name
		r.cols = make([]int, len(idx))
		for i := range idx {
			r.cols[i] = i // the scan outputs the columns asked for, in order
		}
	default:
		cancel()
		return nil, invalid("not a split of this service")
	}
	return r, nil
}

// rowReader is a split's stream of rows, positioned after offset rows.
type rowReader struct {
	ctx    context.Context
	cancel context.CancelFunc
	stream exec.Stream
	fields []arrow.Field
	cols   []int // the batch column of each requested column
	batch  arrow.RecordBatch
	pos    int
	offset int64
	eof    bool
	// start and text describe the scan in the engine's query log (record).
	start time.Time
	text  string
}

// record logs a split scan that ended, with err or without, as a statement of the trino
// frontend: sleeper.queries lists it and the query metrics count it. A scan whose pages
// were read over several calls is one entry, timed from its first page to its last.
func (h *handler) record(r *rowReader, err error) {
	h.e.RecordQuery(engine.QueryInfo{Text: r.text, Frontend: "trino", User: "trino", Start: r.start, Rows: r.offset}, err)
}

// current returns the batch holding the next row, or nil at the end.
func (r *rowReader) current() (arrow.RecordBatch, error) {
	for r.batch == nil || r.pos >= int(r.batch.NumRows()) {
		if r.batch != nil {
			r.batch.Release()
			r.batch = nil
		}
		if r.eof {
			return nil, nil
		}
		b, err := r.stream.Next(r.ctx)
		if err == io.EOF {
			r.eof = true
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		r.batch, r.pos = b, 0
	}
	return r.batch, nil
}

// skip passes n rows.
func (r *rowReader) skip(n int64) error {
	for n > 0 {
		b, err := r.current()
		if err != nil {
			return err
		}
		if b == nil {
			return invalid("the row token is past the end of the split")
		}
		k := min(n, b.NumRows()-int64(r.pos))
		r.pos += int(k)
		r.offset += k
		n -= k
	}
	return nil
}

// page reads the next page: rows while their estimated size fits the budget (at least one
// row, so that every page makes progress). done is true when the split has no more rows.
func (r *rowReader) page(budget int64) (*trinothrift.TrinoThriftPageResult_, bool, error) {
	builders := make([]*blockBuilder, len(r.fields))
	perBlock := int64(0)
	for i, f := range r.fields {
		builders[i] = newBlockBuilder(f)
		perBlock += 32
	}
	size, rows := perBlock, 0
	full := false
	for !full && rows < maxPageRows {
		b, err := r.current()
		if err != nil {
			return nil, false, err
		}
		if b == nil {
			break
		}
		if len(builders) == 0 { // count(*): rows without columns
			k := min(int(b.NumRows())-r.pos, maxPageRows-rows)
			rows += k
			r.pos += k
			r.offset += int64(k)
			continue
		}
		for r.pos < int(b.NumRows()) {
			rb := int64(0)
			for i, bl := range builders {
				rb += int64(bl.rowBytes(b.Column(r.cols[i]), r.pos))
			}
			if rows > 0 && size+rb > budget || rows >= maxPageRows {
				full = true
				break
			}
			for i, bl := range builders {
				bl.append(b.Column(r.cols[i]), r.pos)
			}
			size += rb
			rows++
			r.pos++
			r.offset++
		}
	}
	page := &trinothrift.TrinoThriftPageResult_{ColumnBlocks: make([]*trinothrift.TrinoThriftBlock, len(builders)), RowCount: int32(rows)}
	for i, bl := range builders {
		page.ColumnBlocks[i] = bl.block()
	}
	done := false
	if !full {
		b, err := r.current()
		if err != nil {
			return nil, false, err
		}
		done = b == nil
	}
	return page, done, nil
}

func (r *rowReader) close() {
	if r.batch != nil {
		r.batch.Release()
		r.batch = nil
	}
	if r.stream != nil {
		r.stream.Close()
	}
	r.cancel()
}

// oneBatch streams one batch.
type oneBatch struct{ b arrow.RecordBatch }

func (s *oneBatch) Next(context.Context) (arrow.RecordBatch, error) {
	if s.b == nil {
		return nil, io.EOF
	}
	b := s.b
	s.b = nil
	return b, nil
}

func (s *oneBatch) Close() error {
	if s.b != nil {
		s.b.Release()
		s.b = nil
	}
	return nil
}

// readerKey names a paused reader: a split, the columns read and the rows already sent.
type readerKey struct {
	split, columns string
	offset         int64
}

// pageCache keeps the readers of splits between pages, so that the next page of a split
// continues where the last one stopped rather than reading its rows again. It is only a
// cache: a token whose reader is not here (another server's, evicted, idle too long) is
// served by reading the split again and skipping the rows sent.
type pageCache struct {
	mu      sync.Mutex
	readers map[readerKey]*cachedReader
	closed  bool
	sweeper *time.Timer // closes idle readers while any are kept
}

type cachedReader struct {
	r    *rowReader
	used time.Time
}

const (
	maxCachedReaders = 64
	readerIdle       = time.Minute
)

func (c *pageCache) take(k readerKey) *rowReader {
	c.mu.Lock()
	defer c.mu.Unlock()
	cr, ok := c.readers[k]
	if !ok {
		return nil
	}
	delete(c.readers, k)
	return cr.r
}

func (c *pageCache) put(k readerKey, r *rowReader) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		r.close()
		return
	}
	if c.readers == nil {
		c.readers = map[readerKey]*cachedReader{}
	}
	now := time.Now()
	oldest, _ := c.sweepLocked(now)
	if len(c.readers) >= maxCachedReaders {
		c.readers[oldest].r.close()
		delete(c.readers, oldest)
	}
	if old, ok := c.readers[k]; ok {
		old.r.close()
	}
	c.readers[k] = &cachedReader{r: r, used: now}
	if c.sweeper == nil {
		c.sweeper = time.AfterFunc(readerIdle, c.sweep)
	}
}

// sweepLocked closes the readers idle for longer than readerIdle and returns the key of the
// least recently used one left.
func (c *pageCache) sweepLocked(now time.Time) (oldest readerKey, oldestAt time.Time) {
	for key, cr := range c.readers {
		if now.Sub(cr.used) > readerIdle {
			cr.r.close()
			delete(c.readers, key)
			continue
		}
		if oldestAt.IsZero() || cr.used.Before(oldestAt) {
			oldest, oldestAt = key, cr.used
		}
	}
	return oldest, oldestAt
}

// sweep runs from the timer: it closes idle readers and runs again while any are kept.
func (c *pageCache) sweep() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sweepLocked(time.Now())
	c.sweeper = nil
	if len(c.readers) > 0 && !c.closed {
		c.sweeper = time.AfterFunc(readerIdle/2, c.sweep)
	}
}

func (c *pageCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.sweeper != nil {
		c.sweeper.Stop()
		c.sweeper = nil
	}
	for k, cr := range c.readers {
		cr.r.close()
		delete(c.readers, k)
	}
}
