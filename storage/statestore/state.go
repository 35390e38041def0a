package statestore

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sleeperd/sleeperd/storage/keys"
)

// TableID names a table. It is one segment of an object name: non-empty, without "/".
type TableID string

func (t TableID) check() error {
	s := string(t)
	if s == "" || s == "." || s == ".." || strings.ContainsAny(s, "/\x00") {
		return fmt.Errorf("%w: %q", ErrInvalidTable, s)
	}
	return nil
}

// Partition is a node of a table's partition tree: the half-open key range [Min, Max) of
// Range. The children of a partition split its range into contiguous parts in key order.
// Partitions held by a State are shared and must not be modified.
type Partition struct {
	ID       string     `json:"id"`
	ParentID string     `json:"parent,omitempty"`   // "" for the root
	ChildIDs []string   `json:"children,omitempty"` // in key order; empty for a leaf
	Range    keys.Range `json:"range"`
}

// Leaf reports whether p has no children.
func (p *Partition) Leaf() bool { return len(p.ChildIDs) == 0 }

// File is an immutable, sorted Parquet file of a table. Files held by a State are shared
// and must not be modified.
type File struct {
	Name  string `json:"name"`
	Rows  int64  `json:"rows"`
	Bytes int64  `json:"bytes"`
	// MinKey and MaxKey are the encoded row keys of the file's first and last rows (both
	// inclusive). They are nil for a file without rows.
	MinKey []byte `json:"minKey,omitempty"`
	MaxKey []byte `json:"maxKey,omitempty"`
	// AddedTxn is the number of the transaction that added the file, set by the store.
	AddedTxn uint64 `json:"addedTxn"`
	// Updated is the time of the last transaction that changed the file's references, set
	// by the store; garbage collection measures its delay from it.
	Updated time.Time `json:"updated"`
	// DeletesApplied is set by the store on the output of a compaction job: no delete
	// predicate committed by a transaction numbered at most DeletesApplied matches a row of
	// the file. It is 0 for a file added by AddFiles; see ClearThrough.
	DeletesApplied uint64 `json:"deletesApplied,omitempty"`
	// NewestRows is set by the store: the number of the newest transaction that added rows
	// the file may hold. It is AddedTxn for a file of AddFiles, and the greatest of its
	// inputs' for the output of a compaction. See RowsThrough.
	NewestRows uint64 `json:"newestRows,omitempty"`
}

// RowsThrough returns the number of the newest transaction that added rows the file may
// hold: NewestRows, or AddedTxn for a file recorded before NewestRows existed.
func (f *File) RowsThrough() uint64 {
	if f.NewestRows != 0 {
		return f.NewestRows
	}
	return f.AddedTxn
}

// ClearThrough returns the number of the newest transaction such that no delete predicate
// committed by it or earlier removes a row of the file: AddedTxn for a file of AddFiles
// (its rows all have that version, and a delete only removes older versions), and
// DeletesApplied for the output of a compaction.
func (f *File) ClearThrough() uint64 {
	if f.DeletesApplied != 0 {
		return f.DeletesApplied
	}
	return f.AddedTxn
}

// DeletePredicate is an active delete: it removes every row whose version is below Txn,
// the transaction that added it, and that Predicate matches. Predicate is opaque to the
// store. DeletePredicates held by a State are shared and must not be modified.
type DeletePredicate struct {
	ID        string `json:"id"`
	Txn       uint64 `json:"txn"`
	Predicate []byte `json:"predicate"`
}

// Job is a compaction job in flight: the references of one partition assigned to it.
type Job struct {
	ID          string
	PartitionID string
	Files       []string // sorted
	// AssignedAt is when the job claimed its files.
	AssignedAt time.Time
}

// FileReference says that the rows of File within the range of PartitionID belong to that
// partition. Rows is the number of such rows, an estimate unless Exact. JobID names the
// compaction job that has claimed the reference, or is empty.
type FileReference struct {
	File        string `json:"file"`
	PartitionID string `json:"partition"`
	Rows        int64  `json:"rows"`
	Exact       bool   `json:"exact,omitempty"`
	JobID       string `json:"job,omitempty"`
	// AssignedAt is the time of the transaction that assigned the reference to JobID.
	AssignedAt time.Time `json:"assignedAt,omitzero"`
}

