package pgwire

import (
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/format/pgcopy"
	"github.com/sleeperd/sleeperd/planner"
)

// copyFormat is the overall format and the per-column format codes of CopyInResponse and
// CopyOutResponse.
func copyFormat(opts engine.CopyOptions, n int) (byte, []uint16) {
	var f byte
	if opts.Format == planner.CopyBinary {
		f = 1
	}
	cols := make([]uint16, n)
	for i := range cols {
		cols[i] = uint16(f)
	}
	return f, cols
}

// copyOut runs COPY ... TO STDOUT: CopyOutResponse, the rows in CopyData messages (one per
// row, as PostgreSQL sends them), CopyDone and CommandComplete.
func (c *conn) copyOut(p *portal, res engine.CopyOut) error {
	fields, opts := res.CopyOut()
	f, cols := copyFormat(opts, len(fields))
	c.be.Send(&pgproto3.CopyOutResponse{OverallFormat: f, ColumnFormatCodes: cols})
	enc := pgcopy.NewEncoder(fields, opts, c.loc)
	if n, ok := res.(engine.RegNamer); ok {
		enc.SetRegNames(n.RegNames())
	}
	buf := enc.Start(c.buf[:0])
	if len(buf) > 0 && opts.Format != planner.CopyBinary {
		// The header line is a message of its own; binary's header goes with the first row.
		c.be.Send(&pgproto3.CopyData{Data: buf})
		buf = buf[:0]
	}
	for {
		b, err := res.Next(p.ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		enc.Reset(b)
		for i := 0; i < int(b.NumRows()); i++ {
			buf = enc.AppendRow(buf, i)
			c.be.Send(&pgproto3.CopyData{Data: buf})
			c.pending += len(buf) + 5
			buf = buf[:0]
			if c.pending >= flushSize {
				if err := c.flush(); err != nil {
					b.Release()
					return err
				}
			}
		}
		b.Release()
	}
	if buf = enc.End(buf); len(buf) > 0 {
		c.be.Send(&pgproto3.CopyData{Data: buf})
	}
	c.buf = buf[:0]
	c.be.Send(&pgproto3.CopyDone{})
	c.complete(res.Tag())
	return nil
}

// copyIn runs COPY ... FROM STDIN: CopyInResponse, then the client's CopyData messages are
// decoded as they come, each completed batch handed to the copy at once, until CopyDone,
// when the rows are committed as one commit, or CopyFail, when nothing is (the copy is
// closed without a commit).
// On an error it returns at once, as PostgreSQL does; the client's remaining CopyData,
// CopyDone and CopyFail messages are then ignored by handle.
func (c *conn) copyIn(p *portal, res engine.CopyIn) error {
	rel, fields, opts := res.CopyTarget()
	f, cols := copyFormat(opts, len(fields))
	c.be.Send(&pgproto3.CopyInResponse{OverallFormat: f, ColumnFormatCodes: cols})
	if err := c.flush(); err != nil {
		c.dead = err
		return err
	}
	dec := pgcopy.NewDecoder(res.Allocator(), rel, fields, opts)
	dec.SetTimeZone(c.loc)
	for {
		msg, err := c.be.Receive()
		if err != nil {
			dec.Release()
			c.dead = err
			return err
		}
		switch m := msg.(type) {
		case *pgproto3.CopyData:
			err := dec.Write(m.Data)
			if err == nil {
				err = copyBatches(p, res, dec.Take())
			}
			if err == nil {
				err = res.Check()
			}
			if err != nil {
				dec.Release()
				return err
			}
		case *pgproto3.CopyDone:
			batches, err := dec.Finish()
			if err != nil {
				return err
			}
			if err := copyBatches(p, res, batches); err != nil {
				return err
			}
			if err := res.CopyCommit(p.ctx); err != nil {
				return err
			}
			c.complete(res.Tag())
			return nil
		case *pgproto3.CopyFail:
			dec.Release()
			return dec.Context(&pgError{code: "57014", msg: fmt.Sprintf("COPY from stdin failed: %s", m.Message)})
		case *pgproto3.Flush, *pgproto3.Sync:
			// Ignored during copy-in, as the protocol says.
		case *pgproto3.Terminate:
			dec.Release()
			c.dead = io.EOF
			return c.dead
		default:
			dec.Release()
			return &pgError{code: "08P01", msg: fmt.Sprintf("unexpected message type %T during COPY from stdin", msg)}
		}
	}
}

// copyBatches hands batches to the copy in order and releases them all.
func copyBatches(p *portal, res engine.CopyIn, batches []arrow.RecordBatch) error {
	var err error
	for _, b := range batches {
		if err == nil {
			err = res.CopyBatch(p.ctx, b)
		}
		b.Release()
	}
	return err
}
