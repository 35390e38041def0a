// Package catalog keeps table definitions in the object store and turns a table's state into
// scans of its Parquet files.
package catalog

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/ingest"
	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/merge"
	"github.com/sleeperd/sleeperd/storage/parquet"
	"github.com/sleeperd/sleeperd/storage/statestore"
	"github.com/sleeperd/sleeperd/types"
)

// RowIDColumn is the name of the hidden row key column of a table keyed by insertion order.
const RowIDColumn = "_rowid"

// Column is a stored column of a table.
type Column struct {
	Name     string
	Type     arrow.DataType
	Nullable bool
	// Hidden columns are stored but never shown by SELECT *: the row id of a table keyed by
	// insertion order.
	Hidden bool
	// SQLType, when set, is the column's SQL type where it says more than Type: a
	// character varying(n) or character(n) column (a types.Char) stored as strings (Type).
	SQLType arrow.DataType
	// Default is the SQL text of the column's DEFAULT expression, or empty: writers that
	// leave the column out evaluate it for each row (sql.BindDefault).
	Default string
	// Identity is IdentityAlways or IdentityByDefault for a GENERATED ... AS IDENTITY
	// column (whose Default is the nextval of its sequence), else empty.
	Identity string
	// Stored is the column's name in the table's data files when it differs from Name (a
	// renamed column, or one added with the name of a dropped one).
	Stored string
	// Missing, for a column added by ALTER TABLE with a default, is the text of the value
	// (as arrow's ValueStr writes it) that the rows of older data files, which lack the
	// column, take; NULL otherwise.
	Missing *string
	// Former are the column's shapes before ALTER COLUMN ... TYPE changes that changed its
	// stored values, newest first: files of those times hold it under other names.
	Former []Former
	// TypeName names the composite type (CREATE TYPE) of a record column declared of one;
	// Type is then its struct.
	TypeName string
}

// StoredName is the column's name in the table's data files.
func (c Column) StoredName() string {
	if c.Stored != "" {
		return c.Stored
	}
	return c.Name
}

// MissingKey is the key of the field metadata of a table's schema that holds
// Column.Missing: readers fill a column a data file lacks with it (NULL without it).
const MissingKey = merge.MissingKey

// Identity kinds, as pg_attribute.attidentity shows them.
const (
	IdentityAlways    = "a"
	IdentityByDefault = "d"
)

// Check is a CHECK constraint: a row whose Expr is false is refused (NULL passes).
type Check struct {
	// Name is the constraint's name, as PostgreSQL chooses it when none is given:
	// <table>_<column>_check for an expression over one column, <table>_check otherwise.
	Name string
	// Expr is the SQL text of the boolean expression over the table's columns.
	Expr string
}

// SQL is the column's SQL type: SQLType when set, else Type.
func (c Column) SQL() arrow.DataType {
	if c.SQLType != nil {
		return c.SQLType
	}
	return c.Type
}

// Table is a table definition: an Arrow schema plus the roles of its columns. A Table is
// immutable once returned by the catalog.
type Table struct {
	// ID identifies the table forever: a table created with a dropped table's name gets a new
	// ID. It is also the table's statestore.TableID.
	ID   string
	Name string
	// Columns are the stored columns, in order. A table keyed by insertion order has a hidden
	// int64 column RowIDColumn, last.
	Columns []Column
	// RowKeys and SortKeys are indices into Columns. Row key columns are never nullable.
	RowKeys  []int
	SortKeys []int
	// PrimaryKey holds indices into Columns, or nothing.
	PrimaryKey []int
	Props      Properties
	// Checks are the table's CHECK constraints, sorted by name (the order PostgreSQL checks
	// them in).
	Checks []Check
	// DroppedStored are the stored names of dropped columns, which older data files may
	// still hold: never given to a new column.
	DroppedStored []string
	// Comment is the table's COMMENT, and ColumnComments those of its columns by name.
	Comment        string
	ColumnComments map[string]string
	// Version counts the changes of column types the table went through that kept the
	// columns' stored names (a shorter character varying of a column in a key or an index):
	// see FenceName.
	Version int

	schema *arrow.Schema
	// schemas keeps the schemas scans of the table build over its columns (see
	// cachedSchema); nil in a Table not built by the catalog.
	schemas *sync.Map
}

