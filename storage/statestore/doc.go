// Package statestore records which partitions and files make up each table, as a
// transaction log in an object store.
//
// # Model
//
// A table's State is its partition tree (contiguous half-open ranges of encoded row keys,
// see package keys: the store never knows column types), its immutable files, and the
// references that assign each file's rows to partitions. A file may be referenced by several
// partitions, never by a partition and one of its ancestors at once; a read of a leaf uses the
// files referenced by the leaf and its ancestors, each clipped to the leaf's range.
//
// # Log
//
// As in pebble's VersionEdit and Sleeper's transaction-log state store, a state is a
// snapshot plus a fold of transactions. Each table has a log of entries numbered 1, 2, 3, ...
// under tables/<table>/log/<%020d>.json; each entry is one Transaction in a JSON envelope
// {"kind", "time", "body"}. Entry 1 is always InitialisePartitions.
//
// A writer commits optimistically: it brings its state up to date with the log, validates
// its transaction against that state, and writes entry last+1 with put-if-absent
// (link(2) on a local disk, If-None-Match on S3). If another writer took the entry first it
// re-reads, re-validates (so a transaction that no longer applies fails with its reason) and
// retries after exponential backoff with full jitter. Every transaction is thus validated
// against exactly the state it follows in the log, and Apply never fails; replaying the log
// gives every reader the same states.
//
// # Snapshots
//
// Every Options.SnapshotEvery transactions the writer of that entry also stores the full
// state under tables/<table>/snapshots/<%020d>.json (best effort, put-if-absent). A Store
// opening a table loads the newest readable snapshot and replays only the entries after it.
// A Store then keeps one cached State per table that follows the log; States are immutable,
// so readers share them freely.
//
// The writer of a snapshot also trims the log: it deletes, oldest first, the entries more
// than Options.KeepBehindSnapshot before the snapshot. A Store whose next entry is missing
// checks that the entry of its own state still exists; if not, the log was trimmed past it
// and it reloads the newest snapshot. A Store more than Options.ReloadBehind entries behind
// also reloads the newest snapshot instead of replaying. After writing entry n a committer
// checks that entry n-1 still exists, which proves that entry n was not a trimmed number
// taken again; if it is gone the commit fails with ErrUnknownOutcome.
//
// # Table lifecycle
//
// Ingest adds files (AddFiles). Compaction claims references (AssignJobIds) and replaces
// them with its output (ReplaceFileReferences); files left without references wait for
// garbage collection, which deletes them from the object store and then from the state
// (DeleteFiles). Splitting divides a leaf (SplitPartition) and pushes its references down
// (SplitFileReferences). Deletes by predicate are added (AddDeletePredicate) and retired once
// no referenced file can hold a row they match (RetireDeletePredicates). A change of a
// column's type fences the column's stored name (RetireColumns with a token and a lease)
// before it checks the stored values, and keeps it retired for good once the change
// committed: an AddFiles or AddDeletePredicate naming a retired column, made under the former
// schema, is refused (ErrColumnRetired, a serialization conflict).
//
// # Adding a transaction
//
// A kind is a type in its own file implementing Transaction (Kind, Validate, Apply) and
// registered in an init function. Validation errors wrap ErrInvalidTransaction or one of
// the finer sentinels built on it. Apply changes the state only through mutableState's
// methods, which copy on write. A kind's meaning is part of the log format: once
// entries of it exist, changing what Apply does needs a new kind.
package statestore
