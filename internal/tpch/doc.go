// Package tpch generates the TPC-H schema and data at small scale factors and holds the 22
// TPC-H queries in their standard text, for checking sleeperd's answers against PostgreSQL's.
//
// The generator follows the value domains of the TPC-H specification (revision 3) closely
// enough that every query selects rows: the fixed nation and region contents, the
// part/brand/type/container, segment, priority, ship mode, return flag and line status
// domains, order keys sparse as dbgen makes them, dates from 1992-01-01 to 1998-12-31 with
// the spec's offsets, and comment text built from the spec's word lists. It is not dbgen:
// values differ from dbgen's for the same scale factor, and the text grammar is simplified.
// It is deterministic: the same scale factor always gives the same rows.
package tpch