// cachedSchema returns the schema build makes for the key (a kind of schema and the column
// indices it is of), building it once per table: every execution of a statement plans a scan
// over the same columns, and a Table is immutable.
func (t *Table) cachedSchema(kind byte, cols []int, build func() *arrow.Schema) *arrow.Schema {
	if t.schemas == nil {
		return build()
	}
	key := make([]byte, 1, 1+4*len(cols))
	key[0] = kind
	for _, c := range cols {
		key = binary.LittleEndian.AppendUint32(key, uint32(c))
	}
	if s, ok := t.schemas.Load(string(key)); ok {
		return s.(*arrow.Schema)
	}
	s, _ := t.schemas.LoadOrStore(string(key), build())
	return s.(*arrow.Schema)
}

// Properties are a table's parsed, validated properties. They are set with WITH (key = value)
// at creation:
//
//	key              default     meaning
//	compression      zstd        Parquet codec: zstd, snappy, gzip or none
//	row_group_rows   100000      rows per Parquet row group
//	page_size        8192        target uncompressed bytes per Parquet data page
//	dictionary       false       dictionary-encode columns (true/false, on/off, yes/no, 1/0)
//	split_threshold  10000000    rows in a leaf partition above which it is split
//	split_points     (none)      initial split points: comma-separated values of the leading
//	                             row key column; quote a value containing a comma with '...'
//	filters          (none)      iterator: ageOff(col, 7d), ... drops rows older than the age
//	aggregations     (none)      iterator: sum(a), min(b), max(c), last(d) combines rows with
//	                             equal row and sort keys
//	online           true        background compaction, splitting and garbage collection run
//	compaction_ratio 3           SizeRatio compaction: ratio of the rest to the largest file
//	compaction_files 12          most files in one compaction job
//	compaction_jobs_per_partition 4  most concurrent compaction jobs in one partition
//	gc_delay         15m         how long a file with no references is kept
//	orphan_age       1h          how old an object under the table's prefix that its state
//	                             does not name must be before it is deleted as an orphan
//	compaction_job_timeout 10m   how long a compaction job may hold its files before another
//	                             process takes its runner for dead and releases them
//
// Any other key is an error. All but split_points can be changed with ALTER TABLE ... SET.
type Properties struct {
	Parquet        parquet.Properties
	SplitThreshold int64
	// Filters and Aggregations are the iterator stack's specifications, as written
	// (ageOff(col, 7d); sum(a), max(b), min(c), last(d)); the engine parses them against the
	// schema.
	Filters, Aggregations string
	// Online tables get background compaction, splitting and garbage collection.
	Online bool
	// CompactionRatio, CompactionFiles and CompactionJobs tune the SizeRatio compaction
	// strategy: the ratio, the most files in one job, the most concurrent jobs per partition.
	CompactionRatio int
	CompactionFiles int
	CompactionJobs  int
	// GCDelay is how long a file with no references is kept before garbage collection.
	GCDelay time.Duration
	// OrphanAge is how long ago an object under the table's prefix that its state does not
	// name must have been written before garbage collection deletes it: longer than any
	// ingest or compaction takes from writing a file to committing it.
	OrphanAge time.Duration
	// JobTimeout is how long a compaction job may hold its files before any process may
	// release them (its runner is taken to have died).
	JobTimeout time.Duration
	// Raw is the text of every property given, for display.
	Raw map[string]string
}

// Property keys and defaults.
const (
	PropCompression    = "compression"
	PropRowGroupRows   = "row_group_rows"
	PropPageSize       = "page_size"
	PropValuePageSize  = "value_page_size"
	PropDictionary     = "dictionary"
	PropEncoding       = "encoding"
	PropSplitThreshold = "split_threshold"
	PropSplitPoints    = "split_points"
	PropFilters        = "filters"
	PropAggregations   = "aggregations"
	PropOnline         = "online"
	PropCompactRatio   = "compaction_ratio"
	PropCompactBatch   = "compaction_files"
	PropCompactJobs    = "compaction_jobs_per_partition"
	PropGCDelay        = "gc_delay"
	PropOrphanAge      = "orphan_age"
	PropJobTimeout     = "compaction_job_timeout"

	DefaultSplitThreshold = 10_000_000
)

