package pgcopy

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/format/pgvalue"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// BatchRows is how many rows the decoder puts in one batch.
const BatchRows = 64 << 10

// maxShown is how much of a line an error's context shows, as PostgreSQL limits it.
const maxShown = 100

// Decoder reads COPY data in one of its formats into Arrow batches of the given fields. A
// NULL in a field that is not nullable fails with not_null_violation. Feed it data with
// Write, in pieces of any size, taking the completed batches with Take between writes to
// hold only part of the rows, then call Finish; errors carry the line (the row, in binary)
// and column they were found at in Where, as PostgreSQL's context does.
type Decoder struct {
	mem      memory.Allocator
	relation string
	fields   []arrow.Field
	schema   *arrow.Schema
	opts     planner.CopyOptions
	forceNN  []bool
	forceN   []bool
	// charLen is n for a column of type varchar(n) or char(n) (charFixed), or -1.
	charLen   []int
	charFixed []bool
	loc       *time.Location // the time zone of timestamptz values without an offset
	eol       int            // the line ending style of the first line (eolNL, ...), or 0

	builders []array.Builder
	batches  []arrow.RecordBatch
	rows     int64 // rows decoded
	pending  int   // rows in builders

	buf       []byte // undecoded input
	line      int64  // lines (tuples, in binary) read
	started   bool   // the header (line or binary header) has been read
	ended     bool   // the end marker was read: the rest is ignored
	marker    bool   // record found the end marker of text format
	fieldsBuf [][]byte
	nulls     []bool
	value     []byte
}

// NewDecoder returns a decoder of rows of fields, of a relation named for errors, whose
// batches are allocated from mem.
func NewDecoder(mem memory.Allocator, relation string, fields []arrow.Field, opts planner.CopyOptions) *Decoder {
	d := &Decoder{mem: mem, relation: relation, fields: fields, schema: arrow.NewSchema(fields, nil), opts: opts,
		forceNN: make([]bool, len(fields)), forceN: make([]bool, len(fields))}
	d.charLen, d.charFixed = make([]int, len(fields)), make([]bool, len(fields))
	for i, f := range fields {
		d.charLen[i] = -1
		if n, fixed, ok := types.FieldCharLength(f); ok {
			d.charLen[i], d.charFixed[i] = n, fixed
		}
	}
	for _, i := range opts.ForceNotNull {
		d.forceNN[i] = true
	}
	for _, i := range opts.ForceNull {
		d.forceN[i] = true
	}
	d.newBuilders()
	return d
}

// SetTimeZone makes text timestamptz values without an offset local time in loc (the
// session's TimeZone) instead of UTC.
func (d *Decoder) SetTimeZone(loc *time.Location) { d.loc = loc }

// Schema is the schema of the decoded batches.
func (d *Decoder) Schema() *arrow.Schema { return d.schema }

// Rows is the number of rows decoded so far.
func (d *Decoder) Rows() int64 { return d.rows }

func (d *Decoder) newBuilders() {
	d.builders = make([]array.Builder, len(d.fields))
	for i, f := range d.fields {
		d.builders[i] = array.NewBuilder(d.mem, f.Type)
	}
}

// Write decodes the complete rows of p, after what earlier calls left undecoded.
func (d *Decoder) Write(p []byte) error {
	if d.ended {
		if d.opts.Format == planner.CopyBinary && len(p) > 0 {
			return d.afterEnd()
		}
		return nil
	}
	d.buf = append(d.buf, p...)
	n, err := d.decode(false)
	d.buf = d.buf[:copy(d.buf, d.buf[n:])]
	return err
}

// afterEnd is the error of binary data after the trailer.
func (d *Decoder) afterEnd() error {
	return d.fail(errs.New(errs.BadCopyFormat, "received copy data after EOF marker"), nil, "", nil)
}

// Take returns the batches completed so far (each holds BatchRows rows) and forgets them;
// the caller releases them. Rows still being collected stay for a later Take or Finish, so
// batches taken during Write and those Finish returns are all the rows, in order. Taking
// batches changes nothing in how the decoder counts lines or reports errors.
func (d *Decoder) Take() []arrow.RecordBatch {
	out := d.batches
	d.batches = nil
	return out
}

