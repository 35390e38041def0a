package engine

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/planner"
)

// Conn is what a frontend holds for one client connection: it prepares and runs statements.
// A Conn is used by one goroutine at a time.
type Conn interface {
	// Split splits text holding zero or more statements separated by semicolons into the
	// statements' texts, in order. A syntax error anywhere fails the whole text.
	Split(text string) ([]string, error)
	// Prepare parses, binds and plans one statement. paramTypes holds the types the client
	// declared for $1, $2, ... (nil entries and missing entries are inferred from context; a
	// parameter whose type cannot be inferred is text).
	Prepare(ctx context.Context, sql string, paramTypes []arrow.DataType) (Statement, error)
	// Close releases the connection's resources.
	Close() error
}

// Statement is a prepared statement. It may be executed many times, but not concurrently.
type Statement interface {
	// ParamTypes are the types of $1, $2, ...
	ParamTypes() []arrow.DataType
	// Schema is the schema of the rows the statement returns, or nil for a statement that
	// returns no rows (DDL, INSERT).
	Schema() *arrow.Schema
	// Execute runs the statement with the given parameter values, one per ParamTypes entry,
	// as Go values: nil (NULL), bool, int64, float64, string (text, and numeric in decimal
	// notation), []byte, time.Time (date, timestamp). Statements that change data have done
	// so, committed, when Execute returns.
	Execute(ctx context.Context, params []any) (Result, error)
	// Close releases the statement.
	Close() error
}

// Result is the outcome of one execution of a statement.
type Result interface {
	// Next returns the next batch of rows, or io.EOF. The caller releases each batch.
	// A statement without rows returns io.EOF at once.
	Next(ctx context.Context) (arrow.RecordBatch, error)
	// Tag is the command completion tag, such as "SELECT 3", "INSERT 0 5" or "CREATE TABLE".
	// It is final once Next has returned io.EOF.
	Tag() string
	// Close stops the execution and releases its resources; it may be called before io.EOF.
	Close() error
}

// Transactions is implemented by connections that keep transaction blocks.
type Transactions interface {
	// TxStatus is the transaction status ReadyForQuery reports: 'I' outside a block, 'T'
	// in one, 'E' in a block that failed (only its end runs).
	TxStatus() byte
	// FailTransaction marks the block, if any, failed: for errors of the frontend's own,
	// such as a bad Bind message, inside a block.
	FailTransaction()
}

// Notice is a message for the client that is not an error: PostgreSQL's NOTICE and WARNING
// (Severity), with a SQLSTATE (Code, "00000" for a plain notice).
type Notice struct {
	Severity, Code, Message string
}

// Noticer is implemented by results that carry notices; frontends deliver them before the
// result's rows.
type Noticer interface {
	Notices() []Notice
}

// CopyOptions are the format options of COPY (planner.CopyOptions).
type CopyOptions = planner.CopyOptions

// CopyOut is implemented by the result of COPY ... TO STDOUT: its batches are the rows to
// copy, with the columns of Fields, for the frontend to encode with the options. Its tag is
// "COPY n".
type CopyOut interface {
	Result
	CopyOut() (fields []arrow.Field, opts CopyOptions)
}

// CopyIn is implemented by the result of COPY ... FROM STDIN, which has read nothing yet:
// the frontend decodes the client's data into batches of the target's fields and hands each
// to CopyBatch as it is decoded, then calls CopyCommit at the end of the data. The rows are
// one commit: all of them become visible at CopyCommit, or none; closing the result before
// CopyCommit (after an error in the data, say) writes nothing. Its tag is "COPY n" once
// CopyCommit has succeeded.
type CopyIn interface {
	Result
	// CopyTarget is the name of the table copied into, the fields of the copied columns in
	// order (not nullable where the table refuses NULL), and the options.
	CopyTarget() (relation string, fields []arrow.Field, opts CopyOptions)
	// CopyBatch adds the rows of b, which has the fields of CopyTarget, to the copy. The
	// caller keeps b. After an error the copy is over: it can only be closed.
	CopyBatch(ctx context.Context, b arrow.RecordBatch) error
	// CopyCommit commits every row given to CopyBatch as one commit.
	CopyCommit(ctx context.Context) error
	// Allocator is what the frontend decodes the batches with: the statement's memory,
	// counted against its limit while it is held (by the frontend, or by the copy until it
	// is written). Check reports an error that ends the copy before CopyCommit, such as
	// going over that limit; the frontend calls it as the data comes.
	Allocator() memory.Allocator
	Check() error
}