// Schema returns the Arrow schema of all stored columns, hidden ones included.
func (t *Table) Schema() *arrow.Schema { return t.schema }

// StateID is the table's identifier in the state store.
func (t *Table) StateID() statestore.TableID { return statestore.TableID(t.ID) }

// RowKeyTypes returns the types of the row key columns, in key order.
func (t *Table) RowKeyTypes() []arrow.DataType {
	out := make([]arrow.DataType, len(t.RowKeys))
	for i, c := range t.RowKeys {
		out[i] = types.Storage(t.Columns[c].Type)
	}
	return out
}

// ColumnIndex returns the index of the named column, or -1.
func (t *Table) ColumnIndex(name string) int {
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// Visible returns the indices of the columns SELECT * shows, in order.
func (t *Table) Visible() []int {
	out := make([]int, 0, len(t.Columns))
	for i, c := range t.Columns {
		if !c.Hidden {
			out = append(out, i)
		}
	}
	return out
}

// KeyedByInsertion reports whether the table's row key is the hidden row id, which writers
// fill with increasing values.
func (t *Table) KeyedByInsertion() bool {
	return len(t.RowKeys) == 1 && t.Columns[t.RowKeys[0]].Hidden
}

// FilePrefix is the object name prefix of the table's data files.
func (t *Table) FilePrefix() string { return "tables/" + t.ID + "/files/" }

// IngestSpec returns the spec ingest.Write needs to write rows of t. Its allocator is nil
// (the default); callers set their own.
func (t *Table) IngestSpec() ingest.Spec {
	return ingest.Spec{
		Table:      t.StateID(),
		Schema:     t.schema,
		RowKeys:    slices.Clone(t.RowKeys),
		SortKeys:   slices.Clone(t.SortKeys),
		Props:      t.Props.Parquet,
		FilePrefix: t.FilePrefix(),
		Marks:      []string{t.FenceName()},
	}
}

// fenceNamePrefix starts every FenceName: no stored column name has a NUL.
const fenceNamePrefix = "\x00version "

// FenceName is the name that writes made under this definition of the table name in their
// commits besides the stored names of its columns (statestore.AddFiles.Columns and
// AddDeletePredicate.Columns): a change of a column's type that keeps the column's stored
// name fences writes under the older definition by retiring it (statestore.RetireColumns),
// and counts up Version.
func (t *Table) FenceName() string { return fenceNamePrefix + strconv.Itoa(t.Version) }

// IsFenceName reports whether name is a FenceName rather than a stored column name.
func IsFenceName(name string) bool { return strings.HasPrefix(name, fenceNamePrefix) }

func (t *Table) buildSchema() {
	fields := make([]arrow.Field, len(t.Columns))
	for i, c := range t.Columns {
		fields[i] = arrow.Field{Name: c.StoredName(), Type: types.Storage(c.Type), Nullable: c.Nullable}
		if c.SQLType != nil {
			// A record column's storage names its fields' SQL types (time, uuid, json) in
			// their metadata, which the persisted storage type does not keep: they come
			// from the SQL type, so that data files give those fields their logical types
			// (the storage is the same, as Arrow's type equality, ignoring metadata, says).
			if st := types.Storage(c.SQLType); arrow.TypeEqual(st, fields[i].Type) {
				fields[i].Type = st
			}
		}
		var mk, mv []string
		if c.Missing != nil {
			mk, mv = append(mk, MissingKey), append(mv, *c.Missing)
		}
		if len(c.Former) > 0 {
			mk, mv = append(mk, merge.FormerKey), append(mv, formerMetadata(c.Former))
		}
		if name, ok := storedTypeName(c.SQL()); ok {
			mk, mv = append(mk, types.SQLTypeKey), append(mv, name)
		}
		if len(mk) > 0 {
			fields[i].Metadata = arrow.NewMetadata(mk, mv)
		}
	}
	t.schema = arrow.NewSchema(fields, nil)
	t.schemas = &sync.Map{}
}

// storedTypeName is the name of SQL type t that a stored column keeps in its field's
// metadata (types.SQLTypeKey) so that data files name the type: types.StoredTypeName's, or
// for an array of time, timetz, uuid, json or jsonb the array type's name ("_time",
// "_timetz", "_uuid", "_json", "_jsonb"), from which the writer gives the list's elements
// their logical type (timetz elements, which Parquet has none for, stay the plain INT64 of
// their packed value, as timetz columns do, the array named by the metadata alone). The
// schema is built from the columns each time a table is opened, so tables written before
// read as they did: their older files have plain leaves, which read the same.
func storedTypeName(t arrow.DataType) (string, bool) {
	if lt, ok := t.(*arrow.ListType); ok {
		if name, ok := types.StoredTypeName(lt.Elem()); ok {
			return "_" + name, true
		}
		return "", false
	}
	return types.StoredTypeName(t)
}

// TableDef is what CREATE TABLE asks for. Names are already case-folded.
type TableDef struct {
	Name    string
	Columns []Column
	// RowKeys name the row key columns in key order. Without them the PrimaryKey columns are
	// the row key; with neither, the table is keyed by insertion order.
	RowKeys    []string
	SortKeys   []string
	PrimaryKey []string
	// SplitPoints are values of the leading row key column, as text, that split the table
	// into initial partitions; they add to the split_points property.
	SplitPoints []string
	Properties  map[string]string
	// Checks are the CHECK constraints; an empty Name is chosen as PostgreSQL does.
	Checks []Check
	// CheckColumns[i], when set, is the only column Checks[i] refers to, for its name.
	CheckColumns []string
}

// define validates def and returns the table it describes, without ID, and its initial split
// points, encoded and sorted.
func define(def TableDef) (*Table, [][]byte, error) {
	if def.Name == "" {
		return nil, nil, errs.New(errs.InvalidDefinition, "table name must not be empty")
	}
	t := &Table{Name: def.Name}
	byName := make(map[string]int)
	for _, c := range def.Columns {
		if c.Name == "" {
			return nil, nil, errs.New(errs.InvalidDefinition, "column name must not be empty")
		}
		if c.Type == nil {
			return nil, nil, errs.New(errs.InvalidDefinition, "column %q has no type", c.Name)
		}
		if _, dup := byName[c.Name]; dup {
			return nil, nil, errs.New(errs.DuplicateColumn, "column %q specified more than once", c.Name)
		}
		byName[c.Name] = len(t.Columns)
		if st := types.Storage(c.Type); st != c.Type {
			c.SQLType, c.Type = c.Type, st
		}
		t.Columns = append(t.Columns, c)
	}
	resolve := func(names []string, what string) ([]int, error) {
		var out []int
		for _, n := range names {
			i, ok := byName[n]
			if !ok {
				return nil, errs.New(errs.UndefinedColumn, "column %q named in %s does not exist", n, what)
			}
			if slices.Contains(out, i) {
				return nil, errs.New(errs.DuplicateColumn, "column %q appears twice in %s", n, what)
			}
			out = append(out, i)
		}
		return out, nil
	}
	var err error
	if t.RowKeys, err = resolve(def.RowKeys, "row key"); err != nil {
		return nil, nil, err
	}
	if t.SortKeys, err = resolve(def.SortKeys, "sort key"); err != nil {
		return nil, nil, err
	}
	if t.PrimaryKey, err = resolve(def.PrimaryKey, "primary key"); err != nil {
		return nil, nil, err
	}
	for _, i := range t.PrimaryKey {
		t.Columns[i].Nullable = false
	}
	if len(t.RowKeys) == 0 {
		// The primary key is the row keys followed by the sort keys.
		for _, i := range t.PrimaryKey {
			if !slices.Contains(t.SortKeys, i) {
				t.RowKeys = append(t.RowKeys, i)
			}
		}
	}
	if len(t.PrimaryKey) > 0 {
		key := append(slices.Clone(t.RowKeys), t.SortKeys...)
		pk := slices.Clone(t.PrimaryKey)
		slices.Sort(key)
		slices.Sort(pk)
		if !slices.Equal(key, pk) {
			return nil, nil, errs.New(errs.InvalidDefinition, "the PRIMARY KEY of table %q must be its row keys and sort keys", def.Name)
		}
	}
	if len(t.RowKeys) == 0 {
		if _, taken := byName[RowIDColumn]; taken {
			return nil, nil, errs.New(errs.DuplicateColumn, "column %q is reserved for the row id of a table without row key", RowIDColumn)
		}
		t.RowKeys = []int{len(t.Columns)}
		t.Columns = append(t.Columns, Column{Name: RowIDColumn, Type: arrow.PrimitiveTypes.Int64, Hidden: true})
	}
	if err := flatKeys(t); err != nil {
		return nil, nil, err
	}
	for _, i := range t.RowKeys {
		c := &t.Columns[i]
		if !keys.Supported(types.Storage(c.Type)) {
			return nil, nil, errs.New(errs.InvalidDefinition, "column %q of type %s cannot be a row key (int32, int64, text, bytea, date and timestamp can)", c.Name, types.Name(c.SQL()))
		}
		c.Nullable = false
	}
	for _, i := range t.SortKeys {
		c := t.Columns[i]
		if slices.Contains(t.RowKeys, i) {
			return nil, nil, errs.New(errs.InvalidDefinition, "column %q cannot be both a row key and a sort key", c.Name)
		}
		if !keys.SortKeySupported(types.Storage(c.Type)) {
			return nil, nil, errs.New(errs.InvalidDefinition, "column %q of type %s cannot be a sort key", c.Name, types.Name(c.SQL()))
		}
	}
	if t.Checks, err = nameChecks(def.Name, def.Checks, def.CheckColumns); err != nil {
		return nil, nil, err
	}
	t.buildSchema()
	rawSplits := slices.Clone(def.SplitPoints)
	if t.Props, err = parseProperties(def.Properties); err != nil {
		return nil, nil, err
	}
	if len(t.PrimaryKey) > 0 && t.Props.Aggregations != "" {
		return nil, nil, errs.New(errs.InvalidParameter, "table %q has a primary key: its rows are replaced, not aggregated", def.Name)
	}
	if s, ok := t.Props.Raw[PropSplitPoints]; ok {
		vals, err := splitList(s)
		if err != nil {
			return nil, nil, err
		}
		rawSplits = append(rawSplits, vals...)
	}
	if err := t.Props.Parquet.Validate(); err != nil {
		return nil, nil, errs.Wrap(errs.InvalidParameter, err, "invalid table properties: %v", err)
	}
	w, err := parquet.NewWriter(discard{}, t.schema, t.Props.Parquet)
	if err != nil {
		return nil, nil, errs.Wrap(errs.NotImplemented, err, "table %q cannot be stored: %v", t.Name, err)
	}
	w.Close()
	splits, err := parseSplitPoints(t.Columns[t.RowKeys[0]], rawSplits)
	if err != nil {
		return nil, nil, err
	}
	return t, splits, nil
}

// nameChecks gives each check without a name the one PostgreSQL's ChooseConstraintName
// would, <table>_<column>_check or <table>_check with a number appended when taken, and
// returns them sorted by name.
func nameChecks(table string, checks []Check, cols []string) ([]Check, error) {
	out := slices.Clone(checks)
	taken := map[string]bool{}
	for _, c := range out {
		if c.Name != "" {
			if taken[c.Name] {
				return nil, errs.New(errs.DuplicateObject, "check constraint %q already exists", c.Name)
			}
			taken[c.Name] = true
		}
	}
	for i := range out {
		if out[i].Name != "" {
			continue
		}
		base := table
		if i < len(cols) && cols[i] != "" {
			base += "_" + cols[i]
		}
		base += "_check"
		name := base
		for n := 1; taken[name]; n++ {
			name = base + strconv.Itoa(n)
		}
		taken[name] = true
		out[i].Name = name
	}
	slices.SortStableFunc(out, func(a, b Check) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// ChooseCheckName is the name PostgreSQL gives a new CHECK constraint of t over the one
// column col (or several, col empty) when none is given.
func ChooseCheckName(t *Table, col string) string {
	named, _ := nameChecks(t.Name, append(slices.Clone(t.Checks), Check{}), append(make([]string, len(t.Checks)), col))
	for _, c := range named {
		if !slices.ContainsFunc(t.Checks, func(o Check) bool { return o.Name == c.Name }) {
			return c.Name
		}
	}
	return t.Name + "_check"
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func parseBool(k, v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "on", "yes", "1":
		return true, nil
	case "false", "off", "no", "0":
		return false, nil
	}
	return false, errs.New(errs.InvalidParameter, "invalid value for parameter %q: %q (want true or false)", k, v)
}

// DefaultGCDelay is how long an unreferenced file is kept by default, DefaultJobTimeout
// how long a compaction job may hold its files, and DefaultOrphanAge how old an orphan must
// be before it is deleted.
const (
	DefaultGCDelay    = 15 * time.Minute
	DefaultJobTimeout = 10 * time.Minute
	DefaultOrphanAge  = time.Hour
)

// withProperties returns a copy of t with the properties in set replacing its own.
func (t *Table) withProperties(set map[string]string) (*Table, error) {
	raw := make(map[string]string, len(t.Props.Raw)+len(set))
	for k, v := range t.Props.Raw {
		raw[k] = v
	}
	for k, v := range set {
		raw[k] = v
	}
	p, err := parseProperties(raw)
	if err != nil {
		return nil, err
	}
	c := *t
	c.Props = p
	return &c, nil
}

// parseProperties validates raw and returns the properties it sets, defaults elsewhere.
func parseProperties(raw map[string]string) (Properties, error) {
	p := Properties{
		Parquet: parquet.DefaultProperties(), SplitThreshold: DefaultSplitThreshold, Raw: make(map[string]string, len(raw)),
		Online: true, CompactionRatio: 3, CompactionFiles: 12, CompactionJobs: 4, GCDelay: DefaultGCDelay, JobTimeout: DefaultJobTimeout,
		OrphanAge: DefaultOrphanAge,
	}
	positive := func(k, v string, bits int) (int64, error) {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, bits)
		if err != nil || n <= 0 {
			return 0, errs.New(errs.InvalidParameter, "invalid value for parameter %q: %q (want a positive integer)", k, v)
		}
		return n, nil
	}
	for k, v := range raw {
		p.Raw[k] = v
		switch k {
		case PropCompression:
			c := strings.ToLower(strings.TrimSpace(v))
			switch c {
			case parquet.Zstd, parquet.Snappy, parquet.Gzip, parquet.None:
				p.Parquet.Compression = c
			default:
				return p, errs.New(errs.InvalidParameter, "invalid value for parameter %q: %q (want zstd, snappy, gzip or none)", k, v)
			}
		case PropRowGroupRows:
			n, err := positive(k, v, 32)
			if err != nil {
				return p, err
			}
			p.Parquet.RowGroupRows = int(n)
		case PropPageSize:
			n, err := positive(k, v, 32)
			if err != nil {
				return p, err
			}
			p.Parquet.PageBytes = int(n)
		case PropValuePageSize:
			n, err := positive(k, v, 32)
			if err != nil {
				return p, err
			}
			p.Parquet.ValuePageBytes = int(n)
		case PropDictionary:
			b, err := parseBool(k, v)
			if err != nil {
				return p, err
			}
			p.Parquet.Dictionary = b
		case PropEncoding:
			e := strings.ToLower(strings.TrimSpace(v))
			if e != parquet.EncodingDelta && e != parquet.EncodingPlain {
				return p, errs.New(errs.InvalidParameter, "invalid value for parameter %q: %q (want delta or plain)", k, v)
			}
			p.Parquet.Encoding = e
		case PropSplitThreshold:
			n, err := positive(k, v, 64)
			if err != nil {
				return p, err
			}
			p.SplitThreshold = n
		case PropSplitPoints:
			// parsed against the leading row key type by the caller
		case PropFilters:
			p.Filters = v
		case PropAggregations:
			p.Aggregations = v
		case PropOnline:
			b, err := parseBool(k, v)
			if err != nil {
				return p, err
			}
			p.Online = b
		case PropCompactRatio, PropCompactBatch, PropCompactJobs:
			n, err := positive(k, v, 16)
			if err != nil {
				return p, err
			}
			switch k {
			case PropCompactRatio:
				p.CompactionRatio = int(n)
			case PropCompactBatch:
				p.CompactionFiles = int(n)
			default:
				p.CompactionJobs = int(n)
			}
		case PropGCDelay, PropJobTimeout, PropOrphanAge:
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil || d < 0 {
				return p, errs.New(errs.InvalidParameter, "invalid value for parameter %q: %q (want a duration such as 15m)", k, v)
			}
			switch k {
			case PropGCDelay:
				p.GCDelay = d
			case PropOrphanAge:
				p.OrphanAge = d
			default:
				p.JobTimeout = d
			}
		default:
			return p, errs.New(errs.InvalidParameter, "unrecognized parameter %q", k)
		}
	}
	return p, nil
}

// splitList splits a comma-separated list; a value may be quoted with '...' (a doubled
// quote inside stands for one quote) to hold commas or surrounding spaces. Unquoted values are trimmed.
func splitList(s string) ([]string, error) {
	var out []string
	i := 0
	for {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		var v string
		if i < len(s) && s[i] == '\'' {
			var b strings.Builder
			i++
			for {
				if i >= len(s) {
					return nil, errs.New(errs.InvalidParameter, "invalid value for parameter %q: unterminated quoted value", PropSplitPoints)
				}
				if s[i] == '\'' {
					if i+1 < len(s) && s[i+1] == '\'' {
						b.WriteByte('\'')
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			v = b.String()
			for i < len(s) && s[i] == ' ' {
				i++
			}
			if i < len(s) && s[i] != ',' {
				return nil, errs.New(errs.InvalidParameter, "invalid value for parameter %q: text after a quoted value", PropSplitPoints)
			}
		} else {
			j := strings.IndexByte(s[i:], ',')
			if j < 0 {
				j = len(s) - i
			}
			v = strings.TrimSpace(s[i : i+j])
			i += j
			if v == "" {
				if i >= len(s) && len(out) == 0 {
					return nil, nil // an empty list
				}
				return nil, errs.New(errs.InvalidParameter, "invalid value for parameter %q: empty value", PropSplitPoints)
			}
		}
		out = append(out, v)
		if i >= len(s) {
			return out, nil
		}
		i++ // the comma
	}
}

// parseSplitPoints parses values of column c and returns their key encodings, sorted. The
// encoding of a value of the leading row key column is a prefix key: it splits before every
// row whose leading column is at least the value.
func parseSplitPoints(c Column, vals []string) ([][]byte, error) {
	out := make([][]byte, 0, len(vals))
	for _, s := range vals {
		v, err := parseKeyValue(c.Type, s)
		if err != nil {
			return nil, errs.Wrap(errs.InvalidText, err, "invalid split point for column %q: %v", c.Name, err)
		}
		k, err := keys.AppendGo(nil, c.Type, v)
		if err != nil {
			return nil, errs.Wrap(errs.InvalidText, err, "invalid split point for column %q: %v", c.Name, err)
		}
		out = append(out, k)
	}
	slices.SortFunc(out, bytes.Compare)
	for i := 1; i < len(out); i++ {
		if bytes.Equal(out[i-1], out[i]) {
			return nil, errs.New(errs.InvalidParameter, "duplicate split point %s", keys.Format([]arrow.DataType{c.Type}, out[i], false))
		}
	}
	return out, nil
}

// timestampLayouts are the accepted text forms of a timestamp split point; without a zone the
// time is UTC.
var timestampLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z07",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02",
}

// parseKeyValue parses the text of a row key value as a Go value keys.AppendGo accepts.
func parseKeyValue(t arrow.DataType, s string) (any, error) {
	switch t.ID() {
	case arrow.INT32:
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%q is not an int32", s)
		}
		return int32(n), nil
	case arrow.INT64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not an int64", s)
		}
		return n, nil
	case arrow.STRING:
		return s, nil
	case arrow.BINARY:
		if h, ok := strings.CutPrefix(s, `\x`); ok {
			b, err := hex.DecodeString(h)
			if err != nil {
				return nil, fmt.Errorf("%q is not hex bytea", s)
			}
			return b, nil
		}
		return []byte(s), nil
	case arrow.DATE32:
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			return nil, fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
		}
		return arrow.Date32FromTime(d), nil
	case arrow.TIMESTAMP:
		for _, l := range timestampLayouts {
			if tm, err := time.Parse(l, s); err == nil {
				ts, err := arrow.TimestampFromTime(tm, t.(*arrow.TimestampType).Unit)
				if err != nil {
					return nil, fmt.Errorf("%q: %v", s, err)
				}
				return ts, nil
			}
		}
		return nil, fmt.Errorf("%q is not a timestamp (YYYY-MM-DD HH:MM:SS[.ffffff][+zz])", s)
	}
	return nil, fmt.Errorf("type %s cannot be a row key", t)
}