// Finish decodes what is left and returns the batches not taken; the caller releases them. After an
// error, the decoder holds nothing: Release is not needed.
func (d *Decoder) Finish() ([]arrow.RecordBatch, error) {
	if !d.ended {
		if _, err := d.decode(true); err != nil {
			d.Release()
			return nil, err
		}
	}
	d.flush()
	out := d.batches
	d.batches = nil
	d.Release()
	return out, nil
}

// Release frees the batches and builders of a decoder that is not finished.
func (d *Decoder) Release() {
	for _, b := range d.batches {
		b.Release()
	}
	d.batches = nil
	for _, b := range d.builders {
		if b != nil {
			b.Release()
		}
	}
	d.builders = nil
	d.buf = nil
}

// flush turns the rows in the builders into a batch.
func (d *Decoder) flush() {
	if d.pending == 0 || d.builders == nil {
		return
	}
	cols := make([]arrow.Array, len(d.builders))
	for i, b := range d.builders {
		cols[i] = b.NewArray()
	}
	d.batches = append(d.batches, array.NewRecordBatch(d.schema, cols, int64(d.pending)))
	for _, c := range cols {
		c.Release()
	}
	d.pending = 0
}

// decode decodes the complete records at the start of d.buf (all of it when final) and
// returns how many bytes it consumed.
func (d *Decoder) decode(final bool) (int, error) {
	if d.opts.Format == planner.CopyBinary {
		return d.decodeBinary(final)
	}
	pos := 0
	for !d.ended && pos < len(d.buf) {
		end, next, lines, ok, err := d.record(d.buf[pos:], final)
		if err != nil {
			return pos, err
		}
		if !ok {
			break
		}
		rec := d.buf[pos : pos+end]
		if d.marker {
			d.ended = true
			if len(rec) == 0 {
				break
			}
			d.line++
			if err := d.row(rec); err != nil {
				return pos, err
			}
			break
		}
		pos += next
		d.line += int64(lines)
		if string(rec) == `\.` {
			d.ended = true
			break
		}
		if !d.started {
			d.started = true
			if d.opts.HeaderMatch {
				if err := d.matchHeader(rec); err != nil {
					return pos, err
				}
			}
			if d.opts.Header {
				continue
			}
		}
		if err := d.row(rec); err != nil {
			return pos, err
		}
	}
	return pos, nil
}

// record finds the first record of b: its length without the line ending, the offset of
// what follows it, and the lines it counts for in errors: one, plus in CSV, as PostgreSQL
// counts them, the line endings of the first line's style inside quoted values once that
// style is known. ok is false when b holds no complete
// record and more data may come.
func (d *Decoder) record(b []byte, final bool) (end, next, lines int, ok bool, err error) {
	csv := d.opts.Format == planner.CopyCSV
	inQuote := false
	lines = 1
	// lineErr fails on a line break of the wrong style, as PostgreSQL does.
	lineErr := func(what, hint string) error {
		d.line++
		msg := "literal " + what + " found in data"
		if csv {
			msg = "unquoted " + what + " found in data"
			hint = "Use quoted CSV field to represent " + what + "."
		}
		return d.fail(&errs.Error{Kind: errs.BadCopyFormat, Msg: msg, Hint: hint}, nil, "", nil)
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case csv && inQuote:
			if c == d.opts.Escape && i+1 < len(b) && (b[i+1] == d.opts.Quote || b[i+1] == d.opts.Escape) && c != d.opts.Quote {
				i++
			} else if c == d.opts.Quote {
				inQuote = false
			} else if d.eol == eolNL && c == '\n' || (d.eol == eolCR || d.eol == eolCRNL) && c == '\r' {
				lines++
			}
		case csv && c == d.opts.Quote:
			inQuote = true
		case !csv && c == '\\':
			if i+1 == len(b) && !final {
				return 0, 0, 0, false, nil
			}
			if i+1 < len(b) && b[i+1] == '.' {
				// The end-of-data marker, which must end its line with the line ending of the
				// lines before; what comes before it on the line is the last record.
				j := i + 2
				if d.eol == eolCRNL {
					if j == len(b) && !final {
						return 0, 0, 0, false, nil
					}
					if j < len(b) && b[j] == '\n' {
						return 0, 0, 0, false, d.markerErr("end-of-copy marker does not match previous newline style")
					}
					if j == len(b) || b[j] != '\r' {
						return 0, 0, 0, false, d.markerErr("end-of-copy marker corrupt")
					}
					j++
				}
				if j == len(b) && !final {
					return 0, 0, 0, false, nil
				}
				if j == len(b) || b[j] != '\n' && b[j] != '\r' {
					return 0, 0, 0, false, d.markerErr("end-of-copy marker corrupt")
				}
				if d.eol == eolNL && b[j] != '\n' || d.eol == eolCRNL && b[j] != '\n' || d.eol == eolCR && b[j] != '\r' {
					return 0, 0, 0, false, d.markerErr("end-of-copy marker does not match previous newline style")
				}
				d.marker = true
				return i, len(b), lines, true, nil
			}
			i++
		case c == '\n':
			if d.eol == eolCR || d.eol == eolCRNL {
				return 0, 0, 0, false, lineErr("newline", `Use "\\n" to represent newline.`)
			}
			d.eol = eolNL
			return i, i + 1, lines, true, nil
		case c == '\r':
			if d.eol == eolNL {
				return 0, 0, 0, false, lineErr("carriage return", `Use "\\r" to represent carriage return.`)
			}
			if d.eol == eolCR {
				return i, i + 1, lines, true, nil
			}
			if i+1 == len(b) && !final {
				return 0, 0, 0, false, nil
			}
			if i+1 < len(b) && b[i+1] == '\n' {
				d.eol = eolCRNL
				return i, i + 2, lines, true, nil
			}
			if d.eol == eolCRNL {
				return 0, 0, 0, false, lineErr("carriage return", `Use "\\r" to represent carriage return.`)
			}
			d.eol = eolCR
			return i, i + 1, lines, true, nil
		}
	}
	if !final {
		return 0, 0, 0, false, nil
	}
	if inQuote {
		d.line += int64(lines)
		return 0, 0, 0, false, d.fail(errs.New(errs.BadCopyFormat, "unterminated CSV quoted field"), b, "", nil)
	}
	return len(b), len(b), lines, true, nil
}

