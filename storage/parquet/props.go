package parquet

import (
	"errors"
	"fmt"

	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/gzip"
	"github.com/parquet-go/parquet-go/compress/snappy"
	"github.com/parquet-go/parquet-go/compress/uncompressed"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// Errors returned by this package, wrapped with context.
var (
	// ErrUnsupportedType is returned for Arrow or Parquet types this package cannot store or read.
	ErrUnsupportedType = errors.New("unsupported type")
	// ErrInvalidProperties is returned for Properties that fail validation.
	ErrInvalidProperties = errors.New("invalid parquet properties")
	// ErrSchemaMismatch is returned when a batch does not match the writer's schema.
	ErrSchemaMismatch = errors.New("batch schema does not match writer schema")
	// ErrClosed is returned when a closed Writer or Reader is used.
	ErrClosed = errors.New("closed")
	// ErrCorrupt is returned when a file's contents contradict its metadata.
	ErrCorrupt = errors.New("corrupt parquet file")
)

// Compression codec names accepted in Properties.Compression.
const (
	Zstd   = "zstd"
	Snappy = "snappy"
	Gzip   = "gzip"
	// LZ4 (LZ4_RAW) is recognised but rejected: parquet-go v0.32.0 misreads LZ4_RAW pages whose
	// compression ratio is under 3 (Column.decompress keeps its own buffer when the codec
	// returns a new one of exactly the page size), so such files could not be read back here.
	LZ4  = "lz4"
	None = "none"
)

// Properties are a table's Parquet writing properties.
type Properties struct {
	Compression  string // Zstd (default, at its fastest level), Snappy, Gzip or None
	RowGroupRows int    // rows per row group; the last row group of a file may be smaller
	PageBytes    int    // target uncompressed size of a data page
	Dictionary   bool   // dictionary-encode every column except booleans
	// ValuePageBytes is the target uncompressed size of a data page of the columns that are
	// not key columns, in a file whose writer was given its key columns (KeyColumns): at
	// least PageBytes; 0 means DefaultValuePageBytes. Lookups and ranges find their rows
	// by the key columns' page index and read only a span of the others, so those can have
	// larger pages, which scans decode with less work per row (each page is a compressed
	// frame of its own).
	ValuePageBytes int
	// Encoding is the encoding of the values of integer and byte-array columns written by
	// this package's own page writer (flat columns without dictionary encoding):
	// EncodingDelta (the default: DELTA_BINARY_PACKED and DELTA_BYTE_ARRAY, smaller pages
	// that cost less to compress) or EncodingPlain. Other columns are PLAIN.
	Encoding string
}

// DefaultValuePageBytes is the page size of the columns other than the key columns when
// Properties.ValuePageBytes is 0.
const DefaultValuePageBytes = 64 << 10

// DefaultProperties returns zstd compression, 100,000-row row groups, 8 KiB pages, delta
// encodings and no dictionary encoding. Small pages let a read of a few rows (a key lookup, through the page
// index) decode little more than those rows; they cost some compression.
func DefaultProperties() Properties {
	return Properties{Compression: Zstd, RowGroupRows: 100_000, PageBytes: 8 << 10, Encoding: EncodingDelta}
}

// withDefaults fills zero fields with their defaults.
func (p Properties) withDefaults() Properties {
	d := DefaultProperties()
	if p.Compression == "" {
		p.Compression = d.Compression
	}
	if p.RowGroupRows == 0 {
		p.RowGroupRows = d.RowGroupRows
	}
	if p.PageBytes == 0 {
		p.PageBytes = d.PageBytes
	}
	if p.ValuePageBytes == 0 {
		p.ValuePageBytes = DefaultValuePageBytes
	}
	if p.Encoding == "" {
		p.Encoding = d.Encoding
	}
	p.ValuePageBytes = max(p.ValuePageBytes, p.PageBytes)
	return p
}

// Validate reports whether p (after defaults for zero fields) can be used to write a file.
func (p Properties) Validate() error {
	p = p.withDefaults()
	if _, err := p.codec(); err != nil {
		return err
	}
	if p.RowGroupRows < 0 {
		return fmt.Errorf("%w: row group rows %d < 0", ErrInvalidProperties, p.RowGroupRows)
	}
	if p.PageBytes < 0 {
		return fmt.Errorf("%w: page bytes %d < 0", ErrInvalidProperties, p.PageBytes)
	}
	if p.ValuePageBytes < 0 {
		return fmt.Errorf("%w: value page bytes %d < 0", ErrInvalidProperties, p.ValuePageBytes)
	}
	if p.Encoding != EncodingDelta && p.Encoding != EncodingPlain {
		return fmt.Errorf("%w: unknown encoding %q", ErrInvalidProperties, p.Encoding)
	}
	return nil
}

func (p Properties) codec() (compress.Codec, error) {
	switch p.Compression {
	case Zstd:
		return &zstd.Codec{Level: zstd.SpeedFastest}, nil
	case Snappy:
		return &snappy.Codec{}, nil
	case Gzip:
		return &gzip.Codec{Level: gzip.DefaultCompression}, nil
	case LZ4:
		return nil, fmt.Errorf("%w: compression %q is not supported by the parquet reader in use", ErrInvalidProperties, p.Compression)
	case None:
		return &uncompressed.Codec{}, nil
	}
	return nil, fmt.Errorf("%w: unknown compression %q", ErrInvalidProperties, p.Compression)
}
