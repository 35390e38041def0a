package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/function"
	"github.com/sleeperd/sleeperd/types"
)

var sprintf = fmt.Sprintf

// arrowStream is the media type of Arrow's IPC stream format.
const arrowStream = "application/vnd.apache.arrow.stream"

// statement runs one SQL statement as the request's user through an engine connection of its
// own (frontend http), calling each with every batch of its result; the caller keeps none.
// first, if set, is called once before the first batch with the result's schema (nil for a
// statement without rows); an error before then is the statement's own.
func (s *Server) statement(r *http.Request, text string, params []any, first func(*arrow.Schema) error, each func(arrow.RecordBatch) error) (tag string, err error) {
	ctx := r.Context()
	c, err := s.e.Connect(ctx, userOf(ctx), "sleeperd")
	if err != nil {
		return "", err
	}
	defer c.Close()
	if es, ok := c.(engine.Session); ok {
		es.SetClient("http", r.RemoteAddr)
	}
	st, err := c.Prepare(ctx, text, nil)
	if err != nil {
		return "", err
	}
	defer st.Close()
	res, err := st.Execute(ctx, params)
	if err != nil {
		return "", err
	}
	defer res.Close()
	started := false
	for {
		b, err := res.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
		if !started && first != nil {
			started = true
			if err := first(st.Schema()); err != nil {
				b.Release()
				return "", err
			}
		}
		err = each(b)
		b.Release()
		if err != nil {
			return "", err
		}
	}
	if !started && first != nil {
		if err := first(st.Schema()); err != nil {
			return "", err
		}
	}
	return res.Tag(), nil
}

// jsonResult is a statement's result as JSON.
type jsonResult struct {
	Columns []jsonColumn `json:"columns"`
	Rows    [][]any      `json:"rows"`
	Tag     string       `json:"tag"`
}

type jsonColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// collect runs text and returns its result as JSON values.
func (s *Server) collect(r *http.Request, text string, params []any) (*jsonResult, error) {
	out := &jsonResult{Columns: []jsonColumn{}, Rows: [][]any{}}
	tag, err := s.statement(r, text, params, func(sc *arrow.Schema) error {
		if sc != nil {
			for _, f := range sc.Fields() {
				out.Columns = append(out.Columns, jsonColumn{Name: f.Name, Type: f.Type.String()})
			}
		}
		return nil
	}, func(b arrow.RecordBatch) error {
		for i := 0; i < int(b.NumRows()); i++ {
			row := make([]any, b.NumCols())
			for j, col := range b.Columns() {
				row[j] = col.GetOneForMarshal(i)
			}
			out.Rows = append(out.Rows, row)
		}
		return nil
	})
	out.Tag = tag
	return out, err
}

// objects is res's rows as objects by column name.
func (res *jsonResult) objects() []map[string]any {
	out := make([]map[string]any, len(res.Rows))
	for i, row := range res.Rows {
		m := make(map[string]any, len(row))
		for j, v := range row {
			m[res.Columns[j].Name] = v
		}
		out[i] = m
	}
	return out
}

// queryRequest is the body of POST /api/v1/query.
type queryRequest struct {
	SQL    string            `json:"sql"`
	Params []json.RawMessage `json:"params"`
}

// query runs one statement and answers its rows as JSON or as an Arrow IPC stream.
func (s *Server) query(w http.ResponseWriter, r *http.Request) {
	var req queryRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	if strings.TrimSpace(req.SQL) == "" {
		writeError(w, badRequest("the body needs a statement in \"sql\""))
		return
	}
	params, err := jsonParams(req.Params)
	if err != nil {
		writeError(w, err)
		return
	}
	format, err := resultFormat(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if format == "json" {
		res, err := s.collect(r, req.SQL, params)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, res)
		return
	}
	var iw *ipc.Writer
	tag, err := s.statement(r, req.SQL, params, func(sc *arrow.Schema) error {
		if sc == nil {
			sc = arrow.NewSchema(nil, nil)
		}
		w.Header().Set("Content-Type", arrowStream)
		w.WriteHeader(http.StatusOK)
		iw = ipc.NewWriter(w, ipc.WithSchema(sc))
		return nil
	}, func(b arrow.RecordBatch) error { return iw.Write(b) })
	if iw == nil {
		writeError(w, err)
		return
	}
	if err == nil {
		err = iw.Close()
	}
	if err != nil {
		// The status is sent: the stream ends without its end marker, which readers report.
		s.log.Warn("query failed while streaming", "err", err)
		return
	}
	_ = tag
}

