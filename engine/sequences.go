package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// Sequences keep their state in the object store, as a log of small entries under
// catalog.SequencePrefix(id) (statestore.Log: entry n+1 is written with put-if-absent, so of
// processes racing for it exactly one wins and the others read it and try again). Each entry
// records the highest value handed out so far (or, after setval(s, v, false), the value
// the next nextval returns): a process that writes an entry owns the values between the
// entry before and its own. A process reserves max(CACHE, rows needed) values in one entry
// and hands them out from memory, so several processes sharing one directory or bucket
// never hand out the same value; values a process reserved but did not hand out before it
// stopped are never used (gaps), as in PostgreSQL with CACHE > 1, and a statement that
// fails after nextval does not give its values back.

// seqEntry is one entry of a sequence's log.
type seqEntry struct {
	Last   int64 `json:"last"`
	Called bool  `json:"called"`
	// Nonce is random per write, so that two writes of one entry number never read alike
	// (see commit).
	Nonce uint64 `json:"nonce,omitempty"`
}

// seqState is what this process knows of one sequence: the last entry of its log and the
// values it reserved and has not handed out yet.
type seqState struct {
	mu     sync.Mutex
	store  objstore.Store
	log    *statestore.Log
	n      uint64 // number of the last entry read; 0 before any
	loaded bool
	cur    seqEntry
	// raw is entry n as this process read or wrote it (nil when unknown).
	raw []byte
	// next and left are the reserved values not handed out: left values from next on.
	next, left int64
}

// sequenceState returns this process's state of sequence s.
func (e *Engine) sequenceState(s *catalog.Sequence) (*seqState, error) {
	if st, ok := e.seqs.Load(s.ID); ok {
		return st.(*seqState), nil
	}
	log, err := statestore.NewLog(e.store, catalog.SequencePrefix(s.ID))
	if err != nil {
		return nil, err
	}
	st, _ := e.seqs.LoadOrStore(s.ID, &seqState{store: e.store, log: log, cur: seqEntry{Last: s.Start}})
	return st.(*seqState), nil
}