// markerErr fails on a malformed end-of-data marker. As in PostgreSQL, the context
// does not show the line, which is not read yet.
func (d *Decoder) markerErr(msg string) error {
	d.line++
	return d.fail(errs.New(errs.BadCopyFormat, "%s", msg), nil, "", nil)
}

// Line ending styles, as the first line sets them.
const (
	eolNL   = 1
	eolCR   = 2
	eolCRNL = 3
)

// fail gives err the context of the current line: the line shown, and the column and its
// value when column is set.
func (d *Decoder) fail(err error, line []byte, column string, value []byte) error {
	where := fmt.Sprintf("COPY %s, line %d", d.relation, d.line)
	switch {
	case column != "" && value != nil:
		where += ", column " + column + ": \"" + shown(value) + "\""
	case column != "" && d.opts.Format == planner.CopyBinary:
		where += ", column " + column
	case line != nil && d.opts.Format != planner.CopyBinary:
		where += ": \"" + shown(line) + "\""
	}
	if e, ok := err.(*errs.Error); ok {
		c := *e
		c.Where = where
		return &c
	}
	return &errs.Error{Kind: errs.KindOf(err), Msg: err.Error(), Where: where}
}

// Context gives err, an error that ended the data early, the context PostgreSQL gives it:
// the line that was to be read next.
func (d *Decoder) Context(err error) error {
	return &contextError{err: err, where: fmt.Sprintf("COPY %s, line %d", d.relation, d.line+1)}
}

// contextError is an error of any kind with a context.
type contextError struct {
	err   error
	where string
}

func (e *contextError) Error() string { return e.err.Error() }
func (e *contextError) Unwrap() error { return e.err }

// Where is the error's context.
func (e *contextError) Where() string { return e.where }

// shown is b as an error's context shows it: at most maxShown bytes, cut at a character
// boundary, followed by "..." when cut.
func shown(b []byte) string {
	if len(b) <= maxShown {
		return string(b)
	}
	n := maxShown
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return string(b[:n]) + "..."
}

