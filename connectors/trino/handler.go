package trino

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/connectors/trino/trinothrift"
	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/errs"
)

// The schemas: user tables as over pgwire, and the system tables.
const (
	schemaPublic  = "public"
	schemaSleeper = "sleeper"
)

// handler implements the service over the engine.
type handler struct {
	e     *engine.Engine
	log   *slog.Logger
	hosts []*trinothrift.TrinoThriftHostAddress
	pages pageCache
}

var _ trinothrift.TrinoThriftService = (*handler)(nil)

// serviceError turns an engine error into the service's exception. Errors that another
// attempt may not meet (I/O, commit conflicts, timeouts) are retryable.
func serviceError(err error) error {
	if err == nil {
		return nil
	}
	var se *trinothrift.TrinoThriftServiceException
	if errors.As(err, &se) {
		return se
	}
	retry := false
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, errs.IOError), errors.Is(err, errs.Conflict):
		retry = true
	}
	return &trinothrift.TrinoThriftServiceException{Message: err.Error(), Retryable: retry}
}

func invalid(format string, args ...any) error {
	return &trinothrift.TrinoThriftServiceException{Message: fmt.Sprintf(format, args...)}
}

// TrinoListSchemaNames implements the service.
func (h *handler) TrinoListSchemaNames(ctx context.Context) (_ []string, err error) {
	defer h.recoverTo("trinoListSchemaNames", &err)
	return []string{schemaPublic, schemaSleeper}, nil
}

// TrinoListTables implements the service.
func (h *handler) TrinoListTables(ctx context.Context, schema *trinothrift.TrinoThriftNullableSchemaName) (_ []*trinothrift.TrinoThriftSchemaTableName, err error) {
	defer h.recoverTo("trinoListTables", &err)
	want := func(s string) bool { return schema == nil || schema.SchemaName == nil || *schema.SchemaName == s }
	out := []*trinothrift.TrinoThriftSchemaTableName{}
	if want(schemaPublic) {
		tables, err := h.e.ConnectorTables(ctx)
		if err != nil {
			return nil, serviceError(err)
		}
		for _, t := range tables {
			if validName(t.Name) {
				out = append(out, &trinothrift.TrinoThriftSchemaTableName{SchemaName: schemaPublic, TableName: t.Name})
			}
		}
	}
	if want(schemaSleeper) {
		for _, n := range catalog.SystemTableNames() {
			if validName(n) {
				out = append(out, &trinothrift.TrinoThriftSchemaTableName{SchemaName: schemaSleeper, TableName: n})
			}
		}
	}
	return out, nil
}

// TrinoGetTableMetadata implements the service: an unknown table has no metadata.
func (h *handler) TrinoGetTableMetadata(ctx context.Context, name *trinothrift.TrinoThriftSchemaTableName) (_ *trinothrift.TrinoThriftNullableTableMetadata, err error) {
	defer h.recoverTo("trinoGetTableMetadata", &err)
	if name == nil {
		return nil, invalid("no table name")
	}
	out := &trinothrift.TrinoThriftNullableTableMetadata{}
	switch name.SchemaName {
	case schemaSleeper:
		schema, ok := catalog.SystemTables[name.TableName]
		if !ok {
			return out, nil
		}
		md := &trinothrift.TrinoThriftTableMetadata{SchemaTableName: name}
		for _, f := range schema.Fields() {
			if validName(f.Name) {
				md.Columns = append(md.Columns, &trinothrift.TrinoThriftColumnMetadata{Name: f.Name, Type: kindOf(f).trinoType()})
			}
		}
		out.TableMetadata = md
	case schemaPublic:
		if !validName(name.TableName) {
			return out, nil
		}
		t, err := h.e.ConnectorTable(ctx, name.TableName)
		if engine.IsNotFound(err) {
			return out, nil
		}
		if err != nil {
			return nil, serviceError(err)
		}
		out.TableMetadata = tableMetadata(t)
	}
	return out, nil
}