// follow reads the entries written since the last one read. st.mu must be held.
func (st *seqState) follow(ctx context.Context) error {
	if !st.loaded {
		ns, err := st.log.Entries(ctx)
		if err != nil {
			return err
		}
		if len(ns) > 0 {
			st.n = ns[len(ns)-1] - 1
		}
		st.loaded = true
	}
	for {
		data, err := st.log.Read(ctx, st.n+1)
		if errors.Is(err, objstore.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		var en seqEntry
		if err := json.Unmarshal(data, &en); err != nil {
			return fmt.Errorf("sequence log entry %d: %w", st.n+1, err)
		}
		st.cur, st.raw = en, data
		st.n++
	}
}

// commit appends en as the next entry; false when another process took the number, or
// when this process's view was stale (see below): the caller follows the log and decides
// again.
//
// Entries are never deleted while the sequence exists (DROP SEQUENCE deletes them all). An
// entry number that was once written and then deleted could be written again by a process
// that had not read past it, and another process as far behind would take that stale entry
// for the head and hand out values already handed out; so the log is not trimmed. As a
// guard, after writing n+1 a process checks that entry n still holds the bytes it read (a
// random nonce makes them unique per write), and treats its entry as void if not.
func (st *seqState) commit(ctx context.Context, en seqEntry) (bool, error) {
	en.Nonce = rand.Uint64() | 1
	data, _ := json.Marshal(en)
	n := st.n + 1
	err := st.log.Append(ctx, n, data)
	if errors.Is(err, objstore.ErrExists) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if n > 1 {
		prev, err := st.log.Read(ctx, n-1)
		if err != nil && !errors.Is(err, objstore.ErrNotExist) {
			return false, err
		}
		if err != nil || st.raw == nil || !bytes.Equal(prev, st.raw) {
			_ = st.log.Delete(context.WithoutCancel(ctx), n) // void; best effort
			st.loaded, st.n, st.raw = false, 0, nil
			return false, nil
		}
	}
	st.n, st.raw = n, data
	st.cur = en
	return true, nil
}

// step returns the value after v, wrapping when the sequence cycles; false when v is the
// last one.
func step(s *catalog.Sequence, v int64) (int64, bool) {
	if s.Increment > 0 {
		if v > s.Max-s.Increment || v > math.MaxInt64-s.Increment {
			if s.Cycle {
				return s.Min, true
			}
			return 0, false
		}
		return v + s.Increment, true
	}
	if v < s.Min-s.Increment || v < math.MinInt64-s.Increment {
		if s.Cycle {
			return s.Max, true
		}
		return 0, false
	}
	return v + s.Increment, true
}

func limitErr(s *catalog.Sequence) error {
	if s.Increment > 0 {
		return errs.New(errs.SequenceLimit, "nextval: reached maximum value of sequence %q (%d)", s.Name, s.Max)
	}
	return errs.New(errs.SequenceLimit, "nextval: reached minimum value of sequence %q (%d)", s.Name, s.Min)
}

// nextValues hands out the next n values of s.
func (e *Engine) nextValues(ctx context.Context, s *catalog.Sequence, n int) ([]int64, error) {
	st, err := e.sequenceState(s)
	if err != nil {
		return nil, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make([]int64, 0, n)
	for len(out) < n && st.left > 0 {
		out = append(out, st.next)
		st.left--
		if st.left > 0 {
			st.next, _ = step(s, st.next)
		}
	}
	need := n - len(out)
	if need == 0 {
		return out, nil
	}
	want := max(int64(need), s.Cache)
	for attempt := 0; ; attempt++ {
		// Optimistically, the last entry this process read is the head: writing the next
		// one fails if it is not, and then the log is read.
		if attempt > 0 || !st.loaded {
			if err := st.follow(ctx); err != nil {
				return nil, err
			}
		}
		v, ok := st.cur.Last, true
		if st.cur.Called {
			v, ok = step(s, st.cur.Last)
		}
		var vals []int64
		for ok && int64(len(vals)) < want {
			vals = append(vals, v)
			v, ok = step(s, v)
		}
		if len(vals) < need {
			return nil, limitErr(s)
		}
		committed, err := st.commit(ctx, seqEntry{Last: vals[len(vals)-1], Called: true})
		if err != nil {
			return nil, err
		}
		if !committed {
			if attempt > 1000 {
				return nil, errs.New(errs.Conflict, "could not reserve values of sequence %q: too much contention", s.Name)
			}
			continue
		}
		out = append(out, vals[:need]...)
		if rest := vals[need:]; len(rest) > 0 {
			st.next, st.left = rest[0], int64(len(rest))
		}
		return out, nil
	}
}

// setValue sets the state of s: the next nextval returns v's successor, or v itself when
// called is false. Values this process reserved are dropped.
func (e *Engine) setValue(ctx context.Context, s *catalog.Sequence, v int64, called bool) error {
	if v < s.Min || v > s.Max {
		return errs.New(errs.NumericRange, "setval: value %d is out of bounds for sequence %q (%d..%d)", v, s.Name, s.Min, s.Max)
	}
	st, err := e.sequenceState(s)
	if err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.left = 0
	for {
		if err := st.follow(ctx); err != nil {
			return err
		}
		ok, err := st.commit(ctx, seqEntry{Last: v, Called: called})
		if err != nil || ok {
			return err
		}
	}
}

// seqSession is a connection's view of the sequences: currval and lastval are the values
// nextval returned in this session. It implements exec.Sequences.
type seqSession struct {
	e    *Engine
	mu   sync.Mutex
	curr map[string]int64 // by sequence ID
	last *catalog.Sequence
}

var _ exec.Sequences = (*seqSession)(nil)

func (s *seqSession) sequence(ctx context.Context, name string) (*catalog.Sequence, error) {
	return s.e.cat.SequenceCached(ctx, name)
}

func (s *seqSession) NextVal(ctx context.Context, name string, n int) ([]int64, error) {
	seq, err := s.sequence(ctx, name)
	if err != nil {
		return nil, err
	}
	vals, err := s.e.nextValues(ctx, seq, n)
	if err != nil || len(vals) == 0 {
		return vals, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.curr == nil {
		s.curr = map[string]int64{}
	}
	s.curr[seq.ID] = vals[len(vals)-1]
	s.last = seq
	return vals, nil
}

func (s *seqSession) CurrVal(ctx context.Context, name string) (int64, error) {
	seq, err := s.sequence(ctx, name)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.curr[seq.ID]
	if !ok {
		return 0, errs.New(errs.ObjectState, "currval of sequence %q is not yet defined in this session", name)
	}
	return v, nil
}

func (s *seqSession) SetVal(ctx context.Context, name string, v int64, called bool) (int64, error) {
	seq, err := s.sequence(ctx, name)
	if err != nil {
		return 0, err
	}
	if err := s.e.setValue(ctx, seq, v, called); err != nil {
		return 0, err
	}
	if called {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.curr == nil {
			s.curr = map[string]int64{}
		}
		s.curr[seq.ID] = v
	}
	return v, nil
}

func (s *seqSession) LastVal(ctx context.Context) (int64, error) {
	s.mu.Lock()
	last := s.last
	s.mu.Unlock()
	if last == nil {
		return 0, errs.New(errs.ObjectState, "lastval is not yet defined in this session")
	}
	if cur, err := s.e.cat.Sequence(ctx, last.Name); err != nil || cur.ID != last.ID {
		return 0, errs.New(errs.ObjectState, "lastval is not yet defined in this session")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.curr[last.ID], nil
}

// sequences is the connection's seqSession.
func (c *conn) sequences() *seqSession {
	c.seqOnce.Do(func() { c.seq = &seqSession{e: c.e} })
	return c.seq
}

// withSequences gives ctx a session for the sequence functions when it has none (writers
// that run outside a connection: Flight SQL ingest, imports).
func (e *Engine) withSequences(ctx context.Context) context.Context {
	if exec.SequencesOf(ctx) != nil {
		return ctx
	}
	return exec.WithSequences(ctx, &seqSession{e: e})
}

// executeDDL runs the statements of sequences and of ALTER TABLE on columns; false for any
// other statement.
func (e *Engine) executeDDL(ctx context.Context, st planner.Statement) (Result, bool, error) {
	if r, ok, err := e.executeTypeDDL(ctx, st); ok {
		return r, ok, err
	}
	switch s := st.(type) {
	case *planner.CreateSequence:
		created, err := e.cat.CreateSequence(ctx, s.Sequence, s.IfNotExists)
		if err != nil {
			return nil, true, err
		}
		if !created {
			return &doneResult{tag: "CREATE SEQUENCE", notices: []Notice{notice("42P07", "relation %q already exists, skipping", s.Sequence.Name)}}, true, nil
		}
		return &doneResult{tag: "CREATE SEQUENCE"}, true, nil
	case *planner.AlterColumns:
		r, err := e.alterColumns(ctx, s)
		return r, true, err
	case *planner.Truncate:
		r, err := e.truncate(ctx, s)
		return r, true, err
	case *planner.Comment:
		r, err := e.comment(ctx, s)
		return r, true, err
	case *planner.AlterSequence:
		r, err := e.alterSequence(ctx, s)
		return r, true, err
	case *planner.DropSequence:
		res := &doneResult{tag: "DROP SEQUENCE"}
		for _, name := range s.Names {
			if err := e.dropSequence(ctx, name); err != nil {
				if errors.Is(err, errs.UndefinedTable) && s.IfExists {
					res.notices = append(res.notices, notice("00000", "sequence %q does not exist, skipping", name))
					continue
				}
				return nil, true, err
			}
		}
		return res, true, nil
	}
	return nil, false, nil
}

// createOwnedSequences creates the sequences of the serial and identity columns of a table
// about to be created, and returns what drops them again should the table's creation fail.
func (e *Engine) createOwnedSequences(ctx context.Context, ct *planner.CreateTable) (undo func(), err error) {
	undo = func() {}
	if len(ct.Sequences) == 0 {
		return undo, nil
	}
	if _, err := e.cat.Table(ctx, ct.Def.Name); err == nil {
		return undo, errs.New(errs.DuplicateTable, "relation %q already exists", ct.Def.Name)
	}
	var made []string
	undo = func() {
		for _, n := range made {
			_ = e.cat.DropSequence(context.WithoutCancel(ctx), n) // best effort
		}
	}
	for _, s := range ct.Sequences {
		if _, err := e.cat.CreateSequence(ctx, s, false); err != nil {
			undo()
			return func() {}, err
		}
		made = append(made, s.Name)
	}
	return undo, nil
}

// dropOwnedSequences drops the sequences the columns of a dropped table owned.
func (e *Engine) dropOwnedSequences(ctx context.Context, table string) error {
	names, err := e.cat.OwnedSequences(ctx, table)
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := e.dropSequence(ctx, n); err != nil && !errors.Is(err, errs.UndefinedTable) {
			return err
		}
	}
	return nil
}

// alterSequence runs ALTER SEQUENCE: the options given replace the sequence's, checked as
// CREATE SEQUENCE checks them; RESTART then sets the next value.
func (e *Engine) alterSequence(ctx context.Context, s *planner.AlterSequence) (Result, error) {
	seq, err := e.cat.AlterSequence(ctx, s.Name, func(cur catalog.Sequence) (*catalog.Sequence, error) {
		def := catalog.SequenceDef{Name: cur.Name, Type: cur.Type, Cycle: cur.Cycle, OwnedByTable: cur.OwnedByTable, OwnedByColumn: cur.OwnedByColumn}
		inc, lo, hi, start, cache := cur.Increment, cur.Min, cur.Max, cur.Start, cur.Cache
		def.Increment, def.Min, def.Max, def.Start, def.Cache = &inc, &lo, &hi, &start, &cache
		g := s.Given
		if g["as"] {
			def.Type = s.Def.Type
			// Bounds that were the old type's limits follow the new type.
			if !g["maxvalue"] && (cur.Max == math.MaxInt64 || cur.Max == math.MaxInt32 || cur.Max == math.MaxInt16) {
				def.Max = nil
			}
			if !g["minvalue"] && (cur.Min == math.MinInt64 || cur.Min == math.MinInt32 || cur.Min == math.MinInt16) {
				def.Min = nil
			}
		}
		if g["increment"] {
			def.Increment = s.Def.Increment
		}
		if g["minvalue"] {
			def.Min = s.Def.Min
		}
		if g["maxvalue"] {
			def.Max = s.Def.Max
		}
		if g["start"] {
			def.Start = s.Def.Start
		}
		if g["cache"] {
			def.Cache = s.Def.Cache
		}
		if g["cycle"] {
			def.Cycle = s.Def.Cycle
		}
		if g["owned_by"] {
			def.OwnedByTable, def.OwnedByColumn = s.Def.OwnedByTable, s.Def.OwnedByColumn
		}
		ns, err := catalog.DefineSequence(def)
		if err != nil || s.Restart == nil || s.Given["restart_start"] {
			return ns, err
		}
		if v := *s.Restart; v < ns.Min {
			return nil, errs.New(errs.InvalidParameter, "RESTART value (%d) cannot be less than MINVALUE (%d)", v, ns.Min)
		} else if v > ns.Max {
			return nil, errs.New(errs.InvalidParameter, "RESTART value (%d) cannot be greater than MAXVALUE (%d)", v, ns.Max)
		}
		return ns, nil
	})
	if err != nil {
		if errors.Is(err, errs.UndefinedTable) && s.IfExists {
			return &doneResult{tag: "ALTER SEQUENCE", notices: []Notice{notice("00000", "relation %q does not exist, skipping", s.Name)}}, nil
		}
		return nil, err
	}
	// Values this process reserved under the old definition are dropped.
	if st, ok := e.seqs.Load(seq.ID); ok {
		st := st.(*seqState)
		st.mu.Lock()
		st.left = 0
		st.mu.Unlock()
	}
	if s.Restart != nil {
		v := *s.Restart
		if s.Given["restart_start"] {
			v = seq.Start
		}
		if err := e.setValue(ctx, seq, v, false); err != nil {
			return nil, err
		}
	}
	return &doneResult{tag: "ALTER SEQUENCE"}, nil
}

// dropSequence drops the named sequence and then deletes its state (best effort: a process
// still holding the sequence writes under an ID no one will read again).
func (e *Engine) dropSequence(ctx context.Context, name string) error {
	seq, err := e.cat.Sequence(ctx, name)
	if err != nil {
		return errs.New(errs.UndefinedTable, "sequence %q does not exist", name)
	}
	if err := e.cat.DropSequence(ctx, name); err != nil {
		return err
	}
	e.seqs.Delete(seq.ID)
	if objs, err := e.store.List(ctx, catalog.SequencePrefix(seq.ID)); err == nil {
		for _, o := range objs {
			_ = e.store.Delete(context.WithoutCancel(ctx), o)
		}
	}
	return nil
}
