package planner

import "github.com/apache/arrow-go/v18/arrow"

// SetVariable sets (or, with Reset, resets to its default) a configuration parameter of the
// session: SET name TO value, SET TIME ZONE, RESET name, SET name TO DEFAULT. Name is
// lower-case ("timezone" for SET TIME ZONE, "all" for RESET ALL); Value is the text of the
// value list joined by ", ", without quotes, and empty when Reset is true.
type SetVariable struct {
	Name  string
	Value string
	Reset bool
	// Local is true for SET LOCAL, which lasts until the end of the transaction.
	Local bool
}

// ShowVariable shows the value of a configuration parameter (SHOW name; Name is lower-case,
// "all" for SHOW ALL).
type ShowVariable struct {
	Name string
}

func (s *SetVariable) Params() []arrow.DataType  { return nil }
func (s *ShowVariable) Params() []arrow.DataType { return nil }

func (*SetVariable) statement()  {}
func (*ShowVariable) statement() {}

// TransactionModes are the characteristics BEGIN, START TRANSACTION, SET TRANSACTION and SET
// SESSION CHARACTERISTICS AS TRANSACTION give: READ ONLY or READ WRITE (ReadOnly, nil when
// not given) and ISOLATION LEVEL (Isolation, lower-case, empty when not given).
type TransactionModes struct {
	ReadOnly  *bool
	Isolation string
}

// SetTransaction is SET TRANSACTION modes (the current transaction block's) or, with
// Session, SET SESSION CHARACTERISTICS AS TRANSACTION modes (the defaults of later
// transactions).
type SetTransaction struct {
	Modes   TransactionModes
	Session bool
}

func (s *SetTransaction) Params() []arrow.DataType { return nil }
func (*SetTransaction) statement()                 {}
