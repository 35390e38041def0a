// Package pgwire serves the PostgreSQL wire protocol (version 3.0) on top of engine.Conn.
//
// Each client connection is one goroutine that reads a message, answers it and reads the next.
// Startup declines SSL and GSS encryption with 'N', asks for no password, opens an engine
// connection with Config.Connect and reports the session parameters clients rely on
// (server_version, DateStyle ISO, TimeZone UTC, integer_datetimes, ...).
//
// Simple queries are split by the engine into statements, each prepared and executed in turn
// with results in text format; the first error ends the query string. The extended protocol
// keeps named and unnamed prepared statements and portals. A portal starts executing at its
// first Execute and may be suspended by a row limit, keeping its current Arrow batch until a
// later Execute, Close, or the ReadyForQuery that ends the implicit transaction (outside a
// transaction block, which the command tags BEGIN, COMMIT and ROLLBACK open and close). After
// an error, extended-protocol messages are discarded up to the next Sync. Every error leaves
// the connection usable; error kinds from package errs become SQLSTATE codes here and nowhere
// else.
//
// Results are Arrow record batches formatted column by column: in text exactly as PostgreSQL
// 15 prints them with DateStyle ISO and TimeZone UTC (shortest round-trip floats with its
// switch to exponent notation, numerics at their scale, BC dates, timestamps with the
// fraction trimmed and "+00" for time zones), or in PostgreSQL's binary formats. Parameters
// arrive in either format and are decoded to the Go values engine.Statement.Execute takes,
// by the parameter types the statement settled on. Values are formatted and parsed by
// package format/pgvalue.
//
// COPY ... TO STDOUT sends CopyOutResponse, one CopyData per row (and one for the header
// line) encoded by format/pgcopy, CopyDone and "COPY n". COPY ... FROM STDIN sends
// CopyInResponse and decodes the client's CopyData as it arrives, handing the engine each
// batch as it completes, until CopyDone (the rows are then committed, as one commit) or
// CopyFail (nothing is); Flush and Sync are ignored meanwhile. A bad row fails the COPY at once, as in PostgreSQL, and the
// client's remaining CopyData, CopyDone and CopyFail are ignored, in either protocol.
//
// A CancelRequest cancels the context of the statement running on the connection with the
// given key; Shutdown cancels every statement and closes every connection.
package pgwire
