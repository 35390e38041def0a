// Package parquet writes Arrow record batches to Parquet files and reads chosen columns and row
// groups of them back into Arrow, with per row group statistics for pruning.
//
// Every Arrow field has exactly one Parquet leaf, REQUIRED when the field is not nullable,
// OPTIONAL otherwise. A list of a flat type is stored in the standard three-level LIST layout
// (group (LIST) { repeated group list { element } }), whose one leaf holds the elements with
// repetition and definition levels telling NULL lists, empty lists and NULL elements apart
// (nested.go); list columns report no statistics, since the leaf's bounds are of the elements.
// Lists of nested types, structs and maps are rejected with ErrUnsupportedType. Type mapping
// (readable by other Parquet readers):
//
//	bool                 BOOLEAN
//	int8/16/32/64        INT32/INT32/INT32/INT64 + INT(bits, signed)
//	float32/float64      FLOAT/DOUBLE
//	decimal128(p, s)     INT32 (p <= 9), INT64 (p <= 18) or FIXED_LEN_BYTE_ARRAY + DECIMAL(p, s)
//	string/binary        BYTE_ARRAY (+ STRING), PLAIN or dictionary encoded
//	date32               INT32 + DATE
//	timestamp(ms/us/ns)  INT64 + TIMESTAMP(unit, isAdjustedToUTC = time zone set)
//
// The Arrow schema is also stored in the footer under "ARROW:schema" (as arrow-go, Arrow C++ and
// pyarrow do), so readers restore the exact Arrow types; files without it are mapped from the
// Parquet schema.
//
// Writing goes through parquet-go's column writers, one chunk of values per column at a time,
// except for files whose columns are all flat booleans, integers, decimals of up to 18
// digits, floats, dates, timestamps, strings or binaries without dictionary encoding: those are written by this package's own
// page writer (flat.go), which encodes the Arrow arrays straight into PLAIN pages and
// computes their statistics (and float NaN counts) in the same pass.
// Reading decodes parquet-go pages (plain or dictionary, with definition levels for nulls)
// straight into Arrow buffers, never through rows. Only the column chunks of the chosen columns
// and row groups are read from the io.ReaderAt, besides the footer.
//
// Statistics come from the column chunk metadata (min_value, max_value, null_count). Bounds are
// reported only when they are trustworthy: never for NaN float bounds, and for fixed-length
// decimals only when min and max have the same sign. parquet-go orders fixed-length byte arrays
// as unsigned bytes, so decimals of precision > 18 are written without bounds at all.
//
// Float bounds leave NaN out. The writer records the NaN count of every float column chunk in
// the footer (NaNCountsKey); a chunk that may hold NaN (a count above zero, or no record) says
// so in ColumnStats.MayHoldNaN, and reports no bounds if it is dictionary-encoded, because
// parquet-go's dictionary bounds are wrong when NaN is among the values.
package parquet
