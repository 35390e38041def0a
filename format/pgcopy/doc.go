// Package pgcopy reads and writes the data of PostgreSQL's COPY in its three formats (text,
// CSV and binary, as PostgreSQL 15 defines them) from and to Arrow record batches. Values are
// formatted and parsed by pgvalue, as the wire protocol formats and parses them. It knows
// nothing of the protocol that carries the data: pgwire streams it in CopyData messages, and
// bulk loads from files can feed it the same way.
package pgcopy