// State is the state of one table after some transaction: its partition tree, its files
// and their references. A State is immutable once returned, and safe for concurrent use;
// slices returned by its methods are the caller's, the values they point to are shared.
type State struct {
	table TableID
	txn   uint64
	time  time.Time // of transaction txn

	parts  map[string]*Partition
	files  map[string]*File
	byPart map[string][]FileReference // partition ID -> references sorted by file; never modified in place
	byFile map[string][]string        // file -> sorted partition IDs; never modified in place
	dels   []DeletePredicate          // active deletes by Txn; never modified in place
	// retired are the stored column names no write may add files with (RetireColumns),
	// sorted; never modified in place.
	retired []string
	// retiredAt are, in the order of retired, the commit times of the transactions that
	// retired them (see RetiredAt); never modified in place.
	retiredAt []time.Time
	// fences are the temporary retirements of stored column names (RetireColumns with a
	// Token), sorted by name then token; never modified in place.
	fences []Fence

	// Derived in freeze.
	root     *Partition
	sorted   []*Partition // by Min, then wider first
	leaves   []*Partition // by Min, contiguous
	fileList []*File      // by name
}

func emptyState(table TableID) *State {
	return &State{
		table:  table,
		parts:  map[string]*Partition{},
		files:  map[string]*File{},
		byPart: map[string][]FileReference{},
		byFile: map[string][]string{},
	}
}

// Table returns the table the state belongs to.
func (s *State) Table() TableID { return s.table }

// TxnNumber returns the number of the last transaction applied; 0 for no transaction.
func (s *State) TxnNumber() uint64 { return s.txn }

// Time returns the commit time of the last transaction applied.
func (s *State) Time() time.Time { return s.time }

// Initialised reports whether the table has a partition tree.
func (s *State) Initialised() bool { return s.root != nil }

// Root returns the root partition, or nil before the table is initialised.
func (s *State) Root() *Partition { return s.root }

// Partition returns the partition with the given ID.
func (s *State) Partition(id string) (*Partition, bool) {
	p, ok := s.parts[id]
	return p, ok
}

// Partitions returns every partition, sorted by range minimum; a parent comes before its
// first child, which shares its minimum.
func (s *State) Partitions() []*Partition { return slices.Clone(s.sorted) }

// Leaves returns the leaf partitions, sorted by range: contiguous, and together covering
// every key.
func (s *State) Leaves() []*Partition { return slices.Clone(s.leaves) }

// NumLeaves returns the number of leaf partitions.
func (s *State) NumLeaves() int { return len(s.leaves) }

// LeafIDs returns the IDs of the leaf partitions, in key order: equal slices from two states
// mean the same partitioning.
func (s *State) LeafIDs() []string {
	ids := make([]string, len(s.leaves))
	for i, l := range s.leaves {
		ids[i] = l.ID
	}
	return ids
}

// LeafFor returns the leaf partition whose range holds key, or nil before the table is
// initialised.
func (s *State) LeafFor(key []byte) *Partition {
	i := sort.Search(len(s.leaves), func(i int) bool {
		max := s.leaves[i].Range.Max
		return max == nil || bytes.Compare(key, max) < 0
	})
	if i == len(s.leaves) {
		return nil
	}
	return s.leaves[i]
}

// LeavesOverlapping returns, sorted, the leaves whose ranges share a key with r.
func (s *State) LeavesOverlapping(r keys.Range) []*Partition {
	if r.Empty() {
		return nil
	}
	i := sort.Search(len(s.leaves), func(i int) bool {
		max := s.leaves[i].Range.Max
		return max == nil || bytes.Compare(r.Min, max) < 0
	})
	var out []*Partition
	for ; i < len(s.leaves); i++ {
		l := s.leaves[i]
		if r.Max != nil && bytes.Compare(l.Range.Min, r.Max) >= 0 {
			break
		}
		out = append(out, l)
	}
	return out
}

