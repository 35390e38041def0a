package planner

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/catalog"
)

// MergeKind is the action of a WHEN clause of MERGE.
type MergeKind int

const (
	MergeNothing MergeKind = iota
	MergeUpdate
	MergeDelete
	MergeInsert
)

// MergeAction is one WHEN clause of MERGE, in the statement's order. Matched tells WHEN
// MATCHED from WHEN NOT MATCHED. Cols are the table columns the clause's values fill (the
// SET columns of an UPDATE, the column list of an INSERT; an INSERT leaves the others to
// their defaults); the values are the columns First, First+1, ... of Merge.Rows.
type MergeAction struct {
	Kind    MergeKind
	Matched bool
	Cols    []int
	First   int
}

// Merge is MERGE INTO Table USING a source ON a condition. Rows is the plan of the
// statement: the source left-joined with Target (a scan of Table), one row per source row
// and target row it joins (or per source row that joins none), with the columns:
//
//	0: the number of the WHEN clause that applies to the row (Actions[n-1]), 0 for none;
//	1 .. len(Table.Columns): the target row's columns, NULL when it joined none;
//	then each clause's values (see MergeAction), NULL in rows the clause does not take.
type Merge struct {
	Table      *catalog.Table
	Target     *Scan
	Source     Node
	Rows       Node
	Actions    []MergeAction
	ParamTypes []arrow.DataType
}

// TargetCol is the column of Rows that holds table column i of the target row.
func (s *Merge) TargetCol(i int) int { return 1 + i }

func (s *Merge) Params() []arrow.DataType { return s.ParamTypes }
func (*Merge) statement()                 {}