// matchHeader checks that the header line names the copied columns in order (HEADER MATCH).
func (d *Decoder) matchHeader(rec []byte) error {
	var err error
	if d.opts.Format == planner.CopyCSV {
		err = d.splitCSV(rec)
	} else {
		err = d.splitText(rec)
	}
	if err == nil && len(d.fieldsBuf) != len(d.fields) {
		err = errs.New(errs.BadCopyFormat, "wrong number of fields in header line: got %d, expected %d", len(d.fieldsBuf), len(d.fields))
	}
	for i := 0; err == nil && i < len(d.fields); i++ {
		switch {
		case d.nulls[i]:
			err = errs.New(errs.BadCopyFormat, "column name mismatch in header line field %d: got null value (\"%s\"), expected \"%s\"", i+1, d.opts.Null, d.fields[i].Name)
		case string(d.fieldsBuf[i]) != d.fields[i].Name:
			err = errs.New(errs.BadCopyFormat, "column name mismatch in header line field %d: got \"%s\", expected \"%s\"", i+1, d.fieldsBuf[i], d.fields[i].Name)
		}
	}
	if err != nil {
		return d.fail(err, rec, "", nil)
	}
	return nil
}

// row decodes one text or CSV record into the builders.
func (d *Decoder) row(rec []byte) error {
	var err error
	if d.opts.Format == planner.CopyCSV {
		err = d.splitCSV(rec)
	} else {
		err = d.splitText(rec)
	}
	if err != nil {
		return d.fail(err, rec, "", nil)
	}
	if len(d.fieldsBuf) > len(d.fields) {
		return d.fail(errs.New(errs.BadCopyFormat, "extra data after last expected column"), rec, "", nil)
	}
	if len(d.fieldsBuf) < len(d.fields) {
		return d.fail(errs.New(errs.BadCopyFormat, "missing data for column %q", d.fields[len(d.fieldsBuf)].Name), rec, "", nil)
	}
	for i, v := range d.fieldsBuf {
		if d.nulls[i] {
			continue
		}
		x, err := d.textField(i, v)
		if err == nil && d.charLen[i] >= 0 {
			x, err = d.char(i, x.(string))
		}
		if err == nil {
			err = d.append(i, x)
		}
		if err != nil {
			return d.fail(err, rec, d.fields[i].Name, v)
		}
	}
	return d.finishRow(rec, func(i int) bool { return d.nulls[i] })
}

// textField decodes the text v of field i: json checked, jsonb normalised and uuid parsed as
// their input functions do, other types by pgvalue.
func (d *Decoder) textField(i int, v []byte) (any, error) {
	switch pt := types.FieldPGType(d.fields[i]); pt.OID {
	case types.OIDTime:
		us, err := types.ParseTime(string(v))
		if err != nil {
			return nil, err
		}
		return types.RoundTime(us, pt.Mod), nil
	case types.OIDTimeTZ:
		return timetzText(string(v), d.loc, pt.Mod)
	case types.OIDUUID:
		return types.ParseUUID(string(v))
	case types.OIDJSONB:
		return types.JSONBNormalize(string(v))
	case types.OIDJSON:
		if _, err := types.ParseJSON(string(v), "json"); err != nil {
			return nil, err
		}
		return string(v), nil
	}
	return pgvalue.DecodeTextIn(d.fields[i].Type, string(v), d.loc)
}

// char checks a value of a varchar(n) or char(n) column as an assignment does (see FitChar).
func (d *Decoder) char(i int, s string) (string, error) {
	return FitChar(s, d.charLen[i], d.charFixed[i])
}

// finishRow appends the NULLs of the row (checking nullability) and counts it.
func (d *Decoder) finishRow(rec []byte, isNull func(int) bool) error {
	for i, f := range d.fields {
		if isNull(i) && !f.Nullable {
			return d.fail(errs.New(errs.NotNullViolation, "null value in column %q of relation %q violates not-null constraint", f.Name, d.relation), rec, "", nil)
		}
	}
	for i := range d.fields {
		if isNull(i) {
			d.builders[i].AppendNull()
		}
	}
	d.rows++
	d.pending++
	if d.pending >= BatchRows {
		d.flush()
		d.newBuilders()
	}
	return nil
}

