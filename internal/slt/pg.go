package slt

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// Protocol is the PostgreSQL protocol flow a PG uses for each statement.
type Protocol int

// Protocols.
const (
	// Simple sends a Query message.
	Simple Protocol = iota
	// Extended sends Parse, Bind, Describe and Execute for the unnamed statement, asking for
	// results in text format.
	Extended
)

// PG is a DB over a PostgreSQL wire connection, to sleeperd or to PostgreSQL itself.
type PG struct {
	conn  *pgconn.PgConn
	proto Protocol
}

var _ DB = (*PG)(nil)

// NewPG returns a DB over conn, which stays owned by the caller.
func NewPG(conn *pgconn.PgConn, proto Protocol) (*PG, error) {
	if conn == nil {
		return nil, errors.New("slt: nil connection")
	}
	if proto != Simple && proto != Extended {
		return nil, errors.New("slt: unknown protocol")
	}
	return &PG{conn: conn, proto: proto}, nil
}

// Exec runs text and returns the result of its last statement. Only the simple protocol
// accepts several statements in one text.
func (p *PG) Exec(ctx context.Context, text string) (*Result, error) {
	if p.proto == Extended {
		return read(p.conn.ExecParams(ctx, text, nil, nil, nil, nil))
	}
	mrr := p.conn.Exec(ctx, text)
	res, err := &Result{}, error(nil)
	for mrr.NextResult() {
		r, rerr := read(mrr.ResultReader())
		if rerr != nil && err == nil {
			err = rerr
		}
		res = r
	}
	if cerr := mrr.Close(); cerr != nil && err == nil {
		err = pgError(cerr)
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// read reads one statement's result. Unlike ResultReader.Read it keeps the columns of a
// result without rows.
func read(rr *pgconn.ResultReader) (*Result, error) {
	res := &Result{}
	for rr.NextRow() {
		vals := rr.Values()
		row := make([]sql.NullString, len(vals))
		for i, v := range vals {
			if v != nil {
				row[i] = sql.NullString{String: string(v), Valid: true}
			}
		}
		res.Rows = append(res.Rows, row)
	}
	fields := rr.FieldDescriptions()
	tag, err := rr.Close()
	if err != nil {
		return nil, pgError(err)
	}
	res.Tag = tag.String()
	if fields != nil {
		res.Columns = []Column{}
		for _, f := range fields {
			res.Columns = append(res.Columns, Column{Name: f.Name, Type: oidLetter(f.DataTypeOID), OID: f.DataTypeOID})
		}
	}
	return res, nil
}

// pgError turns a server error into an *Error carrying its SQLSTATE.
func pgError(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return &Error{Code: pe.Code, Message: pe.Message}
	}
	return err
}

// oidLetter is the type letter of a PostgreSQL type, or 0.
func oidLetter(oid uint32) byte {
	switch oid {
	case pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID, pgtype.OIDOID:
		return 'I'
	case pgtype.Float4OID, pgtype.Float8OID, pgtype.NumericOID:
		return 'R'
	case pgtype.TextOID, pgtype.VarcharOID, pgtype.BPCharOID, pgtype.NameOID, pgtype.ByteaOID, pgtype.UnknownOID:
		return 'T'
	case pgtype.BoolOID:
		return 'B'
	case pgtype.DateOID, pgtype.TimestampOID, pgtype.TimestamptzOID:
		return 'D'
	}
	return 0
}
