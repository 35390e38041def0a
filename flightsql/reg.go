package flightsql

import (
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/types"
)

// A regclass, regtype, regproc, regnamespace or regrole value is sent to Flight SQL clients
// as utf8, the text PostgreSQL's output function of its type gives it (the name of the
// object its OID identifies, "-" for OID 0, the number for an OID nothing has), looked up in
// the catalog when the batch is sent, as over pgwire: the OID itself means nothing to a
// client, and `SELECT pg_typeof(x)` is read for the type's name. The field's metadata still
// names the SQL type (sleeperd.sql_type=regtype). A query that needs the number casts to
// oid or bigint. In a record, the field of such a type is utf8 with that metadata too.

// wireRegArray converts a, int64 OIDs of r, to utf8 of their names (names nil: numbers).
func wireRegArray(mem memory.Allocator, a arrow.Array, r *types.Reg, names types.RegNames) (arrow.Array, bool) {
	oids, ok := a.(*array.Int64)
	if !ok {
		return nil, false
	}
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(oids.Len())
	var buf []byte
	for i := 0; i < oids.Len(); i++ {
		if oids.IsNull(i) {
			b.AppendNull()
			continue
		}
		oid := oids.Value(i)
		if names != nil {
			if n, ok := names(r, oid); ok {
				b.Append(n)
				continue
			}
		}
		buf = strconv.AppendInt(buf[:0], oid, 10)
		b.BinaryBuilder.Append(buf)
	}
	return b.NewArray(), true
}

// regNames are the names of the objects the OIDs of res's regclass... columns identify, or
// nil.
func regNames(res engine.Result) types.RegNames {
	if n, ok := res.(engine.RegNamer); ok {
		return n.RegNames()
	}
	return nil
}
