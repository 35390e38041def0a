package catalog

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/sleeperd/sleeperd/errs"
)

// Sequence is a sequence's definition (CREATE SEQUENCE, or one a serial or identity column
// owns). Its state, the values handed out, is kept apart from the catalog, in the object
// store under SequencePrefix(ID), by whoever hands the values out.
type Sequence struct {
	// ID identifies the sequence forever: one created with a dropped sequence's name gets a
	// new ID, and so a fresh state.
	ID   string
	Name string
	// Type is the sequence's data type: smallint, integer or bigint.
	Type      string
	Increment int64
	Min, Max  int64
	Start     int64
	Cache     int64
	Cycle     bool
	// OwnedByTable and OwnedByColumn name the column that owns the sequence (serial and
	// identity columns): it is dropped with the table.
	OwnedByTable, OwnedByColumn string
}

// SequencePrefix is where the state of the sequence with ID id lives in the object store.
func SequencePrefix(id string) string { return "sequences/" + id + "/" }

// SequenceDef is what CREATE SEQUENCE asks for; nil fields take PostgreSQL's defaults.
type SequenceDef struct {
	Name                        string
	Type                        string // smallint, integer or bigint (the default)
	Increment, Min, Max, Start  *int64
	Cache                       *int64
	Cycle                       bool
	OwnedByTable, OwnedByColumn string
}

// DefineSequence validates def and fills in PostgreSQL's defaults, with its errors.
func DefineSequence(def SequenceDef) (*Sequence, error) {
	s := &Sequence{Name: def.Name, Type: def.Type, Increment: 1, Cache: 1, Cycle: def.Cycle, OwnedByTable: def.OwnedByTable, OwnedByColumn: def.OwnedByColumn}
	if s.Type == "" {
		s.Type = "bigint"
	}
	var lo, hi int64
	switch s.Type {
	case "smallint":
		lo, hi = math.MinInt16, math.MaxInt16
	case "integer":
		lo, hi = math.MinInt32, math.MaxInt32
	case "bigint":
		lo, hi = math.MinInt64, math.MaxInt64
	default:
		return nil, errs.New(errs.InvalidParameter, "sequence type must be smallint, integer, or bigint")
	}
	if def.Increment != nil {
		s.Increment = *def.Increment
	}
	if s.Increment == 0 {
		return nil, errs.New(errs.InvalidParameter, "INCREMENT must not be zero")
	}
	if s.Increment > 0 {
		s.Min, s.Max = 1, hi
	} else {
		s.Min, s.Max = lo, -1
	}
	if def.Max != nil {
		s.Max = *def.Max
		if s.Max < lo || s.Max > hi {
			return nil, errs.New(errs.InvalidParameter, "MAXVALUE (%d) is out of range for sequence data type %s", s.Max, s.Type)
		}
	}
	if def.Min != nil {
		s.Min = *def.Min
		if s.Min < lo || s.Min > hi {
			return nil, errs.New(errs.InvalidParameter, "MINVALUE (%d) is out of range for sequence data type %s", s.Min, s.Type)
		}
	}
	if s.Min >= s.Max {
		return nil, errs.New(errs.InvalidParameter, "MINVALUE (%d) must be less than MAXVALUE (%d)", s.Min, s.Max)
	}
	if s.Increment > 0 {
		s.Start = s.Min
	} else {
		s.Start = s.Max
	}
	if def.Start != nil {
		s.Start = *def.Start
	}
	if s.Start < s.Min {
		return nil, errs.New(errs.InvalidParameter, "START value (%d) cannot be less than MINVALUE (%d)", s.Start, s.Min)
	}
	if s.Start > s.Max {
		return nil, errs.New(errs.InvalidParameter, "START value (%d) cannot be greater than MAXVALUE (%d)", s.Start, s.Max)
	}
	if def.Cache != nil {
		s.Cache = *def.Cache
		if s.Cache <= 0 {
			return nil, errs.New(errs.InvalidParameter, "CACHE (%d) must be greater than zero", s.Cache)
		}
	}
	return s, nil
}

const (
	opCreateSequence = "CreateSequence"
	opDropSequence   = "DropSequence"
)

type sequenceJSON struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Type          string `json:"type"`
	Increment     int64  `json:"increment"`
	Min           int64  `json:"min"`
	Max           int64  `json:"max"`
	Start         int64  `json:"start"`
	Cache         int64  `json:"cache"`
	Cycle         bool   `json:"cycle,omitempty"`
	OwnedByTable  string `json:"ownedByTable,omitempty"`
	OwnedByColumn string `json:"ownedByColumn,omitempty"`
}

// applySequence applies a sequence entry; it reports false for other operations.
func (c *Catalog) applySequence(e entry) (bool, error) {
	switch e.Op {
	case opCreateSequence:
		if e.Sequence == nil {
			return true, errors.New("create sequence without a sequence")
		}
		j := e.Sequence
		if c.sequences == nil {
			c.sequences = map[string]*Sequence{}
		}
		c.sequences[j.Name] = &Sequence{ID: j.ID, Name: j.Name, Type: j.Type, Increment: j.Increment, Min: j.Min, Max: j.Max,
			Start: j.Start, Cache: j.Cache, Cycle: j.Cycle, OwnedByTable: j.OwnedByTable, OwnedByColumn: j.OwnedByColumn}
		return true, nil
	case opDropSequence:
		if s, ok := c.sequences[e.Name]; ok && s.ID == e.ID {
			delete(c.sequences, e.Name)
		}
		return true, nil
	}
	return false, nil
}

