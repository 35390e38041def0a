package pgwire

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/format/pgvalue"
)

// writer is the writer of column col of p's result, field f, in format: a regclass, regtype,
// regproc, regnamespace or regrole column (or such a field of a record) shows the names of its OIDs in text, as the
// engine's catalog gives them when the rows are sent (PostgreSQL's output functions of these
// types look the catalog up then too).
func (c *conn) writer(p *portal, f arrow.Field, col arrow.Array, format int16) writer {
	if pgvalue.HasReg(f) {
		if p.regNames == nil {
			if n, ok := p.res.(engine.RegNamer); ok {
				p.regNames = n.RegNames()
			}
		}
		return pgvalue.NewWriterNames(f, col, format, c.loc, p.regNames)
	}
	return pgvalue.NewWriter(f, col, format, c.loc)
}
