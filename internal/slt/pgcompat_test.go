package slt

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5/pgtype"
)

// compat holds the files that run unchanged on PostgreSQL and on sleeperd: their records
// have no conditions, and their expectations are PostgreSQL's.
const compat = "../../testdata/slt/pg_compat"

func compatFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(compat, "*.slt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no .slt files in %s", compat)
	}
	return files
}

// recorder is a DB that records the column types of each statement's result, in order.
type recorder struct {
	db  DB
	log []executed
}

// executed is what one statement returned: the type OIDs of its columns, or its error.
type executed struct {
	sql  string
	oids []uint32
	err  string
}

func (r *recorder) Exec(ctx context.Context, sql string) (*Result, error) {
	res, err := r.db.Exec(ctx, sql)
	e := executed{sql: sql}
	if err != nil {
		code, _ := errorParts(err)
		e.err = "error " + code
	} else {
		for _, c := range res.Columns {
			e.oids = append(e.oids, c.OID)
		}
	}
	r.log = append(r.log, e)
	return res, err
}

// TestPGCompat runs every file of testdata/slt/pg_compat on PostgreSQL (the throwaway
// server, or SLT_POSTGRES's), and on sleeperd in process and over pgwire with the simple and
// the extended protocol: each must meet every expectation, so all give the same rows, row
// counts and SQLSTATEs. Over the wire the column types must also be the same as
// PostgreSQL's. -rewrite-postgres rewrites the files from PostgreSQL's results.
func TestPGCompat(t *testing.T) {
	postgresDSN(t)
	for _, path := range compatFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			text, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Parse(filepath.Base(path), string(text))
			if err != nil {
				t.Fatal(err)
			}
			for _, msg := range conditioned(s) {
				t.Error(msg)
			}

			var want *recorder
			t.Run("postgres", func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
				defer cancel()
				conn := freshDatabase(ctx, t, "compat_"+filepath.Base(path))
				db, err := NewPG(conn.PgConn(), Simple)
				if err != nil {
					t.Fatal(err)
				}
				want = &recorder{db: db}
				runFile(ctx, t, path, want, Options{Names: []string{"postgres"}, Rewrite: *rewritePG})
			})
			t.Run("inprocess", func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
				defer cancel()
				func() {
					eng := openEngine(ctx, t, mem)
					conn, err := eng.Connect(ctx, "slt", "slt")
					if err != nil {
						t.Fatalf("connecting: %v", err)
					}
					defer conn.Close()
					db, err := NewConn(conn)
					if err != nil {
						t.Fatal(err)
					}
					runFile(ctx, t, path, db, Options{Names: []string{"sleeperd", "inprocess"}})
				}()
			})
			for _, proto := range []struct {
				name string
				p    Protocol
			}{{"simple", Simple}, {"extended", Extended}} {
				t.Run("pgwire/"+proto.name, func(t *testing.T) {
					mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
					defer mem.AssertSize(t, 0)
					ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
					defer cancel()
					func() {
						addr := serve(ctx, t, openEngine(ctx, t, mem))
						conn := dial(ctx, t, fmt.Sprintf("postgres://slt@%s/slt?sslmode=disable", addr))
						db, err := NewPG(conn.PgConn(), proto.p)
						if err != nil {
							t.Fatal(err)
						}
						got := &recorder{db: db}
						runFile(ctx, t, path, got, Options{Names: []string{"sleeperd", "pgwire", proto.name}})
						if want != nil {
							for _, d := range typeDiffs(want.log, got.log) {
								t.Error(d)
							}
						}
					}()
				})
			}
		})
	}
}

// conditioned reports the records of s that have conditions, which a compatibility file
// must not have: every record runs on every harness.
func conditioned(s *Script) []string {
	var msgs []string
	for _, r := range s.Records {
		if len(r.Conditions) > 0 {
			msgs = append(msgs, fmt.Sprintf("%s:%d: a record of a compatibility file has a condition", s.Name, r.Line))
		}
	}
	return msgs
}

// typeDiffs compares the column types of two runs of the same file statement by statement,
// where both succeeded.
func typeDiffs(want, got []executed) []string {
	if len(want) != len(got) {
		return []string{fmt.Sprintf("ran %d statements, PostgreSQL %d", len(got), len(want))}
	}
	var diffs []string
	for i := range want {
		w, g := want[i], got[i]
		if w.err != "" || g.err != "" || equalOIDs(w.oids, g.oids) {
			continue
		}
		diffs = append(diffs, fmt.Sprintf("column types %s, PostgreSQL's %s:\n%s", typeNames(g.oids), typeNames(w.oids), indent(w.sql)))
	}
	return diffs
}

func equalOIDs(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		// Types a database defines (CREATE TYPE) have OIDs of that database's own, from 16384
		// (FirstNormalObjectId) on: any two such match.
		if a[i] != b[i] && (a[i] < 16384 || b[i] < 16384) {
			return false
		}
	}
	return true
}

