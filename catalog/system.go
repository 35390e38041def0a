package catalog

import (
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
)

// SystemSchema is the schema holding the system tables that show Sleeper's state as SQL.
const SystemSchema = "sleeper"

var (
	textT  = arrow.BinaryTypes.String
	int64T = arrow.PrimitiveTypes.Int64
	boolT  = arrow.FixedWidthTypes.Boolean
	tsT    = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
)

func fields(fs ...arrow.Field) *arrow.Schema {
	for i := range fs {
		fs[i].Nullable = true
	}
	return arrow.NewSchema(fs, nil)
}

// SystemTables are the schemas of the system tables, by name. Every one about tables has a
// table_name column first; memory, about the server, has one row; queries is about the server too.
var SystemTables = map[string]*arrow.Schema{
	"partitions": fields(
		arrow.Field{Name: "table_name", Type: textT}, arrow.Field{Name: "partition_id", Type: textT},
		arrow.Field{Name: "parent_id", Type: textT}, arrow.Field{Name: "leaf", Type: boolT},
		arrow.Field{Name: "min_key", Type: textT}, arrow.Field{Name: "max_key", Type: textT},
		arrow.Field{Name: "row_count", Type: int64T}, arrow.Field{Name: "file_count", Type: int64T},
	),
	"files": fields(
		arrow.Field{Name: "table_name", Type: textT}, arrow.Field{Name: "file_name", Type: textT},
		arrow.Field{Name: "partition_id", Type: textT}, arrow.Field{Name: "row_count", Type: int64T},
		arrow.Field{Name: "exact", Type: boolT}, arrow.Field{Name: "job_id", Type: textT},
		arrow.Field{Name: "file_rows", Type: int64T}, arrow.Field{Name: "bytes", Type: int64T},
		arrow.Field{Name: "added_txn", Type: int64T},
	),
	"compaction_jobs": fields(
		arrow.Field{Name: "table_name", Type: textT}, arrow.Field{Name: "job_id", Type: textT},
		arrow.Field{Name: "partition_id", Type: textT}, arrow.Field{Name: "status", Type: textT},
		arrow.Field{Name: "input_files", Type: int64T}, arrow.Field{Name: "input_rows", Type: int64T},
		arrow.Field{Name: "output_rows", Type: int64T}, arrow.Field{Name: "started", Type: tsT},
		arrow.Field{Name: "finished", Type: tsT}, arrow.Field{Name: "error", Type: textT},
	),
	"cache": fields(
		arrow.Field{Name: "table_name", Type: textT}, arrow.Field{Name: "entries", Type: int64T},
		arrow.Field{Name: "bytes", Type: int64T}, arrow.Field{Name: "hits", Type: int64T},
		arrow.Field{Name: "misses", Type: int64T}, arrow.Field{Name: "pinned", Type: boolT},
		arrow.Field{Name: "s3_requests_saved", Type: int64T},
	),
	"memory": fields(
		arrow.Field{Name: "memory_limit", Type: int64T}, arrow.Field{Name: "statement_limit", Type: int64T},
		arrow.Field{Name: "query_bytes", Type: int64T}, arrow.Field{Name: "pool_bytes", Type: int64T},
		arrow.Field{Name: "reserved_bytes", Type: int64T}, arrow.Field{Name: "peak_reserved_bytes", Type: int64T},
		arrow.Field{Name: "active_statements", Type: int64T}, arrow.Field{Name: "share_bytes", Type: int64T},
		arrow.Field{Name: "statements", Type: int64T}, arrow.Field{Name: "refused", Type: int64T},
		arrow.Field{Name: "spill_files", Type: int64T}, arrow.Field{Name: "spilled_bytes", Type: int64T},
	),
	// queries, about the server, holds the running statements and the recent ones that
	// ended (engine.QueryInfo).
	"queries": fields(
		arrow.Field{Name: "pid", Type: int64T}, arrow.Field{Name: "query", Type: textT},
		arrow.Field{Name: "frontend", Type: textT}, arrow.Field{Name: "user_name", Type: textT},
		arrow.Field{Name: "start", Type: tsT}, arrow.Field{Name: "duration_ms", Type: arrow.PrimitiveTypes.Float64},
		arrow.Field{Name: "rows", Type: int64T}, arrow.Field{Name: "bytes", Type: int64T},
		arrow.Field{Name: "status", Type: textT}, arrow.Field{Name: "sqlstate", Type: textT},
	),
	"transactions": fields(
		arrow.Field{Name: "table_name", Type: textT}, arrow.Field{Name: "txn", Type: int64T},
		arrow.Field{Name: "kind", Type: textT}, arrow.Field{Name: "time", Type: tsT},
		arrow.Field{Name: "summary", Type: textT},
	),
}

// SystemTableNames lists the system tables, sorted.
func SystemTableNames() []string {
	out := make([]string, 0, len(SystemTables))
	for n := range SystemTables {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