// splitText splits a text-format line into fields, undoing its backslash escapes; a field
// whose raw text is the NULL string is NULL.
func (d *Decoder) splitText(rec []byte) error {
	d.fieldsBuf, d.nulls = d.fieldsBuf[:0], d.nulls[:0]
	d.value = d.value[:0]
	delim := d.opts.Delimiter
	start := 0
	out := len(d.value)
	for i := 0; ; i++ {
		if i == len(rec) || rec[i] == delim {
			raw := rec[start:i]
			d.nulls = append(d.nulls, string(raw) == d.opts.Null)
			d.fieldsBuf = append(d.fieldsBuf, d.value[out:len(d.value):len(d.value)])
			if i == len(rec) {
				break
			}
			start, out = i+1, len(d.value)
			continue
		}
		c := rec[i]
		if c != '\\' || i+1 == len(rec) {
			d.value = append(d.value, c)
			continue
		}
		i++
		c = rec[i]
		switch c {
		case 'b':
			c = '\b'
		case 'f':
			c = '\f'
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 't':
			c = '\t'
		case 'v':
			c = '\v'
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := int(c - '0')
			for k := 0; k < 2 && i+1 < len(rec) && rec[i+1] >= '0' && rec[i+1] <= '7'; k++ {
				i++
				v = v*8 + int(rec[i]-'0')
			}
			c = byte(v)
		case 'x':
			if i+1 < len(rec) && isHex(rec[i+1]) {
				i++
				v := unhex(rec[i])
				if i+1 < len(rec) && isHex(rec[i+1]) {
					i++
					v = v*16 + unhex(rec[i])
				}
				c = byte(v)
			}
		}
		d.value = append(d.value, c)
	}
	// Each field is a three-index slice of d.value taken after its last byte was appended,
	// so a later growth of d.value leaves its bytes in place.
	return nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) int {
	switch {
	case c <= '9':
		return int(c - '0')
	case c >= 'a':
		return int(c-'a') + 10
	}
	return int(c-'A') + 10
}

// splitCSV splits a CSV record into fields (CopyReadAttributesCSV): an unquoted field equal
// to the NULL string is NULL (the empty string under FORCE_NOT_NULL), a quoted one only
// under FORCE_NULL.
func (d *Decoder) splitCSV(rec []byte) error {
	o := d.opts
	d.fieldsBuf, d.nulls = d.fieldsBuf[:0], d.nulls[:0]
	d.value = d.value[:0]
	i := 0
	for {
		start := len(d.value)
		sawQuote := false
		for i < len(rec) && rec[i] != o.Delimiter {
			c := rec[i]
			if c != o.Quote {
				d.value = append(d.value, c)
				i++
				continue
			}
			sawQuote = true
			i++
			for {
				if i == len(rec) {
					return errs.New(errs.BadCopyFormat, "unterminated CSV quoted field")
				}
				c = rec[i]
				if c == o.Escape && i+1 < len(rec) && (rec[i+1] == o.Quote || rec[i+1] == o.Escape) {
					d.value = append(d.value, rec[i+1])
					i += 2
					continue
				}
				if c == o.Quote {
					i++
					break
				}
				d.value = append(d.value, c)
				i++
			}
		}
		v := d.value[start:len(d.value):len(d.value)]
		n := len(d.fieldsBuf)
		isNull := string(v) == o.Null
		if sawQuote {
			isNull = isNull && n < len(d.forceN) && d.forceN[n]
		} else if isNull && n < len(d.forceNN) && d.forceNN[n] {
			isNull = false
		}
		d.fieldsBuf = append(d.fieldsBuf, v)
		d.nulls = append(d.nulls, isNull)
		if i == len(rec) {
			return nil
		}
		i++ // the delimiter
	}
}