// CreateSequence commits the definition of a sequence under a new ID, failing with
// errs.DuplicateTable if a relation has its name; with ifNotExists it then returns false
// and no error.
func (c *Catalog) CreateSequence(ctx context.Context, s *Sequence, ifNotExists bool) (created bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if err := c.follow(ctx); err != nil {
			return false, err
		}
		if c.relationExists(s.Name) || c.sequences[s.Name] != nil {
			if ifNotExists {
				return false, nil
			}
			return false, errs.New(errs.DuplicateTable, "relation %q already exists", s.Name)
		}
		seq := *s
		seq.ID = newTableID()
		ok, err := c.commit(ctx, entry{Op: opCreateSequence, Sequence: &sequenceJSON{ID: seq.ID, Name: seq.Name, Type: seq.Type, Increment: seq.Increment,
			Min: seq.Min, Max: seq.Max, Start: seq.Start, Cache: seq.Cache, Cycle: seq.Cycle, OwnedByTable: seq.OwnedByTable, OwnedByColumn: seq.OwnedByColumn}})
		if err != nil {
			return false, err
		}
		if ok {
			return true, nil
		}
	}
}

// DropSequence removes the named sequence; its state is left in the object store under its
// (never reused) ID. It fails with errs.UndefinedTable when there is none.
func (c *Catalog) DropSequence(ctx context.Context, name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if err := c.follow(ctx); err != nil {
			return err
		}
		s, ok := c.sequences[name]
		if !ok {
			return errs.New(errs.UndefinedTable, "sequence %q does not exist", name)
		}
		ok, err := c.commit(ctx, entry{Op: opDropSequence, Name: name, ID: s.ID})
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
}

// Sequence returns the named sequence, or errs.UndefinedTable.
func (c *Catalog) Sequence(ctx context.Context, name string) (*Sequence, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.follow(ctx); err != nil {
		return nil, err
	}
	s, ok := c.sequences[name]
	if !ok {
		return nil, errs.New(errs.UndefinedTable, "relation %q does not exist", name)
	}
	return s, nil
}

// Sequences returns every sequence, sorted by name.
func (c *Catalog) Sequences(ctx context.Context) ([]*Sequence, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.follow(ctx); err != nil {
		return nil, err
	}
	out := make([]*Sequence, 0, len(c.sequences))
	for _, s := range c.sequences {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b *Sequence) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// OwnedSequences returns the names of the sequences the columns of the named table own.
func (c *Catalog) OwnedSequences(ctx context.Context, table string) ([]string, error) {
	seqs, err := c.Sequences(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range seqs {
		if s.OwnedByTable == table {
			out = append(out, s.Name)
		}
	}
	return out, nil
}

// SerialSequenceName is the name PostgreSQL gives the sequence of serial or identity column
// col of table t.
func SerialSequenceName(t, col string) string { return fmt.Sprintf("%s_%s_seq", t, col) }

// AlterSequence replaces the definition of the named sequence (same ID, so its state goes
// on) with what change returns from the current one.
func (c *Catalog) AlterSequence(ctx context.Context, name string, change func(Sequence) (*Sequence, error)) (*Sequence, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if err := c.follow(ctx); err != nil {
			return nil, err
		}
		s, ok := c.sequences[name]
		if !ok {
			return nil, errs.New(errs.UndefinedTable, "relation %q does not exist", name)
		}
		ns, err := change(*s)
		if err != nil {
			return nil, err
		}
		ns.ID, ns.Name = s.ID, s.Name
		ok, err = c.commit(ctx, entry{Op: opCreateSequence, Sequence: &sequenceJSON{ID: ns.ID, Name: ns.Name, Type: ns.Type, Increment: ns.Increment,
			Min: ns.Min, Max: ns.Max, Start: ns.Start, Cache: ns.Cache, Cycle: ns.Cycle, OwnedByTable: ns.OwnedByTable, OwnedByColumn: ns.OwnedByColumn}})
		if err != nil {
			return nil, err
		}
		if ok {
			return c.sequences[name], nil
		}
	}
}

// SequenceCached is Sequence without reading the catalog log first when the sequence is
// known: a statement's binding has just read it, and a sequence function runs for every
// batch. An unknown name reads the log.
func (c *Catalog) SequenceCached(ctx context.Context, name string) (*Sequence, error) {
	c.mu.Lock()
	s, ok := c.sequences[name]
	c.mu.Unlock()
	if ok {
		return s, nil
	}
	return c.Sequence(ctx, name)
}

// Cached is Current without reading the catalog log first: the catalog as this process last
// read it.
func (c *Catalog) Cached() *Current { return &Current{c: c} }