// resultFormat is json or arrow, from ?format= or the Accept header.
func resultFormat(r *http.Request) (string, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "json", "arrow":
		return f, nil
	case "":
	default:
		return "", badRequest("unknown format %q: json or arrow", f)
	}
	for _, a := range strings.Split(r.Header.Get("Accept"), ",") {
		mt := strings.TrimSpace(strings.SplitN(a, ";", 2)[0])
		switch mt {
		case arrowStream:
			return "arrow", nil
		case "application/json", "*/*", "":
			return "json", nil
		}
	}
	return "json", nil
}

// jsonParams converts JSON parameter values: numbers without a fraction are bigint,
// others double precision; strings, booleans and null as they are.
func jsonParams(raw []json.RawMessage) ([]any, error) {
	out := make([]any, len(raw))
	for i, m := range raw {
		d := json.NewDecoder(bytes.NewReader(m))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			return nil, badRequest("parameter $%d: %v", i+1, err)
		}
		switch x := v.(type) {
		case json.Number:
			if n, err := x.Int64(); err == nil {
				out[i] = n
			} else if f, err := x.Float64(); err == nil {
				out[i] = f
			} else {
				return nil, badRequest("parameter $%d: %v", i+1, err)
			}
		case string, bool, nil:
			out[i] = x
		default:
			return nil, badRequest("parameter $%d: a string, number, boolean or null", i+1)
		}
	}
	return out, nil
}

// decodeBody reads the JSON body of r into v, refusing unknown fields.
func decodeBody(r *http.Request, v any) error {
	d := json.NewDecoder(r.Body)
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		if err == io.EOF {
			return badRequest("the request needs a JSON body")
		}
		return badRequest("the body is not the JSON expected: %v", err)
	}
	return nil
}

