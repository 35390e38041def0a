package statestore

import (
	"cmp"
	"fmt"
	"strings"
	"time"
)

// RetireColumns retires stored column names: from this transaction on, an AddFiles or an
// AddDeletePredicate whose Columns name one of them is refused with ErrColumnRetired. A
// change of a column's type that gives the column a new stored name retires the former name
// before it checks the values already stored: every file it does not see was written under
// the new schema, or is refused.
//
// Without a Token the names are retired for good, or, with Revive, taken back. Names already
// retired (or, with Revive, not retired) are left as they are.
//
// With a Token the retirement is a Fence: temporary, held by Owner until Until (a lease the
// holder renews while it works), and lifted only by the transactions that name its Token, so
// that one holder never lifts another's. A name stays retired while it is retired for good or
// any Fence holds it. With a Token:
//   - neither Revive, Renew nor Keep sets the fences of Token on Names (or moves Until);
//   - Renew moves Until of the fences of Token on Names that still stand, and sets none;
//   - Revive lifts the fences of Token on Names (the change failed);
//   - Keep retires Names for good and lifts the fences of Token on them (the change
//     committed, or whoever finds an expired fence made sure that the name is no longer a
//     column's current stored name).
//
// The store does not act on Until: it records it for those deciding whether the holder is
// gone.
type RetireColumns struct {
	Names  []string `json:"names"`
	Revive bool     `json:"revive,omitempty"`
	// Token identifies a fence; see above.
	Token string `json:"token,omitempty"`
	// Owner names the holder of the fence (its host and process), for those who find it.
	Owner string    `json:"owner,omitempty"`
	Until time.Time `json:"until,omitzero"`
	Renew bool      `json:"renew,omitempty"`
	Keep  bool      `json:"keep,omitempty"`
}

// Fence is a temporary retirement of the stored column name Name: see RetireColumns.
type Fence struct {
	Name  string    `json:"name"`
	Token string    `json:"token"`
	Owner string    `json:"owner,omitempty"`
	Until time.Time `json:"until,omitzero"`
}

// compareFences orders fences by name, then token.
func compareFences(a, b Fence) int {
	return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Token, b.Token))
}

var _ Transaction = RetireColumns{}

func init() { register(RetireColumns{}.Kind(), func() Transaction { return new(RetireColumns) }) }

// Kind implements Transaction.
func (RetireColumns) Kind() string { return "RETIRE_COLUMNS" }

// Summary implements Transaction.
func (t RetireColumns) Summary() string {
	verb := "retire"
	switch {
	case t.Token != "" && t.Revive:
		verb = "lift fence " + t.Token + " of"
	case t.Token != "" && t.Keep:
		verb = "keep fence " + t.Token + ", retiring"
	case t.Token != "" && t.Renew:
		verb = "renew fence " + t.Token + " of"
	case t.Token != "":
		verb = "fence (" + t.Token + ", " + t.Owner + ")"
	case t.Revive:
		verb = "revive"
	}
	return fmt.Sprintf("%s stored %s: %s", verb, plural(len(t.Names), "column"), nameList(t.Names))
}

// Validate implements Transaction.
func (t RetireColumns) Validate(s *State) error {
	if !s.Initialised() {
		return invalid(ErrNotInitialised, "retiring columns of table %s", s.Table())
	}
	if len(t.Names) == 0 {
		return invalid(ErrInvalidTransaction, "no columns to retire")
	}
	for _, n := range t.Names {
		if n == "" {
			return invalid(ErrInvalidTransaction, "empty column name")
		}
	}
	n := 0
	for _, b := range []bool{t.Revive, t.Renew, t.Keep} {
		if b {
			n++
		}
	}
	switch {
	case n > 1:
		return invalid(ErrInvalidTransaction, "a retirement of columns is at most one of revive, renew and keep")
	case t.Token == "" && (t.Renew || t.Keep || t.Owner != "" || !t.Until.IsZero()):
		return invalid(ErrInvalidTransaction, "a fence of columns without a token")
	case t.Token != "" && !t.Revive && !t.Keep && t.Until.IsZero():
		return invalid(ErrInvalidTransaction, "fence %s of columns without a lease", t.Token)
	}
	return nil
}

// Apply implements Transaction.
func (t RetireColumns) Apply(m *mutableState) {
	if t.Token == "" {
		m.retireColumns(t.Names, t.Revive)
		return
	}
	m.setFences(t)
}

// refuseRetired refuses a write made under a schema whose stored column names are columns,
// when one of them is retired.
func refuseRetired(s *State, columns []string) error {
	for _, c := range columns {
		if s.ColumnRetired(c) {
			return invalid(ErrColumnRetired, "column %q is retired", c)
		}
	}
	return nil
}
