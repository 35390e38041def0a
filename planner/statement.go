package planner

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/catalog"
)

// Statement is a bound SQL statement, ready to be optimised and run.
type Statement interface {
	// Params are the types of the statement's parameters $1, $2, ...
	Params() []arrow.DataType
	statement()
}

// Query is a statement that returns rows.
type Query struct {
	Root Node
	// Names are the output column names, one per Root column.
	Names      []string
	ParamTypes []arrow.DataType
}

// Insert writes the rows of Source into Table. Targets[i] is the index of the Source column
// that fills table column i, or -1 for NULL (or a generated row id).
type Insert struct {
	Table      *catalog.Table
	Source     Node
	Targets    []int
	ParamTypes []arrow.DataType
	// OnConflict is the ON CONFLICT clause on the table's primary key, or nil.
	OnConflict *OnConflict
	Returning  *Returning
}

// Returning is the RETURNING list of an INSERT, UPDATE or DELETE: Exprs over Cols, one
// column per table column (hidden ones included), which hold the row inserted, the new
// values of a row updated or the row deleted. The statement's result has one column per
// expression: Out, named Names.
type Returning struct {
	Cols  []Column
	Exprs []Expr
	Out   []Column
	Names []string
}

// OnConflict is INSERT's ON CONFLICT (primary key) clause. With DoNothing a row whose key
// exists, or came earlier in the statement, is skipped. Otherwise the existing row is
// updated: Set maps table column indices to expressions over Existing (the table's row, one
// column per table column) and Excluded (the row proposed for insertion, likewise); the row
// is updated only where Where, when set, is true.
type OnConflict struct {
	DoNothing          bool
	Set                map[int]Expr
	Where              Expr
	Existing, Excluded []Column
}

// CreateTable creates a table.
type CreateTable struct {
	Def         catalog.TableDef
	IfNotExists bool
	// Sequences are those its serial and identity columns own, created before it.
	Sequences []*catalog.Sequence
}

// DropTable drops tables; Cascade also drops the views that read them.
type DropTable struct {
	Names    []string
	IfExists bool
	Cascade  bool
}

// ShowTables lists the tables.
type ShowTables struct{}

// Explain shows the plan of a query; with Analyze it runs the query and shows what each
// operator produced.
type Explain struct {
	Query   *Query
	Analyze bool
}

func (s *Query) Params() []arrow.DataType       { return s.ParamTypes }
func (s *Insert) Params() []arrow.DataType      { return s.ParamTypes }
func (s *CreateTable) Params() []arrow.DataType { return nil }
func (s *DropTable) Params() []arrow.DataType   { return nil }
func (s *ShowTables) Params() []arrow.DataType  { return nil }
func (s *Explain) Params() []arrow.DataType     { return s.Query.ParamTypes }

func (*Query) statement()       {}
func (*Insert) statement()      {}
func (*CreateTable) statement() {}
func (*DropTable) statement()   {}
func (*ShowTables) statement()  {}
func (*Explain) statement()     {}

// Delete removes the rows of Table for which Pred is true (all rows when Pred is nil). Pred
// refers to the columns of Scan, a scan of the table, and of Input when that is set.
type Delete struct {
	Table *catalog.Table
	Scan  *Scan
	// Input, when set, is Scan with the subqueries of Pred joined in: one row for each row
	// of Scan, with Scan's columns (same IDs) followed by the subqueries' columns. It is set
	// only when the statement was bound with Options.DMLInput.
	Input      Node
	Pred       Expr
	ParamTypes []arrow.DataType
	Returning  *Returning
}

// Update sets columns of the rows of Table for which Pred is true. Set maps table column
// indices to expressions over the columns of Scan, and of Input when that is set.
type Update struct {
	Table *catalog.Table
	Scan  *Scan
	// Input, when set, is Scan with the subqueries of Pred and Set joined in, as in Delete.
	Input      Node
	Pred       Expr
	Set        map[int]Expr
	ParamTypes []arrow.DataType
	Returning  *Returning
}

// Rows is the plan Pred filters: Input, or Scan when there is no Input.
func (s *Delete) Rows() Node {
	if s.Input != nil {
		return s.Input
	}
	return s.Scan
}

// Rows is the plan Pred filters and Set is computed over: Input, or Scan when there is none.
func (s *Update) Rows() Node {
	if s.Input != nil {
		return s.Input
	}
	return s.Scan
}

// Vacuum runs a table's background work now: compaction by its strategy, splitting and
// garbage collection; Full compacts every leaf to at most one file with every delete folded in.
type Vacuum struct {
	Tables []string // empty: every table
	Full   bool
}

// AlterTable sets table properties.
type AlterTable struct {
	Name string
	Set  map[string]string
}

func (s *Delete) Params() []arrow.DataType     { return s.ParamTypes }
func (s *Update) Params() []arrow.DataType     { return s.ParamTypes }
func (s *Vacuum) Params() []arrow.DataType     { return nil }
func (s *AlterTable) Params() []arrow.DataType { return nil }

func (*Delete) statement()     {}
func (*Update) statement()     {}
func (*Vacuum) statement()     {}
func (*AlterTable) statement() {}

// Utility is a statement accepted for the tools that send it, with nothing to do beyond its
// command tag and the session's transaction state: BEGIN, COMMIT, ROLLBACK (every statement
// commits on its own).
type Utility struct {
	Tag string
	// Modes are BEGIN's and START TRANSACTION's transaction modes.
	Modes TransactionModes
	// Savepoint names the savepoint of SAVEPOINT, RELEASE and ROLLBACK TO (Tag ROLLBACK).
	Savepoint string
}

// CreateTableAs creates a table keyed by insertion order from the rows of a query.
type CreateTableAs struct {
	Def         catalog.TableDef
	Source      Node
	IfNotExists bool
	ParamTypes  []arrow.DataType
}

func (s *Utility) Params() []arrow.DataType       { return nil }
func (s *CreateTableAs) Params() []arrow.DataType { return s.ParamTypes }

func (*Utility) statement()       {}
func (*CreateTableAs) statement() {}

// CreateView stores a view.
type CreateView struct {
	View    catalog.View
	Replace bool
}

// DropView drops views; Cascade also drops the views that read them.
type DropView struct {
	Names    []string
	IfExists bool
	Cascade  bool
}

func (s *CreateView) Params() []arrow.DataType { return nil }
func (s *DropView) Params() []arrow.DataType   { return nil }

func (*CreateView) statement() {}
func (*DropView) statement()   {}

// CreateIndex records an index (CREATE INDEX); no index is built. An empty Name is chosen
// by the catalog.
type CreateIndex struct {
	Name, Table string
	Columns     []string
	Unique      bool
	IfNotExists bool
}

// DropIndex removes recorded indexes (DROP INDEX).
type DropIndex struct {
	Names    []string
	IfExists bool
}

func (s *CreateIndex) Params() []arrow.DataType { return nil }
func (s *DropIndex) Params() []arrow.DataType   { return nil }

func (*CreateIndex) statement() {}
func (*DropIndex) statement()   {}

// CacheCall is SELECT sleeper.cache_pin('t') or sleeper.cache_evict('t'): pin a table's data
// in the hot cache (loading it), or drop it from the cache and unpin it.
type CacheCall struct {
	Func  string // cache_pin or cache_evict
	Table string
}

func (s *CacheCall) Params() []arrow.DataType { return nil }
func (*CacheCall) statement()                 {}
