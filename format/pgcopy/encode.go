package pgcopy

import (
	"encoding/binary"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/format/pgvalue"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// signature starts a file in COPY's binary format.
const signature = "PGCOPY\n\xff\r\n\x00"

// Encoder writes rows of Arrow batches in a COPY format. Use Start once, then for each batch
// Reset and AppendRow per row, then End.
type Encoder struct {
	opts    planner.CopyOptions
	fields  []arrow.Field
	loc     *time.Location
	quote   []bool // CSV: quote every non-NULL value of the column
	batch   arrow.RecordBatch
	writers []pgvalue.Writer
	scratch []byte
	names   types.RegNames
}

// NewEncoder returns an encoder of rows with the given fields, showing timestamptz values
// in loc (UTC when nil).
func NewEncoder(fields []arrow.Field, opts planner.CopyOptions, loc *time.Location) *Encoder {
	e := &Encoder{opts: opts, fields: fields, loc: loc, quote: make([]bool, len(fields))}
	for _, i := range opts.ForceQuote {
		e.quote[i] = true
	}
	if opts.ForceQuoteAll {
		for i := range e.quote {
			e.quote[i] = true
		}
	}
	return e
}

// SetRegNames makes the encoder write the regclass, regtype, regproc, regnamespace and
// regrole values of text and CSV by the names names gives their OIDs, as PostgreSQL's
// output functions of these types do (without names: by number).
func (e *Encoder) SetRegNames(names types.RegNames) { e.names = names }

// Start appends what comes before the rows: the header line of text and CSV when asked
// for, the signature, flags and header extension of binary.
func (e *Encoder) Start(dst []byte) []byte {
	switch {
	case e.opts.Format == planner.CopyBinary:
		dst = append(dst, signature...)
		dst = binary.BigEndian.AppendUint32(dst, 0)
		return binary.BigEndian.AppendUint32(dst, 0)
	case e.opts.Header:
		for i, f := range e.fields {
			if i > 0 {
				dst = append(dst, e.opts.Delimiter)
			}
			if e.opts.Format == planner.CopyCSV {
				dst = e.appendCSV(dst, []byte(f.Name), false)
			} else {
				dst = e.appendText(dst, []byte(f.Name))
			}
		}
		return append(dst, '\n')
	}
	return dst
}

// End appends what comes after the rows: binary's trailer.
func (e *Encoder) End(dst []byte) []byte {
	if e.opts.Format == planner.CopyBinary {
		return binary.BigEndian.AppendUint16(dst, 0xffff)
	}
	return dst
}

// Reset makes b the batch whose rows AppendRow writes. b must have the encoder's fields and
// outlive the calls.
func (e *Encoder) Reset(b arrow.RecordBatch) {
	e.batch = b
	e.writers = e.writers[:0]
	format := pgvalue.FormatText
	if e.opts.Format == planner.CopyBinary {
		format = pgvalue.FormatBinary
	}
	for j, col := range b.Columns() {
		e.writers = append(e.writers, pgvalue.NewWriterNames(e.fields[j], col, format, e.loc, e.names))
	}
}

// AppendRow appends row i of the current batch.
func (e *Encoder) AppendRow(dst []byte, i int) []byte {
	b := e.batch
	if e.opts.Format == planner.CopyBinary {
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(e.writers)))
		for j, w := range e.writers {
			if b.Column(j).IsNull(i) {
				dst = binary.BigEndian.AppendUint32(dst, 0xffffffff)
				continue
			}
			at := len(dst)
			dst = binary.BigEndian.AppendUint32(dst, 0)
			dst = w(dst, i)
			binary.BigEndian.PutUint32(dst[at:], uint32(len(dst)-at-4))
		}
		return dst
	}
	for j, w := range e.writers {
		if j > 0 {
			dst = append(dst, e.opts.Delimiter)
		}
		if b.Column(j).IsNull(i) {
			dst = append(dst, e.opts.Null...)
			continue
		}
		e.scratch = w(e.scratch[:0], i)
		if e.opts.Format == planner.CopyCSV {
			dst = e.appendCSV(dst, e.scratch, e.quote[j])
		} else {
			dst = e.appendText(dst, e.scratch)
		}
	}
	return append(dst, '\n')
}

// appendText appends v with text format's escapes (CopyAttributeOutText): backslash,
// the delimiter and the control characters \b \f \n \r \t \v are escaped with a backslash;
// other bytes are written as they are.
func (e *Encoder) appendText(dst, v []byte) []byte {
	delim := e.opts.Delimiter
	for _, c := range v {
		if c < 0x20 {
			switch c {
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\v':
				dst = append(dst, '\\', 'v')
			default:
				if c == delim {
					dst = append(dst, '\\', c)
				} else {
					dst = append(dst, c)
				}
			}
			continue
		}
		if c == '\\' || c == delim {
			dst = append(dst, '\\')
		}
		dst = append(dst, c)
	}
	return dst
}

// appendCSV appends v as CSV (CopyAttributeOutCSV): quoted when force is set, when it
// equals the NULL string, when it is \. alone on its line, or when it holds the delimiter,
// the quote character or a line break; inside quotes, the quote and escape characters are
// preceded by the escape character.
func (e *Encoder) appendCSV(dst, v []byte, force bool) []byte {
	o := e.opts
	quote := force || string(v) == o.Null
	if !quote {
		if len(e.fields) == 1 && string(v) == `\.` {
			quote = true
		}
		for _, c := range v {
			if c == o.Delimiter || c == o.Quote || c == '\n' || c == '\r' {
				quote = true
				break
			}
		}
	}
	if !quote {
		return append(dst, v...)
	}
	dst = append(dst, o.Quote)
	for _, c := range v {
		if c == o.Quote || c == o.Escape {
			dst = append(dst, o.Escape)
		}
		dst = append(dst, c)
	}
	return append(dst, o.Quote)
}
