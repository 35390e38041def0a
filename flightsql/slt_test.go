package flightsql

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/status"

	"github.com/sleeperd/sleeperd/internal/slt"
)

// flightDB is an slt.DB over arrow-go's Flight SQL client. Each statement is prepared: one
// with a dataset schema runs as a query (GetFlightInfo, DoGet), any other as an update.
// Values are formatted as the Postgres wire frontend sends them, so the corpus's
// expectations hold unchanged. Errors carry a gRPC code, not a SQLSTATE, so only their
// messages are checked.
type flightDB struct {
	cl  *flightsql.Client
	mem memory.Allocator
}

func (d *flightDB) Exec(ctx context.Context, text string) (*slt.Result, error) {
	prep, err := d.cl.Prepare(ctx, text)
	if err != nil {
		return nil, sltError(err)
	}
	defer prep.Close(ctx)
	res := &slt.Result{}
	schema := prep.DatasetSchema()
	if schema == nil {
		n, err := prep.ExecuteUpdate(ctx)
		if err != nil {
			return nil, sltError(err)
		}
		res.Tag = "OK"
		if n >= 0 {
			res.Tag = "UPDATE " + strconv.FormatInt(n, 10)
		}
		return res, nil
	}
	res.Columns = []slt.Column{}
	for _, f := range schema.Fields() {
		res.Columns = append(res.Columns, slt.Column{Name: f.Name, Type: typeLetter(f.Type)})
	}
	info, err := prep.Execute(ctx)
	if err != nil {
		return nil, sltError(err)
	}
	batches, err := readInfo(ctx, d.cl, d.mem, info)
	if err != nil {
		return nil, sltError(err)
	}
	defer releaseAll(batches)
	var rows int64
	for _, b := range batches {
		for i := 0; i < int(b.NumRows()); i++ {
			row := make([]sql.NullString, b.NumCols())
			for j, col := range b.Columns() {
				if col.IsValid(i) {
					row[j] = sql.NullString{String: formatValue(col, i), Valid: true}
				}
			}
			res.Rows = append(res.Rows, row)
		}
		rows += b.NumRows()
	}
	res.Tag = fmt.Sprintf("SELECT %d", rows)
	return res, nil
}

func sltError(err error) error {
	if st, ok := status.FromError(err); ok {
		return &slt.Error{Message: st.Message()}
	}
	return &slt.Error{Message: err.Error()}
}

// TestCorpusFlightSQL runs the SQL logic corpus through Flight SQL, each file on a fresh
// engine and server.
func TestCorpusFlightSQL(t *testing.T) {
	files, err := filepath.Glob("../testdata/slt/*.slt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files: %v", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			text, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			script, err := slt.Parse(filepath.Base(path), string(text))
			if err != nil {
				t.Fatal(err)
			}
			func() {
				srv := serve(t, Config{Engine: openEngine(t, mem), Alloc: mem})
				db := &flightDB{cl: client(t, srv), mem: mem}
				fails, _, err := slt.Run(ctx, db, script, slt.Options{Names: []string{"sleeperd", "flightsql"}})
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range fails {
					t.Error(f)
				}
			}()
		})
	}
}

// formatValue formats row i of arr, which is not null, as PostgreSQL 15 sends it in text
// format with DateStyle ISO and TimeZone UTC.
func formatValue(arr arrow.Array, i int) string {
	switch a := arr.(type) {
	case *array.Boolean:
		if a.Value(i) {
			return "t"
		}
		return "f"
	case *array.Int8:
		return strconv.FormatInt(int64(a.Value(i)), 10)
	case *array.Int16:
		return strconv.FormatInt(int64(a.Value(i)), 10)
	case *array.Int32:
		return strconv.FormatInt(int64(a.Value(i)), 10)
	case *array.Int64:
		return strconv.FormatInt(a.Value(i), 10)
	case *array.Float32:
		return formatFloat(float64(a.Value(i)), 32)
	case *array.Float64:
		return formatFloat(a.Value(i), 64)
	case *array.Decimal128:
		return a.Value(i).ToString(a.DataType().(*arrow.Decimal128Type).Scale)
	case *array.Decimal256:
		return a.Value(i).ToString(a.DataType().(*arrow.Decimal256Type).Scale)
	case *array.String:
		return a.Value(i)
	case *array.LargeString:
		return a.Value(i)
	case *array.StringView:
		return a.Value(i)
	case *array.Binary:
		return `\x` + hex.EncodeToString(a.Value(i))
	case *array.LargeBinary:
		return `\x` + hex.EncodeToString(a.Value(i))
	case *array.BinaryView:
		return `\x` + hex.EncodeToString(a.Value(i))
	case *array.Date32:
		return formatTime(time.Unix(int64(a.Value(i))*86400, 0).UTC(), "2006-01-02")
	case *array.Timestamp:
		t := a.DataType().(*arrow.TimestampType)
		s := formatTime(a.Value(i).ToTime(t.Unit), "2006-01-02 15:04:05.999999")
		if t.TimeZone != "" {
			s += "+00"
		}
		return s
	}
	return arr.ValueStr(i)
}

// formatTime formats t in UTC with layout, writing years before 1 AD as PostgreSQL does.
func formatTime(t time.Time, layout string) string {
	t = t.UTC()
	if t.Year() > 0 {
		return t.Format(layout)
	}
	// 1 BC is year 0 in Go; PostgreSQL writes it "0001-... BC".
	return fmt.Sprintf("%04d", 1-t.Year()) + t.Format(layout)[strings.Index(t.Format(layout), "-"):] + " BC"
}

// formatFloat formats f as float4out and float8out do with extra_float_digits 1: the
// shortest digits that read back exactly, in exponent notation when the decimal exponent is
// below -4 or at least 6 (float4) or 15 (float8).
func formatFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	limit := 15
	if bits == 32 {
		limit = 6
	}
	s := strconv.FormatFloat(f, 'e', -1, bits)
	exp, _ := strconv.Atoi(s[strings.LastIndexByte(s, 'e')+1:])
	if exp < -4 || exp >= limit {
		return s
	}
	return strconv.FormatFloat(f, 'f', -1, bits)
}

// typeLetter is the type letter of an Arrow type, or 0.
func typeLetter(dt arrow.DataType) byte {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return 'I'
	case arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL128, arrow.DECIMAL256:
		return 'R'
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW, arrow.BINARY, arrow.LARGE_BINARY, arrow.BINARY_VIEW:
		return 'T'
	case arrow.BOOL:
		return 'B'
	case arrow.DATE32, arrow.DATE64, arrow.TIMESTAMP:
		return 'D'
	}
	return 0
}
