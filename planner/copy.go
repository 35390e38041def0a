package planner

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/catalog"
)

// CopyFormat is the data format of COPY.
type CopyFormat int

// The formats of COPY.
const (
	CopyText CopyFormat = iota
	CopyCSV
	CopyBinary
	// CopyParquet reads and writes Parquet files; only COPY to and from server files (and
	// s3:// locations) accept it.
	CopyParquet
)

// CopyOptions are the options of a COPY statement, with PostgreSQL 15's defaults filled in.
// Column lists (FORCE_QUOTE, FORCE_NOT_NULL, FORCE_NULL) hold positions among the copied
// columns.
type CopyOptions struct {
	Format CopyFormat
	// Delimiter separates columns: tab in text, comma in CSV.
	Delimiter byte
	// Null is the string that stands for NULL: \N in text, the empty unquoted string in CSV.
	Null string
	// Header: the first line holds the column names (written by TO, skipped by FROM).
	Header bool
	// HeaderMatch (FROM, HEADER MATCH): the first line must name the copied columns, in order.
	HeaderMatch bool
	// Quote and Escape are CSV's quoting characters (escape defaults to quote).
	Quote, Escape byte
	// ForceQuote quotes every non-NULL value of these columns (TO, CSV); ForceQuoteAll of
	// every column.
	ForceQuote    []int
	ForceQuoteAll bool
	// ForceNotNull reads the NULL string unquoted as itself (FROM, CSV); ForceNull reads it
	// quoted as NULL too.
	ForceNotNull []int
	ForceNull    []int
}

// Copy is COPY ... FROM STDIN, COPY ... TO STDOUT, or COPY to or from a server file.
type Copy struct {
	From bool
	// FROM: the table and, for each copied column in order, the index of the table column it
	// fills. The other columns are NULL (or a generated row id).
	Table   *catalog.Table
	Targets []int
	// TO: the rows to copy, a table's columns or a query's.
	Query   *Query
	Options CopyOptions
	// File, if set, is the server location: for TO, the absolute path or s3:// URL of the
	// file (or, for a table copied in Parquet, directory) written, and Table is then set too
	// when a table is copied; for FROM, the absolute path, glob or s3:// URL of the files
	// read.
	File string
}

func (s *Copy) Params() []arrow.DataType {
	if s.Query != nil {
		return s.Query.ParamTypes
	}
	return nil
}

func (*Copy) statement() {}