// quoteIdent quotes a name as a SQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// quoteLiteral quotes a string as a SQL string constant.
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// typeName is the type names a column of POST /api/v1/tables may have: a name with an
// optional modifier and array brackets, so that nothing but a type reaches the statement.
var typeName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_ ]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?( with(out)? time zone)?(\[\])?$`)

// propertyName is a table property's name.
var propertyName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// tableRequest is the body of POST /api/v1/tables.
type tableRequest struct {
	Name        string          `json:"name"`
	Columns     []columnRequest `json:"columns"`
	PrimaryKey  []string        `json:"primary_key"`
	Properties  map[string]any  `json:"properties"`
	IfNotExists bool            `json:"if_not_exists"`
}

type columnRequest struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	NotNull bool   `json:"not_null"`
}

// createTable runs CREATE TABLE for the definition in the body.
func (s *Server) createTable(w http.ResponseWriter, r *http.Request) {
	var req tableRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	if req.Name == "" || len(req.Columns) == 0 {
		writeError(w, badRequest("a table needs a \"name\" and at least one column in \"columns\""))
		return
	}
	var b strings.Builder
	b.WriteString("CREATE TABLE ")
	if req.IfNotExists {
		b.WriteString("IF NOT EXISTS ")
	}
	b.WriteString(quoteIdent(req.Name) + " (")
	for i, c := range req.Columns {
		if c.Name == "" || !typeName.MatchString(c.Type) {
			writeError(w, badRequest("column %d needs a \"name\" and a SQL type in \"type\" (got %q)", i+1, c.Type))
			return
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteIdent(c.Name) + " " + c.Type)
		if c.NotNull {
			b.WriteString(" NOT NULL")
		}
	}
	if len(req.PrimaryKey) > 0 {
		quoted := make([]string, len(req.PrimaryKey))
		for i, k := range req.PrimaryKey {
			quoted[i] = quoteIdent(k)
		}
		b.WriteString(", PRIMARY KEY (" + strings.Join(quoted, ", ") + ")")
	}
	b.WriteString(")")
	if len(req.Properties) > 0 {
		set, err := propertyList(req.Properties)
		if err != nil {
			writeError(w, err)
			return
		}
		b.WriteString(" WITH (" + set + ")")
	}
	if _, err := s.collect(r, b.String(), nil); err != nil {
		writeError(w, err)
		return
	}
	s.writeTable(w, r, req.Name, http.StatusCreated)
}

// propertyList is props as SQL's key = 'value', ... in key order.
func propertyList(props map[string]any) (string, error) {
	names := make([]string, 0, len(props))
	for k := range props {
		if !propertyName.MatchString(k) {
			return "", badRequest("invalid property name %q", k)
		}
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		var v string
		switch x := props[k].(type) {
		case string:
			v = x
		case float64:
			v = fmt.Sprint(x)
		case bool:
			v = fmt.Sprint(x)
		default:
			return "", badRequest("property %q: a string, number or boolean", k)
		}
		parts[i] = k + " = " + quoteLiteral(v)
	}
	return strings.Join(parts, ", "), nil
}

// tableJSON describes one table.
type tableJSON struct {
	Name           string            `json:"name"`
	Columns        []columnJSON      `json:"columns,omitempty"`
	RowKeys        []string          `json:"row_keys,omitempty"`
	Properties     map[string]string `json:"properties,omitempty"`
	Files          int64             `json:"files"`
	Rows           int64             `json:"rows"`
	Bytes          int64             `json:"bytes"`
	Partitions     int64             `json:"partitions"`
	LeafPartitions int64             `json:"leaf_partitions"`
	PartitionTree  []partitionJSON   `json:"partition_tree,omitempty"`
}

type columnJSON struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Nullable bool   `json:"nullable"`
}

type partitionJSON struct {
	ID       string `json:"id"`
	ParentID string `json:"parent_id,omitempty"`
	Leaf     bool   `json:"leaf"`
	Min      string `json:"min"`
	Max      string `json:"max"`
	Files    int64  `json:"files"`
	Rows     int64  `json:"rows"`
}

func statsJSON(t engine.TableStats) tableJSON {
	return tableJSON{Name: t.Name, Files: t.Files, Rows: t.Rows, Bytes: t.Bytes, Partitions: t.Partitions, LeafPartitions: t.LeafPartitions}
}

// listTables answers every table with its size.
func (s *Server) listTables(w http.ResponseWriter, r *http.Request) {
	tables, err := s.e.TableStats(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	out := make([]tableJSON, len(tables))
	for i, t := range tables {
		out[i] = statsJSON(t)
	}
	writeJSON(w, http.StatusOK, map[string]any{"tables": out})
}

// tableStats is the state of the table named name.
func (s *Server) tableStats(ctx context.Context, name string) (engine.TableStats, error) {
	tables, err := s.e.TableStats(ctx)
	if err != nil {
		return engine.TableStats{}, err
	}
	for _, t := range tables {
		if t.Name == name {
			return t, nil
		}
	}
	return engine.TableStats{}, errs.New(errs.UndefinedTable, "relation %q does not exist", name)
}

func (s *Server) getTable(w http.ResponseWriter, r *http.Request) {
	s.writeTable(w, r, r.PathValue("name"), http.StatusOK)
}

// writeTable answers the table's definition, properties, size and partition tree.
func (s *Server) writeTable(w http.ResponseWriter, r *http.Request, name string, status int) {
	ctx := r.Context()
	t, err := s.e.ConnectorTable(ctx, name)
	if err != nil {
		writeError(w, err)
		return
	}
	st, err := s.tableStats(ctx, t.Name)
	if err != nil {
		writeError(w, err)
		return
	}
	out := statsJSON(st)
	for _, i := range t.Visible() {
		c := t.Columns[i]
		out.Columns = append(out.Columns, columnJSON{Name: c.Name, Type: function.FormatType(types.PGTypeOf(c.SQL()).OID, -1), Nullable: c.Nullable})
	}
	for _, i := range t.RowKeys {
		out.RowKeys = append(out.RowKeys, t.Columns[i].Name)
	}
	out.Properties = t.Props.Raw
	for _, p := range st.Partition {
		out.PartitionTree = append(out.PartitionTree, partitionJSON{ID: p.ID, ParentID: p.ParentID, Leaf: p.Leaf, Min: p.Min, Max: p.Max, Files: p.Files, Rows: p.Rows})
	}
	writeJSON(w, status, out)
}

// dropTable runs DROP TABLE; ?if_exists=true drops nothing, without error, when it is missing.
func (s *Server) dropTable(w http.ResponseWriter, r *http.Request) {
	text := "DROP TABLE " + quoteIdent(r.PathValue("name"))
	if r.URL.Query().Get("if_exists") == "true" {
		text = "DROP TABLE IF EXISTS " + quoteIdent(r.PathValue("name"))
	}
	res, err := s.collect(r, text, nil)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"tag": res.Tag})
}

func (s *Server) getProperties(w http.ResponseWriter, r *http.Request) {
	t, err := s.e.ConnectorTable(r.Context(), r.PathValue("name"))
	if err != nil {
		writeError(w, err)
		return
	}
	props := t.Props.Raw
	if props == nil {
		props = map[string]string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"properties": props})
}

// setProperties runs ALTER TABLE ... SET (...) with the properties in the body.
func (s *Server) setProperties(w http.ResponseWriter, r *http.Request) {
	var props map[string]any
	if err := decodeBody(r, &props); err != nil {
		writeError(w, err)
		return
	}
	if len(props) == 0 {
		writeError(w, badRequest("the body needs at least one property"))
		return
	}
	set, err := propertyList(props)
	if err != nil {
		writeError(w, err)
		return
	}
	if _, err := s.collect(r, "ALTER TABLE "+quoteIdent(r.PathValue("name"))+" SET ("+set+")", nil); err != nil {
		writeError(w, err)
		return
	}
	s.getProperties(w, r)
}

// compact runs VACUUM on the table: compaction, splitting and garbage collection now.
func (s *Server) compact(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if _, err := s.collect(r, "VACUUM "+quoteIdent(name), nil); err != nil {
		writeError(w, err)
		return
	}
	s.writeTable(w, r, name, http.StatusOK)
}

// queries answers the running and recent statements (sleeper.queries).
func (s *Server) queries(w http.ResponseWriter, r *http.Request) {
	qs := s.e.Queries()
	out := make([]map[string]any, len(qs))
	for i, q := range qs {
		out[i] = map[string]any{"pid": q.PID, "query": q.Text, "frontend": q.Frontend, "user": q.User,
			"start": q.Start.UTC(), "duration_ms": float64(q.Duration.Microseconds()) / 1000, "rows": q.Rows,
			"bytes": q.Bytes, "status": q.Status, "sqlstate": q.Code}
	}
	writeJSON(w, http.StatusOK, map[string]any{"queries": out})
}

// cacheRequest is the body of the cache's pin and evict.
type cacheRequest struct {
	Table string `json:"table"`
}

func (s *Server) cachePin(w http.ResponseWriter, r *http.Request)   { s.cacheCall(w, r, "cache_pin") }
func (s *Server) cacheEvict(w http.ResponseWriter, r *http.Request) { s.cacheCall(w, r, "cache_evict") }

// cacheCall runs sleeper.cache_pin or sleeper.cache_evict on the table in the body.
func (s *Server) cacheCall(w http.ResponseWriter, r *http.Request, fn string) {
	var req cacheRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	if req.Table == "" {
		writeError(w, badRequest("the body needs a table name in \"table\""))
		return
	}
	res, err := s.collect(r, "SELECT sleeper."+fn+"("+quoteLiteral(req.Table)+")", nil)
	if err != nil {
		writeError(w, err)
		return
	}
	key := "pinned_bytes"
	if fn == "cache_evict" {
		key = "freed_bytes"
	}
	var n any
	if len(res.Rows) == 1 {
		n = res.Rows[0][0]
	}
	writeJSON(w, http.StatusOK, map[string]any{"table": req.Table, key: n})
}

// cacheStats answers the hot cache's totals and sleeper.cache's rows.
func (s *Server) cacheStats(w http.ResponseWriter, r *http.Request) {
	res, err := s.collect(r, "SELECT * FROM sleeper.cache ORDER BY table_name", nil)
	if err != nil {
		writeError(w, err)
		return
	}
	st := s.e.Stats()
	writeJSON(w, http.StatusOK, map[string]any{
		"capacity_bytes": st.CacheMax, "bytes": st.CacheBytes, "entries": st.CacheEntries,
		"hits": st.CacheHits, "misses": st.CacheMisses, "tables": res.objects(),
	})
}
