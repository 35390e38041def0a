package statestore

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected output of testdata files")

// A testdata case is a command line, input lines, "----", and the expected output up to a
// blank line. Lines starting with # between cases are comments.
type ddCase struct {
	cmd      string
	args     []string
	input    []string
	expected string
	line     int
	comments []string // comment lines before the case, kept on rewrite
}

func parseDD(t *testing.T, path string) []ddCase {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []ddCase
	sc := bufio.NewScanner(f)
	n := 0
	var comments []string
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			comments = append(comments, line)
		}
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		c := ddCase{cmd: fields[0], args: fields[1:], line: n, comments: comments}
		comments = nil
		for sc.Scan() {
			n++
			if sc.Text() == "----" {
				break
			}
			c.input = append(c.input, sc.Text())
		}
		var exp strings.Builder
		for sc.Scan() {
			n++
			if sc.Text() == "" {
				break
			}
			exp.WriteString(sc.Text() + "\n")
		}
		c.expected = exp.String()
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cases
}

// TestTransitions runs the state transitions in testdata/*.txt against a Store on an
// in-memory object store, checking after each step that a fresh Store replays the log to
// the same state.
func TestTransitions(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			cases := parseDD(t, path)
			h := &ddHarness{t: t}
			h.reset()
			var out strings.Builder
			for _, c := range cases {
				got := h.run(c)
				if !*rewrite && got != c.expected {
					t.Errorf("%s:%d: %s %s\ngot:\n%s\nwant:\n%s", path, c.line, c.cmd, strings.Join(c.args, " "), got, c.expected)
				}
				for _, l := range c.comments {
					out.WriteString(l + "\n")
				}
				fmt.Fprintf(&out, "%s\n", strings.TrimSpace(c.cmd+" "+strings.Join(c.args, " ")))
				for _, l := range c.input {
					out.WriteString(l + "\n")
				}
				out.WriteString("----\n" + got + "\n")
			}
			if *rewrite {
				if err := os.WriteFile(path, []byte(strings.TrimSuffix(out.String(), "\n")), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

type ddHarness struct {
	t     *testing.T
	os    objstore.Store
	store *Store
}

const ddTable TableID = "t"

func (h *ddHarness) reset() {
	h.os = objstore.NewMem()
	h.store = New(h.os, Options{Now: fixedClock(), SnapshotEvery: 3})
}

func (h *ddHarness) run(c ddCase) string {
	t := h.t
	ctx := context.Background()
	var st *State
	var err error
	switch c.cmd {
	case "reset":
		h.reset()
		return "ok\n"
	case "init":
		var sp [][]byte
		for _, l := range c.input {
			for _, f := range strings.Fields(l) {
				sp = append(sp, parseKey(t, f))
			}
		}
		if len(c.args) > 0 && c.args[0] == "commit" {
			st, err = h.store.Commit(ctx, ddTable, InitialisePartitions{SplitPoints: sp})
		} else {
			st, err = h.store.Create(ctx, ddTable, InitialisePartitions{SplitPoints: sp})
		}
	case "add-files":
		var txn AddFiles
		for _, l := range c.input {
			txn.Files = append(txn.Files, h.parseFile(l))
		}
		st, err = h.store.Commit(ctx, ddTable, txn)
	case "assign":
		// Lines: "job partition file,file,...".
		var txn AssignJobIds
		for _, l := range c.input {
			f := strings.Fields(l)
			txn.Jobs = append(txn.Jobs, JobAssignment{JobID: f[0], PartitionID: f[1], Files: splitList(f[2])})
		}
		st, err = h.store.Commit(ctx, ddTable, txn)
	case "replace":
		// Lines: "job partition input,input,... [applied=N] -> none|<file as for add-files>".
		var txn ReplaceFileReferences
		for _, l := range c.input {
			head, out, _ := strings.Cut(l, "->")
			f := strings.Fields(head)
			j := JobResult{JobID: f[0], PartitionID: f[1], InputFiles: splitList(f[2])}
			for _, a := range f[3:] {
				if v, ok := strings.CutPrefix(a, "applied="); ok {
					n, err := strconv.ParseUint(v, 10, 64)
					if err != nil {
						t.Fatalf("line %d: bad %q", c.line, a)
					}
					j.AppliedTxn = n
				}
			}
			if out = strings.TrimSpace(out); out != "none" {
				nf := h.parseFile(out)
				j.Output = &nf
			}
			txn.Jobs = append(txn.Jobs, j)
		}
		st, err = h.store.Commit(ctx, ddTable, txn)
	case "split-partition":
		// Args: parent left right key; "-" is an empty ID.
		id := func(s string) string { return strings.TrimPrefix(s, "-") }
		st, err = h.store.Commit(ctx, ddTable, SplitPartition{ParentID: id(c.args[0]), LeftID: id(c.args[1]), RightID: id(c.args[2]), SplitKey: parseKey(t, c.args[3])})
	case "split-refs":
		// Lines: "file from to,to,... [rows=N,N] [exact]".
		var txn SplitFileReferences
		for _, l := range c.input {
			f := strings.Fields(l)
			sp := FileSplit{File: f[0], FromPartition: f[1], ToPartitions: splitList(f[2])}
			for _, a := range f[3:] {
				if v, ok := strings.CutPrefix(a, "rows="); ok {
					for _, r := range splitList(v) {
						n, err := strconv.ParseInt(r, 10, 64)
						if err != nil {
							t.Fatalf("line %d: bad %q", c.line, a)
						}
						sp.Rows = append(sp.Rows, n)
					}
				} else if a == "exact" {
					sp.Exact = true
				}
			}
			txn.Splits = append(txn.Splits, sp)
		}
		st, err = h.store.Commit(ctx, ddTable, txn)
	case "delete-files":
		st, err = h.store.Commit(ctx, ddTable, DeleteFiles{Files: c.args})
	case "add-delete":
		// Args: id predicate text...
		st, err = h.store.Commit(ctx, ddTable, AddDeletePredicate{ID: c.args[0], Predicate: []byte(strings.Join(c.args[1:], " "))})
	case "retire-deletes":
		st, err = h.store.Commit(ctx, ddTable, RetireDeletePredicates{IDs: c.args})
	case "batch":
		// Lines: "delete id predicate text...", "add <file as for add-files>", "retire id,id",
		// "delete-files name,name" or "unchanged-since n [min max]": one log entry.
		var txn Batch
		for _, l := range c.input {
			op, rest, _ := strings.Cut(l, " ")
			switch op {
			case "delete":
				id, pred, _ := strings.Cut(rest, " ")
				txn.Txns = append(txn.Txns, AddDeletePredicate{ID: id, Predicate: []byte(pred)})
			case "add":
				txn.Txns = append(txn.Txns, AddFiles{Files: []NewFile{h.parseFile(rest)}})
			case "retire":
				txn.Txns = append(txn.Txns, RetireDeletePredicates{IDs: splitList(rest)})
			case "delete-files":
				txn.Txns = append(txn.Txns, DeleteFiles{Files: splitList(rest)})
			case "unchanged-since":
				// "n" or "n min max": keys as for files.
				f := strings.Fields(rest)
				n, err := strconv.ParseUint(f[0], 10, 64)
				if err != nil {
					t.Fatalf("line %d: bad %q", c.line, rest)
				}
				u := UnchangedSince{Since: n}
				if len(f) == 3 {
					u.MinKey, u.MaxKey = parseKey(t, f[1]), parseKey(t, f[2])
				}
				txn.Txns = append(txn.Txns, u)
			default:
				t.Fatalf("line %d: unknown batch operation %q", c.line, op)
			}
		}
		st, err = h.store.Commit(ctx, ddTable, txn)
	case "jobs", "unreferenced", "retirable", "transactions":
		st, err = h.store.Snapshot(ctx, ddTable)
		if err != nil {
			return "error: " + sentinelName(err) + "\n"
		}
		var lines []string
		switch c.cmd {
		case "jobs":
			for _, j := range st.Jobs() {
				lines = append(lines, fmt.Sprintf("%s in %s: %s", j.ID, j.PartitionID, strings.Join(j.Files, " ")))
			}
		case "unreferenced":
			for _, f := range st.UnreferencedFiles() {
				lines = append(lines, fmt.Sprintf("%s updated=%s", f.Name, f.Updated.Format(time.RFC3339)))
			}
		case "retirable":
			lines = st.RetirableDeletePredicates()
		case "transactions":
			from := uint64(0)
			if len(c.args) > 0 {
				from, _ = strconv.ParseUint(c.args[0], 10, 64)
			}
			infos, err := h.store.Transactions(ctx, ddTable, from)
			if err != nil {
				return "error: " + sentinelName(err) + "\n"
			}
			for _, in := range infos {
				lines = append(lines, fmt.Sprintf("%d %s %s %s", in.Number, in.Time.Format(time.RFC3339), in.Kind, in.Summary))
			}
		}
		if len(lines) == 0 {
			return "(none)\n"
		}
		return strings.Join(lines, "\n") + "\n"
	case "leaves-overlapping":
		st, err = h.store.Snapshot(ctx, ddTable)
		if err != nil {
			return "error: " + sentinelName(err) + "\n"
		}
		var ids []string
		for _, p := range st.LeavesOverlapping(keys.Range{Min: parseKey(t, c.args[0]), Max: parseKey(t, c.args[1])}) {
			ids = append(ids, p.ID)
		}
		if len(ids) == 0 {
			return "(none)\n"
		}
		return strings.Join(ids, " ") + "\n"
	case "read-files":
		st, err = h.store.Snapshot(ctx, ddTable)
		if err != nil {
			return "error: " + sentinelName(err) + "\n"
		}
		var b strings.Builder
		for _, r := range st.ReadFiles(c.args[0]) {
			fmt.Fprintf(&b, "%s in %s rows=%d\n", r.File, r.PartitionID, r.Rows)
		}
		return b.String()
	default:
		t.Fatalf("line %d: unknown command %q", c.line, c.cmd)
	}
	if err != nil {
		return fmt.Sprintf("error: %s: %v\n", sentinelName(err), err)
	}
	checkInvariants(t, st)
	fresh, err := New(h.os, Options{}).Snapshot(ctx, ddTable)
	if err != nil {
		t.Fatalf("line %d: fresh snapshot: %v", c.line, err)
	}
	assertSameState(t, fmt.Sprintf("line %d: fresh store", c.line), st, fresh)
	assertSameState(t, fmt.Sprintf("line %d: full replay", c.line), st, replayAll(t, h.os, ddTable))
	return st.Format(formatKey)
}

// parseFile parses "name rows=N [bytes=N] [min=K max=K] refs=P:N,P:N [exact] [job=J]".
func (h *ddHarness) parseFile(line string) NewFile {
	t := h.t
	fields := strings.Fields(line)
	nf := NewFile{File: File{Name: fields[0]}}
	exact := false
	job := ""
	var refs []string
	for _, f := range fields[1:] {
		key, val, _ := strings.Cut(f, "=")
		num := func() int64 {
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				t.Fatalf("bad number in %q", f)
			}
			return n
		}
		switch key {
		case "rows":
			nf.File.Rows = num()
		case "bytes":
			nf.File.Bytes = num()
		case "min":
			nf.File.MinKey = parseKey(t, val)
		case "max":
			nf.File.MaxKey = parseKey(t, val)
		case "refs":
			refs = strings.Split(val, ",")
		case "exact":
			exact = true
		case "job":
			job = val
		case "file":
			// Overrides the file named in the references, to test mismatches.
			nf.File.Name = val
		default:
			t.Fatalf("unknown file attribute %q", f)
		}
	}
	for _, r := range refs {
		if r == "" {
			continue
		}
		pid, rows, _ := strings.Cut(r, ":")
		n, err := strconv.ParseInt(rows, 10, 64)
		if err != nil {
			t.Fatalf("bad reference %q", r)
		}
		nf.References = append(nf.References, FileReference{File: fields[0], PartitionID: pid, Rows: n, Exact: exact, JobID: job})
	}
	return nf
}

// splitList splits a comma-separated list; "-" is the empty list.
func splitList(s string) []string {
	if s == "-" || s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
