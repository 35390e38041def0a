// Package flightsql serves the engine over Arrow Flight SQL, so that ADBC, JDBC and other
// Flight SQL clients get the engine's Arrow record batches as they are produced.
//
// The server is a thin adapter over engine.Conn: ad hoc queries (GetFlightInfo, then DoGet
// streaming the plan's batches with gRPC flow control as backpressure), updates, prepared
// statements with parameters bound by DoPut, bulk ingest (CommandStatementIngest, and
// prepared INSERT ... VALUES ($1, ...) with a stream of parameter batches) and the metadata
// calls. Each call opens its own engine connection; prepared statements keep theirs until
// closed.
//
// Tables live in one catalog (Config.Catalog) in the schema public; the system tables are
// in the schema sleeper. Engine errors become gRPC status codes: NotFound for undefined
// tables and schemas, AlreadyExists for duplicate tables, ResourceExhausted for out of
// memory, Canceled for cancelled queries, Unimplemented for unsupported features, Aborted
// for commit conflicts, Internal for internal errors and InvalidArgument for every other
// SQL or data error. The status message is the engine's message.
package flightsql