// Ancestors returns the ancestors of the partition, from its parent up to the root.
func (s *State) Ancestors(id string) []*Partition {
	var out []*Partition
	p, ok := s.parts[id]
	for ok && p.ParentID != "" {
		p, ok = s.parts[p.ParentID]
		if ok {
			out = append(out, p)
		}
	}
	return out
}

// File returns the file with the given name.
func (s *State) File(name string) (*File, bool) {
	f, ok := s.files[name]
	return f, ok
}

// Files returns every file, referenced or not, sorted by name.
func (s *State) Files() []*File { return slices.Clone(s.fileList) }

// References returns the file references of a partition, sorted by file name.
func (s *State) References(partitionID string) []FileReference {
	return slices.Clone(s.byPart[partitionID])
}

// FileReferences returns the references to a file, sorted by partition ID; none for a file
// that is ready for garbage collection.
func (s *State) FileReferences(name string) []FileReference {
	var out []FileReference
	for _, id := range s.byFile[name] {
		if r, ok := s.ref(id, name); ok {
			out = append(out, r)
		}
	}
	return out
}

func (s *State) ref(partitionID, file string) (FileReference, bool) {
	refs := s.byPart[partitionID]
	i, ok := slices.BinarySearchFunc(refs, file, func(r FileReference, f string) int { return strings.Compare(r.File, f) })
	if !ok {
		return FileReference{}, false
	}
	return refs[i], true
}

// ReadFiles returns the references a read of a leaf partition uses: those of the leaf and of
// each of its ancestors, root first. The reader clips each file to the leaf's range.
func (s *State) ReadFiles(leafID string) []FileReference {
	// One slice, filled from its end: the leaf's references, then each ancestor's.
	n := 0
	for p, ok := s.parts[leafID]; ok; p, ok = s.parts[p.ParentID] {
		n += len(s.byPart[p.ID])
		if p.ParentID == "" {
			break
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]FileReference, n)
	end := n
	for p, ok := s.parts[leafID]; ok; p, ok = s.parts[p.ParentID] {
		refs := s.byPart[p.ID]
		end -= len(refs)
		copy(out[end:], refs)
		if p.ParentID == "" {
			break
		}
	}
	return out
}

// UnreferencedFiles returns the files that no partition references, sorted by name: they
// are read by nobody who starts from this state, and wait for garbage collection. Each
// File's Updated is the time of the transaction that removed its last reference.
func (s *State) UnreferencedFiles() []*File {
	var out []*File
	for _, f := range s.fileList {
		if len(s.byFile[f.Name]) == 0 {
			out = append(out, f)
		}
	}
	return out
}

// Jobs returns the compaction jobs in flight, sorted by ID then partition: the references
// assigned to a job and not yet replaced, grouped by job and partition.
func (s *State) Jobs() []Job {
	type key struct{ job, part string }
	byJob := map[key][]string{}
	for id, refs := range s.byPart {
		for _, r := range refs {
			if r.JobID != "" {
				k := key{r.JobID, id}
				byJob[k] = append(byJob[k], r.File) // refs are sorted by file
			}
		}
	}
	out := make([]Job, 0, len(byJob))
	for k, files := range byJob {
		j := Job{ID: k.job, PartitionID: k.part, Files: files}
		for _, f := range files {
			if r, ok := s.ref(k.part, f); ok && (j.AssignedAt.IsZero() || r.AssignedAt.Before(j.AssignedAt)) {
				j.AssignedAt = r.AssignedAt
			}
		}
		out = append(out, j)
	}
	slices.SortFunc(out, func(a, b Job) int {
		if c := strings.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		return strings.Compare(a.PartitionID, b.PartitionID)
	})
	return out
}

// jobIDs returns the IDs of the jobs holding references.
func (s *State) jobIDs() map[string]bool {
	ids := map[string]bool{}
	for _, refs := range s.byPart {
		for _, r := range refs {
			if r.JobID != "" {
				ids[r.JobID] = true
			}
		}
	}
	return ids
}

