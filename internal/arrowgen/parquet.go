package arrowgen

import (
	"bytes"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// WriteParquet writes b to the file name with arrow-go's pqarrow writer, as another tool
// would write it, with props (nil: arrow-go's default writer properties).
func WriteParquet(name string, b arrow.RecordBatch, props *parquet.WriterProperties) error {
	if props == nil {
		props = parquet.NewWriterProperties()
	}
	var buf bytes.Buffer
	w, err := pqarrow.NewFileWriter(b.Schema(), &buf, props, pqarrow.NewArrowWriterProperties())
	if err != nil {
		return err
	}
	if err := w.Write(b); err != nil {
		w.Close()
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return os.WriteFile(name, buf.Bytes(), 0o644)
}
