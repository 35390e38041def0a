package flightsql

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

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
		res.Columns = append(res.Columns, slt.Column{Name: f.Name, Type: slt.TypeLetter(f.Type)})
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
					row[j] = sql.NullString{String: slt.FormatValue(col, i), Valid: true}
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