// DeletePredicates returns the active delete predicates, oldest first. A read applies
// each to the rows whose version is below its Txn.
func (s *State) DeletePredicates() []DeletePredicate { return slices.Clone(s.dels) }

// RetiredColumns returns the stored column names no write may add files with, sorted
// (RetireColumns): those retired for good and those a Fence holds.
func (s *State) RetiredColumns() []string {
	if len(s.fences) == 0 {
		return slices.Clone(s.retired)
	}
	out := slices.Clone(s.retired)
	for _, f := range s.fences {
		out = append(out, f.Name)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// RetiredAt returns the commit time of the transaction that retired the stored column name
// for good (RetireColumns without a Token, or with Keep), and whether it is retired for good.
// A state loaded from a snapshot that did not record the time (one written by an older
// build) gives the snapshot's time, which is later.
func (s *State) RetiredAt(name string) (time.Time, bool) {
	i, found := slices.BinarySearch(s.retired, name)
	if !found {
		return time.Time{}, false
	}
	return s.retiredAt[i], true
}

// Fences returns the temporary retirements of stored column names, by name then token.
func (s *State) Fences() []Fence { return slices.Clone(s.fences) }

// ColumnRetired reports whether no write may add files with the stored column name: it is
// retired for good, or a Fence holds it.
func (s *State) ColumnRetired(name string) bool {
	if _, found := slices.BinarySearch(s.retired, name); found {
		return true
	}
	return slices.ContainsFunc(s.fences, func(f Fence) bool { return f.Name == name })
}

// DeletePredicate returns the active delete predicate with the given ID.
func (s *State) DeletePredicate(id string) (DeletePredicate, bool) {
	for _, d := range s.dels {
		if d.ID == id {
			return d, true
		}
	}
	return DeletePredicate{}, false
}

// RetirableDeletePredicates returns the IDs of the active delete predicates that no longer
// match a row of any referenced file (each file's ClearThrough is at least the delete's
// Txn), oldest first: RetireDeletePredicates of them is valid against this state.
func (s *State) RetirableDeletePredicates() []string {
	clear := s.minClearThrough()
	var out []string
	for _, d := range s.dels {
		if d.Txn <= clear {
			out = append(out, d.ID)
		}
	}
	return out
}

// minClearThrough returns the least ClearThrough of the referenced files, or the maximum
// uint64 when no file is referenced.
func (s *State) minClearThrough() uint64 {
	clear := ^uint64(0)
	for name := range s.byFile {
		if f, ok := s.files[name]; ok {
			clear = min(clear, f.ClearThrough())
		}
	}
	return clear
}

// String renders the state with keys in hexadecimal; see Format.
func (s *State) String() string {
	return s.Format(func(k []byte, max bool) string {
		if k == nil && max {
			return "+inf"
		}
		if len(k) == 0 {
			return "-inf"
		}
		return fmt.Sprintf("%x", k)
	})
}

// Format renders the state as text, one line per partition (as a tree), file and reference,
// with keys formatted by key (max is true for an upper bound, where nil means +inf). The
// output is deterministic, for tests and debugging.
func (s *State) Format(key func(k []byte, max bool) string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "txn %d\n", s.txn)
	var walk func(id string, depth int)
	walk = func(id string, depth int) {
		p := s.parts[id]
		fmt.Fprintf(&b, "%s%s [%s, %s)", strings.Repeat("  ", depth+1), p.ID, key(p.Range.Min, false), key(p.Range.Max, true))
		if p.Leaf() {
			b.WriteString(" leaf")
		}
		b.WriteByte('\n')
		for _, r := range s.byPart[id] {
			fmt.Fprintf(&b, "%s- %s rows=%d", strings.Repeat("  ", depth+2), r.File, r.Rows)
			if r.Exact {
				b.WriteString(" exact")
			}
			if r.JobID != "" {
				fmt.Fprintf(&b, " job=%s", r.JobID)
			}
			b.WriteByte('\n')
		}
		for _, c := range p.ChildIDs {
			walk(c, depth+1)
		}
	}
	if s.root != nil {
		b.WriteString("partitions:\n")
		walk(s.root.ID, 0)
	}
	if len(s.fileList) > 0 {
		b.WriteString("files:\n")
	}
	for _, f := range s.fileList {
		fmt.Fprintf(&b, "  %s rows=%d bytes=%d keys=[%s, %s] added=%d refs=%d",
			f.Name, f.Rows, f.Bytes, key(f.MinKey, false), key(f.MaxKey, false), f.AddedTxn, len(s.byFile[f.Name]))
		if f.NewestRows != 0 && f.NewestRows != f.AddedTxn {
			fmt.Fprintf(&b, " newestRows=%d", f.NewestRows)
		}
		if f.DeletesApplied != 0 {
			fmt.Fprintf(&b, " deletesApplied=%d", f.DeletesApplied)
		}
		if len(s.byFile[f.Name]) == 0 {
			fmt.Fprintf(&b, " updated=%s", f.Updated.Format(time.RFC3339))
		}
		b.WriteByte('\n')
	}
	if len(s.dels) > 0 {
		b.WriteString("deletes:\n")
	}
	for _, d := range s.dels {
		fmt.Fprintf(&b, "  %s txn=%d %q\n", d.ID, d.Txn, d.Predicate)
	}
	return b.String()
}

// mutableState is a private copy of a State that transactions apply to. Maps are copied
// shallowly: partitions, files and reference slices are replaced, never modified in place.
type mutableState struct {
	*State
	dirtyParts, dirtyFiles bool
}

func (s *State) mutate() *mutableState {
	c := *s
	c.parts = maps.Clone(s.parts)
	c.files = maps.Clone(s.files)
	c.byPart = maps.Clone(s.byPart)
	c.byFile = maps.Clone(s.byFile)
	return &mutableState{State: &c}
}

// begin starts transaction n, committed at time t.
func (m *mutableState) begin(n uint64, t time.Time) {
	m.txn = n
	m.time = t
}

func (m *mutableState) putPartition(p *Partition) {
	m.parts[p.ID] = p
	m.dirtyParts = true
}

func (m *mutableState) putFile(f *File) {
	m.files[f.Name] = f
	m.dirtyFiles = true
}

// putReference adds or replaces the reference of r.File in r.PartitionID.
func (m *mutableState) putReference(r FileReference) {
	refs := m.byPart[r.PartitionID]
	i, found := slices.BinarySearchFunc(refs, r.File, func(x FileReference, f string) int { return strings.Compare(x.File, f) })
	if found {
		refs = slices.Clone(refs)
		refs[i] = r
	} else {
		refs = slices.Insert(slices.Clip(refs), i, r)
	}
	m.byPart[r.PartitionID] = refs
	ids := m.byFile[r.File]
	if j, found := slices.BinarySearch(ids, r.PartitionID); !found {
		m.byFile[r.File] = slices.Insert(slices.Clip(ids), j, r.PartitionID)
	}
	m.touch(r.File)
}

// removeReference removes the reference of file in partitionID, if any.
func (m *mutableState) removeReference(file, partitionID string) {
	refs := m.byPart[partitionID]
	if i, found := slices.BinarySearchFunc(refs, file, func(x FileReference, f string) int { return strings.Compare(x.File, f) }); found {
		refs = slices.Delete(slices.Clone(refs), i, i+1)
		if len(refs) == 0 {
			delete(m.byPart, partitionID)
		} else {
			m.byPart[partitionID] = refs
		}
	}
	ids := m.byFile[file]
	if j, found := slices.BinarySearch(ids, partitionID); found {
		ids = slices.Delete(slices.Clone(ids), j, j+1)
		if len(ids) == 0 {
			delete(m.byFile, file)
		} else {
			m.byFile[file] = ids
		}
	}
	m.touch(file)
}

// removeFile forgets a file; it must have no references.
func (m *mutableState) removeFile(name string) {
	delete(m.files, name)
	m.dirtyFiles = true
}

// addDelete appends an active delete predicate; d.Txn is at least every other's.
func (m *mutableState) addDelete(d DeletePredicate) {
	m.dels = append(slices.Clip(m.dels), d)
}

// retireColumns adds names to the retired stored column names, or removes them with revive.
func (m *mutableState) retireColumns(names []string, revive bool) {
	r, at := slices.Clone(m.retired), slices.Clone(m.retiredAt)
	for _, n := range slices.Sorted(slices.Values(names)) {
		i, found := slices.BinarySearch(r, n)
		switch {
		case !revive && !found:
			r = slices.Insert(r, i, n)
			at = slices.Insert(at, i, m.time)
		case revive && found:
			r = slices.Delete(r, i, i+1)
			at = slices.Delete(at, i, i+1)
		}
	}
	if len(r) == 0 {
		r, at = nil, nil
	}
	m.retired, m.retiredAt = r, at
}

// setFences applies a RetireColumns with a Token to the fences: see RetireColumns.
func (m *mutableState) setFences(t RetireColumns) {
	if t.Keep {
		m.retireColumns(t.Names, false)
	}
	fs := slices.Clone(m.fences)
	for _, n := range t.Names {
		i, found := slices.BinarySearchFunc(fs, Fence{Name: n, Token: t.Token}, compareFences)
		switch {
		case t.Revive || t.Keep:
			if found {
				fs = slices.Delete(fs, i, i+1)
			}
		case found:
			fs[i].Until = t.Until
			if !t.Renew {
				fs[i].Owner = t.Owner
			}
		case !t.Renew:
			fs = slices.Insert(fs, i, Fence{Name: n, Token: t.Token, Owner: t.Owner, Until: t.Until})
		}
	}
	if len(fs) == 0 {
		fs = nil
	}
	m.fences = fs
}

// retireDeletes removes the active delete predicates with the given IDs.
func (m *mutableState) retireDeletes(ids []string) {
	m.dels = slices.DeleteFunc(slices.Clone(m.dels), func(d DeletePredicate) bool { return slices.Contains(ids, d.ID) })
	if len(m.dels) == 0 {
		m.dels = nil
	}
}

// touch records that the file's references changed in the current transaction.
func (m *mutableState) touch(name string) {
	if f, ok := m.files[name]; ok && !f.Updated.Equal(m.time) {
		c := *f
		c.Updated = m.time
		m.putFile(&c)
	}
}

// freeze computes the derived indexes and returns the finished State.
func (m *mutableState) freeze() *State {
	s := m.State
	m.State = nil // the State is immutable from here
	if m.dirtyParts || (s.root == nil && len(s.parts) > 0) {
		s.sorted = make([]*Partition, 0, len(s.parts))
		s.leaves = nil
		s.root = nil
		for _, p := range s.parts {
			s.sorted = append(s.sorted, p)
			if p.ParentID == "" {
				s.root = p
			}
			if p.Leaf() {
				s.leaves = append(s.leaves, p)
			}
		}
		slices.SortFunc(s.sorted, comparePartitions)
		slices.SortFunc(s.leaves, comparePartitions)
	}
	if m.dirtyFiles {
		s.fileList = slices.SortedFunc(maps.Values(s.files), func(a, b *File) int { return strings.Compare(a.Name, b.Name) })
	}
	return s
}

func sortRefs(refs []FileReference) {
	slices.SortFunc(refs, func(a, b FileReference) int { return strings.Compare(a.File, b.File) })
}

// comparePartitions orders by range minimum, then the wider range (the ancestor) first.
func comparePartitions(a, b *Partition) int {
	if c := bytes.Compare(a.Range.Min, b.Range.Min); c != 0 {
		return c
	}
	switch {
	case a.Range.Max == nil && b.Range.Max == nil:
		return strings.Compare(a.ID, b.ID)
	case a.Range.Max == nil:
		return -1
	case b.Range.Max == nil:
		return 1
	}
	if c := bytes.Compare(b.Range.Max, a.Range.Max); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}