// tableMetadata describes a user table: its columns with valid names, hidden ones (the
// generated row id) marked hidden, and the prefixes of its row keys as index keys.
func tableMetadata(t *catalog.Table) *trinothrift.TrinoThriftTableMetadata {
	md := &trinothrift.TrinoThriftTableMetadata{SchemaTableName: &trinothrift.TrinoThriftSchemaTableName{SchemaName: schemaPublic, TableName: t.Name}}
	for i, c := range t.Columns {
		if !validName(c.Name) {
			continue
		}
		cm := &trinothrift.TrinoThriftColumnMetadata{Name: c.Name, Type: kindOf(engine.ResultField(t, i)).trinoType(), Hidden: c.Hidden}
		if slices.Contains(t.RowKeys, i) {
			comment := "row key"
			cm.Comment = &comment
		}
		md.Columns = append(md.Columns, cm)
	}
	if !t.KeyedByInsertion() {
		var prefix []string
		for _, k := range t.RowKeys {
			f := engine.ResultField(t, k)
			if !validName(f.Name) || !indexable(f) {
				break
			}
			prefix = append(prefix, f.Name)
			md.IndexableKeys = append(md.IndexableKeys, slices.Clone(prefix))
		}
	}
	return md
}

// indexable reports whether a row key column's Trino values name its stored values exactly,
// so that index lookups by value find every row.
func indexable(f arrow.Field) bool {
	switch kindOf(f) {
	case kindInteger, kindBigint, kindVarchar:
		return true
	case kindDate:
		return f.Type.ID() == arrow.DATE32
	case kindText:
		return f.Type.ID() == arrow.BINARY
	}
	return false
}

// splitToken is the state of a split listing: the table, the state it lists and how many
// splits earlier pages held.
type splitToken struct {
	ID     string `json:"i"`
	Txn    uint64 `json:"n"`
	Offset int    `json:"o"`
}

const (
	prefixLeaf   = 'L' // a split of a user table: the engine's descriptor follows
	prefixSystem = 'S' // a split of a system table: its name follows
	prefixToken  = 'T' // a split listing token: JSON splitToken follows
)

func decodeSplitToken(tok *trinothrift.TrinoThriftNullableToken) (*splitToken, error) {
	if tok == nil || tok.Token == nil {
		return nil, nil
	}
	id := tok.Token.ID
	var st splitToken
	if len(id) == 0 || id[0] != prefixToken || json.Unmarshal(id[1:], &st) != nil || st.Txn == 0 || st.Offset < 0 {
		return nil, invalid("not a split listing token of this service")
	}
	return &st, nil
}

// TrinoGetSplits implements the service: one split per leaf partition that may hold rows
// the constraint admits, all at the state of the first page.
func (h *handler) TrinoGetSplits(ctx context.Context, name *trinothrift.TrinoThriftSchemaTableName, desired *trinothrift.TrinoThriftNullableColumnSet, constraint *trinothrift.TrinoThriftTupleDomain, maxSplitCount int32, next *trinothrift.TrinoThriftNullableToken) (_ *trinothrift.TrinoThriftSplitBatch, err error) {
	defer h.recoverTo("trinoGetSplits", &err)
	if name == nil {
		return nil, invalid("no table name")
	}
	if maxSplitCount <= 0 {
		return nil, invalid("maxSplitCount must be positive, not %d", maxSplitCount)
	}
	tok, err := decodeSplitToken(next)
	if err != nil {
		return nil, err
	}
	empty := &trinothrift.TrinoThriftSplitBatch{Splits: []*trinothrift.TrinoThriftSplit{}}
	if name.SchemaName == schemaSleeper {
		if _, ok := catalog.SystemTables[name.TableName]; !ok {
			return nil, invalid("table %s.%s does not exist", name.SchemaName, name.TableName)
		}
		if tok != nil {
			return empty, nil
		}
		return &trinothrift.TrinoThriftSplitBatch{Splits: []*trinothrift.TrinoThriftSplit{h.split(append([]byte{prefixSystem}, name.TableName...))}}, nil
	}
	t, err := h.userTable(ctx, name)
	if err != nil {
		return nil, err
	}
	cons, none := constraints(t, constraint)
	if none {
		return empty, nil
	}
	id, txn, off := "", uint64(0), 0
	if tok != nil {
		id, txn, off = tok.ID, tok.Txn, tok.Offset
	}
	sp, err := h.e.LeafSplits(ctx, t.Name, id, txn, cons, off, int(maxSplitCount))
	if err != nil {
		return nil, serviceError(err)
	}
	return h.batch(sp, off)
}