// decodeBinary decodes the binary format's header and complete tuples at the start of
// d.buf.
func (d *Decoder) decodeBinary(final bool) (int, error) {
	b := d.buf
	pos := 0
	header := func(format string, args ...any) error { return errs.New(errs.BadCopyFormat, format, args...) }
	eof := func() error {
		return d.fail(errs.New(errs.BadCopyFormat, "unexpected EOF in COPY data"), nil, "", nil)
	}
	if !d.started {
		if len(b) < len(signature)+8 {
			if final {
				return 0, header("COPY file signature not recognized")
			}
			return 0, nil
		}
		if string(b[:len(signature)]) != signature {
			return 0, header("COPY file signature not recognized")
		}
		flags := binary.BigEndian.Uint32(b[len(signature):])
		if flags&(1<<16) != 0 {
			return 0, header("invalid COPY file header (WITH OIDS)")
		}
		if (flags&^(1<<16))>>16 != 0 {
			return 0, header("unrecognized critical flags in COPY file header")
		}
		ext := int(binary.BigEndian.Uint32(b[len(signature)+4:]))
		if len(b) < len(signature)+8+ext {
			if final {
				return 0, header("invalid COPY file header (wrong length)")
			}
			return 0, nil
		}
		pos = len(signature) + 8 + ext
		d.started = true
	}
	for pos < len(b) {
		if len(b)-pos < 2 {
			break
		}
		n := int(int16(binary.BigEndian.Uint16(b[pos:])))
		if n == -1 {
			d.ended = true
			d.line++
			if pos+2 < len(b) {
				return len(b), d.afterEnd()
			}
			return len(b), nil
		}
		// Find the end of the tuple before decoding any of it.
		end := pos + 2
		stuck := -1 // the field being read when the data ran out
		for k := 0; k < n; k++ {
			if len(b)-end < 4 {
				stuck = k
				break
			}
			l := int(int32(binary.BigEndian.Uint32(b[end:])))
			end += 4
			if l > 0 {
				if len(b)-end < l {
					stuck = k
					break
				}
				end += l
			}
		}
		if stuck >= 0 {
			if !final {
				break
			}
			d.line++
			if n != len(d.fields) {
				return pos, d.fail(errs.New(errs.BadCopyFormat, "row field count is %d, expected %d", n, len(d.fields)), nil, "", nil)
			}
			// The fields before the one cut off are read first, as PostgreSQL reads them.
			f := b[pos+2:]
			for k := 0; k < stuck; k++ {
				l := int(int32(binary.BigEndian.Uint32(f)))
				f = f[4:]
				if l < 0 {
					continue
				}
				if _, err := d.binaryField(k, f[:l]); err != nil {
					return pos, d.fail(err, nil, d.fields[k].Name, nil)
				}
				f = f[l:]
			}
			return pos, d.fail(errs.New(errs.BadCopyFormat, "unexpected EOF in COPY data"), nil, d.fields[stuck].Name, nil)
		}
		d.line++
		if n != len(d.fields) {
			return pos, d.fail(errs.New(errs.BadCopyFormat, "row field count is %d, expected %d", n, len(d.fields)), nil, "", nil)
		}
		if err := d.binaryTuple(b[pos+2 : end]); err != nil {
			return pos, err
		}
		pos = end
	}
	if final && pos < len(b) {
		d.line++
		return pos, eof()
	}
	return pos, nil
}

// binaryTuple decodes the fields of one binary tuple.
func (d *Decoder) binaryTuple(t []byte) error {
	d.nulls = d.nulls[:0]
	for i := range d.fields {
		l := int(int32(binary.BigEndian.Uint32(t)))
		t = t[4:]
		if l < 0 {
			d.nulls = append(d.nulls, true)
			continue
		}
		d.nulls = append(d.nulls, false)
		v := t[:l]
		t = t[l:]
		x, err := d.binaryField(i, v)
		if err == nil {
			err = d.append(i, x)
		}
		if err != nil {
			return d.fail(err, nil, d.fields[i].Name, nil)
		}
	}
	return d.finishRow(nil, func(i int) bool { return d.nulls[i] })
}

// binaryField decodes v, the binary value of field i, as PostgreSQL's receive function of
// its type does.
func (d *Decoder) binaryField(i int, v []byte) (any, error) {
	if pt := types.FieldPGType(d.fields[i]); pt.OID == types.OIDTimeTZ {
		return timetzBinary(v, pt.Mod)
	}
	w := fixedWidth(d.fields[i].Type)
	if w > 0 && len(v) < w {
		return nil, errs.New(errs.ProtocolViolation, "insufficient data left in message")
	}
	if w > 0 && len(v) > w {
		return nil, errs.New(errs.InvalidBinary, "incorrect binary data format")
	}
	var x any
	var err error
	switch pt := types.FieldPGType(d.fields[i]); pt.OID {
	case types.OIDTime:
		if len(v) != 8 {
			return nil, errs.New(errs.InvalidBinary, "incorrect binary data format")
		}
		us := int64(binary.BigEndian.Uint64(v))
		if us < 0 || us > types.MicrosPerDay {
			return nil, errs.New(errs.DatetimeOverflow, "time out of range")
		}
		return types.RoundTime(us, pt.Mod), nil
	case types.OIDUUID:
		if len(v) != 16 {
			return nil, errs.New(errs.InvalidBinary, "incorrect binary data format")
		}
		return append([]byte(nil), v...), nil
	case types.OIDJSONB:
		if len(v) == 0 || v[0] != 1 {
			return nil, errs.New(errs.InvalidBinary, "unsupported jsonb version number")
		}
		return types.JSONBNormalize(string(v[1:]))
	case types.OIDJSON:
		return d.textField(i, v)
	}
	x, err = pgvalue.DecodeBinary(d.fields[i].Type, v)
	if err != nil {
		return nil, errs.New(errs.InvalidBinary, "incorrect binary data format")
	}
	if d.charLen[i] >= 0 {
		return d.char(i, x.(string))
	}
	return x, nil
}

