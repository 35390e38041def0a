// Package slt runs SQL logic test files, the executable specification of the SQL surface,
// against any database that implements DB.
//
// # Format
//
// The format is the sqllogictest dialect that DuckDB and DataFusion use. A file is a sequence
// of records separated by blank lines. Lines starting with # outside a record are comments.
//
//	# A statement that must succeed.
//	statement ok
//	CREATE TABLE t (k bigint, v text) WITH (row_keys = 'k')
//
//	# A statement that must succeed and report 2 affected rows (the last number of its
//	# command tag, "INSERT 0 2").
//	statement count 2
//	INSERT INTO t VALUES (1, 'a'), (2, NULL)
//
//	# A statement that must fail with SQLSTATE 42P01 and a message matching the regular
//	# expression (unanchored, as regexp.MatchString). Both parts are optional:
//	# "statement error" alone accepts any error.
//	statement error SQLSTATE 42P01 relation "nope" does not exist
//	SELECT * FROM nope
//
//	# A query: one type letter per column, an optional sort mode, then the SQL, a line of
//	# four dashes and the expected rows.
//	query IT rowsort
//	SELECT k, v FROM t
//	----
//	1	a
//	2	NULL
//
//	# "query error" is "statement error" for a query.
//	query error SQLSTATE 22012 division by zero
//	SELECT 1 / 0
//
//	# halt ends the file: later records are not run.
//	halt
//
// Type letters: I integer types (smallint, integer, bigint), R real, double precision and
// numeric, T text, varchar and bytea, B boolean, D date and timestamp. They are checked
// against the columns the database returns.
//
// Sort modes: nosort (the default) compares rows in the order returned; rowsort sorts the
// expected and the actual rows (as text) before comparing; valuesort sorts all the values,
// written one per line. The mode match compares differently: each expected row is a regular
// expression that at least one result row (its values joined by tabs) must match, for output
// such as EXPLAIN whose exact text is not part of the contract; extra rows are allowed.
//
// Expected rows hold one line per row, values separated by a tab, each value in the text
// format PostgreSQL sends (t and f for booleans, \x... for bytea, 2024-01-02 03:04:05 for
// timestamps), NULL for null and (empty) for the empty string. A tab, newline or carriage
// return inside a value is written \t, \n and \r. When comparing, runs of spaces and tabs
// count as one separator, so hand-written files may use spaces between values that contain
// none.
//
// A record may be preceded by conditions naming harnesses, each on its own line:
// "skipif postgres" skips the record on a harness that has the name postgres, "onlyif
// postgres" runs it there only. A harness has several names (Options.Names): every sleeperd
// harness is called sleeperd, and also inprocess, or pgwire and simple or extended; a real
// PostgreSQL server is called postgres. This lets one file hold sleeperd-only syntax next to the PostgreSQL
// equivalent, so that the compatible part is checked against a real PostgreSQL server.
//
// # Harnesses
//
// Conn runs statements in process over an engine connection; PG runs them over a PostgreSQL
// wire connection, with the simple or the extended protocol. An expected SQLSTATE is checked
// only where the harness sees one (PG); Conn checks the message alone. The package's tests
// run testdata/slt on a fresh engine per file in process and over pgwire, and on a real
// PostgreSQL server, each file in a fresh database: the one SLT_POSTGRES names
// ("host=/tmp user=postgres"), else a throwaway PostgreSQL server (StartPostgres) that the
// test binary starts once from the programs FindPostgres finds, on a unix socket in a
// temporary directory. Without PostgreSQL those tests skip, or fail when
// SLT_REQUIRE_POSTGRES=1. go test -rewrite rewrites the files from the in-process results,
// -rewrite-postgres from PostgreSQL's.
//
// The files of testdata/slt/pg_compat hold PostgreSQL-valid SQL only, with no conditions and
// PostgreSQL's results as expectations; each runs on PostgreSQL, in process and over pgwire
// (both protocols), and over the wire the column types must equal PostgreSQL's too.
//
// # Rewriting
//
// With Options.Rewrite, Run returns the file with the expectations of the records that ran
// replaced by what the database returned: the type letters and rows of queries (in canonical
// form, tab-separated and sorted as the mode says, also when they passed), the SQLSTATE and
// message of errors that did not match, and the count of statement count. Error patterns
// that matched, and the patterns of match queries, are kept. Records that fail in a
// different way (a query that errors, a statement that should fail but succeeds) are left as
// written and reported as failures. Everything else (comments, blank lines, conditions,
// SQL, records that did not run) is kept byte for byte.
package slt