// batch turns a page of engine splits into the service's, with the token of the next page.
func (h *handler) batch(sp *engine.Splits, off int) (*trinothrift.TrinoThriftSplitBatch, error) {
	out := &trinothrift.TrinoThriftSplitBatch{Splits: make([]*trinothrift.TrinoThriftSplit, 0, len(sp.IDs))}
	for _, id := range sp.IDs {
		out.Splits = append(out.Splits, h.split(append([]byte{prefixLeaf}, id...)))
	}
	if end := off + len(sp.IDs); end < sp.Total {
		b, err := json.Marshal(splitToken{ID: sp.Table.ID, Txn: sp.Txn, Offset: end})
		if err != nil {
			return nil, err
		}
		out.NextToken = &trinothrift.TrinoThriftId{ID: append([]byte{prefixToken}, b...)}
	}
	return out, nil
}

func (h *handler) split(id []byte) *trinothrift.TrinoThriftSplit {
	return &trinothrift.TrinoThriftSplit{SplitId: &trinothrift.TrinoThriftId{ID: id}, Hosts: h.hosts}
}

func (h *handler) userTable(ctx context.Context, name *trinothrift.TrinoThriftSchemaTableName) (*catalog.Table, error) {
	if name.SchemaName != schemaPublic {
		return nil, invalid("schema %q does not exist", name.SchemaName)
	}
	t, err := h.e.ConnectorTable(ctx, name.TableName)
	if err != nil {
		return nil, serviceError(err)
	}
	return t, nil
}

// TrinoGetIndexSplits implements the service: the keys are values of a prefix of the row
// key columns; one split per leaf partition holding any of them.
func (h *handler) TrinoGetIndexSplits(ctx context.Context, name *trinothrift.TrinoThriftSchemaTableName, indexColumns []string, outputColumns []string, keys *trinothrift.TrinoThriftPageResult_, constraint *trinothrift.TrinoThriftTupleDomain, maxSplitCount int32, next *trinothrift.TrinoThriftNullableToken) (_ *trinothrift.TrinoThriftSplitBatch, err error) {
	defer h.recoverTo("trinoGetIndexSplits", &err)
	if name == nil || keys == nil {
		return nil, invalid("no table name or keys")
	}
	if maxSplitCount <= 0 {
		return nil, invalid("maxSplitCount must be positive, not %d", maxSplitCount)
	}
	tok, err := decodeSplitToken(next)
	if err != nil {
		return nil, err
	}
	t, err := h.userTable(ctx, name)
	if err != nil {
		return nil, err
	}
	if len(indexColumns) == 0 || len(indexColumns) > len(t.RowKeys) || t.KeyedByInsertion() {
		return nil, invalid("index columns %v are not a prefix of the row keys of %s", indexColumns, t.Name)
	}
	for i, c := range indexColumns {
		f := engine.ResultField(t, t.RowKeys[i])
		if f.Name != c || !indexable(f) {
			return nil, invalid("index columns %v are not a prefix of the row keys of %s", indexColumns, t.Name)
		}
	}
	if len(keys.ColumnBlocks) != len(indexColumns) {
		return nil, invalid("the keys have %d columns for %d index columns", len(keys.ColumnBlocks), len(indexColumns))
	}
	for i, blk := range keys.ColumnBlocks {
		k := kindOf(engine.ResultField(t, t.RowKeys[i]))
		if err := checkBlock(blk, k, int(keys.RowCount)); err != nil {
			return nil, invalid("key column %s: %v", indexColumns[i], err)
		}
	}
	rows := make([][]any, 0, keys.RowCount)
	for r := 0; r < int(keys.RowCount); r++ {
		row := make([]any, len(indexColumns))
		ok := true
		for i, blk := range keys.ColumnBlocks {
			f := engine.ResultField(t, t.RowKeys[i])
			v, vok := blockValue(f, kindOf(f), blk, r)
			if !vok {
				ok = false // NULL: matches no row
				break
			}
			row[i] = v
		}
		if ok {
			rows = append(rows, row)
		}
	}
	cons, none := constraints(t, constraint)
	if none {
		return &trinothrift.TrinoThriftSplitBatch{Splits: []*trinothrift.TrinoThriftSplit{}}, nil
	}
	id, txn, off := "", uint64(0), 0
	if tok != nil {
		id, txn, off = tok.ID, tok.Txn, tok.Offset
	}
	sp, err := h.e.IndexSplits(ctx, t.Name, id, txn, rows, cons, off, int(maxSplitCount))
	if err != nil {
		return nil, serviceError(err)
	}
	return h.batch(sp, off)
}