// fixedWidth is the size of the binary format of values of type dt, or 0 when it varies.
func fixedWidth(dt arrow.DataType) int {
	switch dt.ID() {
	case arrow.BOOL:
		return 1
	case arrow.INT16:
		return 2
	case arrow.INT32, arrow.FLOAT32, arrow.DATE32:
		return 4
	case arrow.INT64, arrow.FLOAT64, arrow.TIMESTAMP:
		return 8
	}
	return 0
}

// append appends x, a value as pgvalue decodes it, to the builder of field i.
func (d *Decoder) append(i int, x any) error {
	return appendValue(d.fields[i], d.builders[i], x)
}

// appendValue appends x, a value as pgvalue decodes it, to bld, a builder of field f's type.
func appendValue(f arrow.Field, bld array.Builder, x any) error {
	switch b := bld.(type) {
	case *array.ListBuilder:
		// An array: pgvalue decodes it to its elements, nil for NULL.
		if v, ok := x.([]any); ok {
			b.Append(true)
			ef := f.Type.(*arrow.ListType).ElemField()
			for _, e := range v {
				if e == nil {
					b.ValueBuilder().AppendNull()
					continue
				}
				if err := appendValue(ef, b.ValueBuilder(), e); err != nil {
					return err
				}
			}
			return nil
		}
	case *array.BooleanBuilder:
		if v, ok := x.(bool); ok {
			b.Append(v)
			return nil
		}
	case *array.Int16Builder:
		if v, ok := x.(int64); ok {
			if v < math.MinInt16 || v > math.MaxInt16 {
				return errs.New(errs.NumericRange, "smallint out of range")
			}
			b.Append(int16(v))
			return nil
		}
	case *array.Int32Builder:
		if v, ok := x.(int64); ok {
			if v < math.MinInt32 || v > math.MaxInt32 {
				return errs.New(errs.NumericRange, "integer out of range")
			}
			b.Append(int32(v))
			return nil
		}
	case *array.Int64Builder:
		if v, ok := x.(int64); ok {
			b.Append(v)
			return nil
		}
	case *array.Float32Builder:
		if v, ok := x.(float64); ok {
			b.Append(float32(v))
			return nil
		}
	case *array.Float64Builder:
		if v, ok := x.(float64); ok {
			b.Append(v)
			return nil
		}
	case *array.ExtensionBuilder:
		if v, ok := x.(string); ok && types.IsVarNumeric(f.Type) {
			n, err := exec.ParseVarNumeric(v)
			if err != nil {
				return err
			}
			b.Builder.(*array.Decimal128Builder).Append(n)
			return nil
		}
	case *array.Decimal128Builder:
		if v, ok := x.(string); ok {
			n, err := exec.ParseDecimal(v, f.Type.(*arrow.Decimal128Type))
			if err != nil {
				return err
			}
			b.Append(n)
			return nil
		}
	case *array.StringBuilder:
		switch v := x.(type) {
		case string:
			if !utf8.ValidString(v) {
				return errs.New(errs.InvalidText, "invalid byte sequence for encoding \"UTF8\"")
			}
			b.Append(v)
			return nil
		}
	case *array.BinaryBuilder:
		if v, ok := x.([]byte); ok {
			b.Append(v)
			return nil
		}
	case *array.Date32Builder:
		if v, ok := x.(time.Time); ok {
			b.Append(arrow.Date32FromTime(v))
			return nil
		}
	case *array.TimestampBuilder:
		if v, ok := x.(time.Time); ok {
			ts, err := arrow.TimestampFromTime(v, f.Type.(*arrow.TimestampType).Unit)
			if err != nil {
				return errs.New(errs.DatetimeOverflow, "timestamp out of range")
			}
			b.Append(ts)
			return nil
		}
	}
	return errs.New(errs.NotImplemented, "COPY FROM into a column of type %s is not supported", types.Name(f.Type))
}
