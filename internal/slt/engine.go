package slt

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/format/pgvalue"
	sqltypes "github.com/sleeperd/sleeperd/types"
)

// Conn is a DB over an engine connection, in process. It formats values as the Postgres wire
// frontend does, so the same expectations hold in process and over the wire.
type Conn struct {
	conn engine.Conn
}

var _ DB = (*Conn)(nil)

// NewConn returns a DB over conn, which stays owned by the caller.
func NewConn(conn engine.Conn) (*Conn, error) {
	if conn == nil {
		return nil, errors.New("slt: nil engine connection")
	}
	return &Conn{conn: conn}, nil
}

// Exec runs every statement of text and returns the result of the last one.
func (c *Conn) Exec(ctx context.Context, text string) (*Result, error) {
	stmts, err := c.conn.Split(text)
	if err != nil {
		return nil, &Error{Message: err.Error()}
	}
	res := &Result{}
	for _, s := range stmts {
		if res, err = c.exec(ctx, s); err != nil {
			return nil, &Error{Message: err.Error()}
		}
	}
	return res, nil
}

// exec prepares, runs and drains one statement.
func (c *Conn) exec(ctx context.Context, text string) (*Result, error) {
	stmt, err := c.conn.Prepare(ctx, text, nil)
	if err != nil {
		return nil, err
	}
	defer stmt.Close()
	res := &Result{}
	if schema := stmt.Schema(); schema != nil {
		res.Columns = []Column{}
		for _, f := range schema.Fields() {
			res.Columns = append(res.Columns, Column{Name: f.Name, Type: FieldTypeLetter(f)})
		}
	}
	out, err := stmt.Execute(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer out.Close()
	var loc *time.Location
	if st, ok := c.conn.(engine.Settings); ok {
		loc = st.TimeZone()
	}
	var names sqltypes.RegNames
	if n, ok := out.(engine.RegNamer); ok {
		names = n.RegNames()
	}
	var fields []arrow.Field
	if schema := stmt.Schema(); schema != nil {
		fields = schema.Fields()
	}
	for {
		batch, err := out.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if int(batch.NumCols()) != len(res.Columns) {
			n := batch.NumCols()
			batch.Release()
			return nil, fmt.Errorf("slt: batch has %d columns, schema %d", n, len(res.Columns))
		}
		for i := 0; i < int(batch.NumRows()); i++ {
			row := make([]sql.NullString, batch.NumCols())
			for j, col := range batch.Columns() {
				if col.IsValid(i) {
					row[j] = sql.NullString{String: string(pgvalue.AppendFieldNames(nil, fields[j], col, i, loc, names)), Valid: true}
				}
			}
			res.Rows = append(res.Rows, row)
		}
		batch.Release()
	}
	res.Tag = out.Tag()
	return res, out.Close()
}