// typeNames names the types of oids, as PostgreSQL does.
func typeNames(oids []uint32) string {
	m := pgtype.NewMap()
	var names []string
	for _, oid := range oids {
		if t, ok := m.TypeForOID(oid); ok {
			names = append(names, t.Name)
		} else {
			names = append(names, fmt.Sprint(oid))
		}
	}
	return "(" + strings.Join(names, ", ") + ")"
}

// TestPGCompatFails checks that the comparison can fail: a wrong expectation fails on
// PostgreSQL and on sleeperd, expectations rewritten from PostgreSQL's results pass on
// sleeperd, and different column types are reported.
func TestPGCompatFails(t *testing.T) {
	postgresDSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	conn := freshDatabase(ctx, t, "compat_fails")
	pgdb, err := NewPG(conn.PgConn(), Simple)
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	eng := openEngine(ctx, t, mem)
	econn, err := eng.Connect(ctx, "slt", "slt")
	if err != nil {
		t.Fatal(err)
	}
	defer econn.Close()
	sdb, err := NewConn(econn)
	if err != nil {
		t.Fatal(err)
	}
	run := func(db DB, text string, names []string, rewrite bool) ([]Failure, []byte) {
		t.Helper()
		s, err := Parse("f.slt", text)
		if err != nil {
			t.Fatal(err)
		}
		fails, out, err := Run(ctx, db, s, Options{Names: names, Rewrite: rewrite})
		if err != nil {
			t.Fatal(err)
		}
		return fails, out
	}

	const wrong = "query I\nSELECT 1 + 1\n----\n3\n\n" +
		"query T\nSELECT upper('ab')\n----\nab\n\n" +
		"query error SQLSTATE 22003\nSELECT 1 / 0\n\n" +
		"statement count 2\nSELECT 1\n"
	for _, h := range []struct {
		name string
		db   DB
	}{{"postgres", pgdb}, {"sleeperd", sdb}} {
		fails, _ := run(h.db, wrong, []string{h.name}, false)
		// In process there is no SQLSTATE to contradict 22003, only the message.
		want := 4
		if h.name == "sleeperd" {
			want = 3
		}
		if len(fails) != want {
			t.Errorf("%s: got %d failures, want %d: %v", h.name, len(fails), want, fails)
		}
	}

	// Expectations written from PostgreSQL's results hold on sleeperd.
	const blank = "query T\nSELECT 2 * 21, 'a' || 'b', 7 / 2, 2.50 * 2, NULL::text\n----\n\n" +
		"query error SQLSTATE 00000\nSELECT 1 / 0\n"
	_, out := run(pgdb, blank, []string{"postgres"}, true)
	const want = "query ITIRT\nSELECT 2 * 21, 'a' || 'b', 7 / 2, 2.50 * 2, NULL::text\n----\n42\tab\t3\t5.00\tNULL\n\n" +
		"query error SQLSTATE 22012 division by zero\nSELECT 1 / 0\n"
	if string(out) != want {
		t.Errorf("rewritten from PostgreSQL:\n%s", out)
	}
	if fails, _ := run(sdb, string(out), []string{"sleeperd"}, false); len(fails) != 0 {
		t.Errorf("sleeperd fails PostgreSQL's expectations: %v", fails)
	}
}

func TestTypeDiffs(t *testing.T) {
	const int4, int8, text = 23, 20, 25
	want := []executed{{sql: "a", oids: []uint32{int4, text}}, {sql: "b", oids: []uint32{int8}}, {sql: "c", err: "error 22012"}}
	tests := []struct {
		name string
		got  []executed
		n    int
	}{
		{"same", []executed{{sql: "a", oids: []uint32{int4, text}}, {sql: "b", oids: []uint32{int8}}, {sql: "c", err: "error 22012"}}, 0},
		{"other type", []executed{{sql: "a", oids: []uint32{int4, text}}, {sql: "b", oids: []uint32{int4}}, {sql: "c", err: "error 22012"}}, 1},
		{"other width", []executed{{sql: "a", oids: []uint32{int4}}, {sql: "b", oids: []uint32{int8}}, {sql: "c", err: "error 22012"}}, 1},
		// A statement that failed on one side is reported by the expectations, not here.
		{"failed", []executed{{sql: "a", err: "error 42601"}, {sql: "b", oids: []uint32{int8}}, {sql: "c", oids: []uint32{int4}}}, 0},
		{"fewer statements", []executed{{sql: "a", oids: []uint32{int4, text}}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := typeDiffs(want, tt.got)
			if len(d) != tt.n {
				t.Fatalf("got %q, want %d differences", d, tt.n)
			}
			if tt.name == "other type" && !strings.Contains(d[0], "(int4), PostgreSQL's (int8)") {
				t.Errorf("got %q", d[0])
			}
		})
	}
}

func TestConditioned(t *testing.T) {
	s, err := Parse("c.slt", "statement ok\nSELECT 1\n\nskipif postgres\nstatement ok\nSELECT 2\n\nonlyif sleeperd\nstatement ok\nSELECT 3\n")
	if err != nil {
		t.Fatal(err)
	}
	got := conditioned(s)
	if len(got) != 2 || !strings.Contains(got[0], "c.slt:4") || !strings.Contains(got[1], "c.slt:8") {
		t.Errorf("got %q, want lines 4 and 8", got)
	}
}
