package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// hookLine is what sleeperd logs when its test hook (SLEEPERD_TEST_HANG_PUT, see
// cmd/sleeperd/testhook.go) hangs a data file write.
const hookLine = "test hook: data file write hanging"

// waitLog waits until the server's logs hold line.
func (s *server) waitLog(ctx context.Context, t *testing.T, line string) {
	t.Helper()
	for !strings.Contains(s.logs.String(), line) {
		select {
		case <-s.exited:
			t.Fatalf("sleeperd exited before logging %q: %v\n%s", line, s.exitErr, s.logs)
		case <-ctx.Done():
			t.Fatalf("sleeperd did not log %q: %v\n%s", line, ctx.Err(), s.logs)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// tableDir returns the directory of the only table in dataDir.
func tableDir(t *testing.T, dataDir string) string {
	t.Helper()
	dirs, err := os.ReadDir(filepath.Join(dataDir, "tables"))
	if err != nil || len(dirs) != 1 {
		t.Fatalf("tables in %s: %v, %v; want one", dataDir, dirs, err)
	}
	return filepath.Join(dataDir, "tables", dirs[0].Name())
}

// dataFiles returns the object names of the data files on disk under the table directory.
func dataFiles(t *testing.T, dataDir, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "files"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		rel, err := filepath.Rel(dataDir, filepath.Join(dir, "files", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, filepath.ToSlash(rel))
	}
	return out
}

// orphans returns the data files on disk that the table's state does not name, and the
// temporary files of the store.
func orphans(ctx context.Context, t *testing.T, conn *pgx.Conn, dataDir string) (files, temps []string) {
	t.Helper()
	known, err := readFiles(ctx, conn, "o")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range dataFiles(t, dataDir, tableDir(t, dataDir)) {
		if !slices.ContainsFunc(known, func(f fileRef) bool { return f.name == name }) {
			files = append(files, name)
		}
	}
	entries, err := os.ReadDir(filepath.Join(dataDir, ".tmp"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		temps = append(temps, e.Name())
	}
	return files, temps
}

// TestOrphansSweptAfterCrash kills sleeperd with SIGKILL in the middle of an ingest (once with
// a data file in place and not committed, once with a data file half written) and of a
// compaction (its output in place and not committed), then checks after a restart that the
// leftovers survive while younger than the table's orphan_age, that garbage collection
// deletes every one of them once the age is short, and that every committed row is intact.
func TestOrphansSweptAfterCrash(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	data := t.TempDir()
	args := []string{"--maintenance-interval", "0"}

	s := start(ctx, t, data, args...)
	conn, err := dial(ctx, s.addr)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, sql := range []string{
		"CREATE TABLE o (k bigint, v text) WITH (row_keys = 'k', split_points = '100', gc_delay = '0s')",
		"INSERT INTO o VALUES (1, 'a'), (150, 'b')",
		"INSERT INTO o VALUES (2, 'c'), (160, 'd')",
		"INSERT INTO o VALUES (3, 'e')",
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	want = []string{"1 a", "2 c", "3 e", "150 b", "160 d"}
	closeConn(conn)
	s.stop(ctx, t)

	// Three crashes, each at a known point of a write that never commits.
	for _, crash := range []struct{ mode, sql string }{
		{"after", "INSERT INTO o VALUES (4, 'lost'), (170, 'lost')"},
		{"during", "INSERT INTO o VALUES (5, 'lost')"},
		{"after", "VACUUM FULL o"},
	} {
		s = startEnv(ctx, t, data, []string{"SLEEPERD_TEST_HANG_PUT=" + crash.mode}, args...)
		conn, err := dial(ctx, s.addr)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := conn.Exec(ctx, crash.sql)
			done <- err
		}()
		s.waitLog(ctx, t, hookLine)
		s.kill(ctx, t)
		if err := <-done; err == nil {
			t.Fatalf("%s succeeded on a server killed in its middle", crash.sql)
		}
		closeConn(conn)
	}

	s = start(ctx, t, data, args...)
	conn, err = dial(ctx, s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer closeConn(conn)
	files, temps := orphans(ctx, t, conn, data)
	// The cut-off ingest wrote one file per partition before hanging on the first; the
	// compaction one output per partition: at least one of each is on disk.
	if len(files) < 2 || len(temps) < 1 {
		t.Fatalf("after the crashes: orphan files %q, temporary files %q; want at least 2 and 1", files, temps)
	}
	t.Logf("left by the crashes: %d orphan data files, %d temporary files", len(files), len(temps))

	// Younger than the default orphan_age (1h): kept.
	if _, err := conn.Exec(ctx, "VACUUM o"); err != nil {
		t.Fatal(err)
	}
	if f, tmp := orphans(ctx, t, conn, data); !slices.Equal(f, files) || !slices.Equal(tmp, temps) {
		t.Fatalf("VACUUM deleted young orphans: files %q -> %q, temporary %q -> %q", files, f, temps, tmp)
	}

	// With a tiny orphan_age, and the claims of the killed compaction expired, VACUUM FULL
	// leaves nothing but what the state names.
	time.Sleep(1100 * time.Millisecond)
	for _, sql := range []string{
		"ALTER TABLE o SET (orphan_age = '1s', compaction_job_timeout = '0s')",
		"VACUUM FULL o",
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	if f, tmp := orphans(ctx, t, conn, data); len(f) != 0 || len(tmp) != 0 {
		t.Errorf("after VACUUM with orphan_age 1s: orphan files %q, temporary files %q", f, tmp)
	}
	missing, err := checkFilesPresent(ctx, conn, data, "o")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range missing {
		t.Error(p)
	}
	rows, err := conn.Query(ctx, "SELECT k, v FROM o ORDER BY k")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var k int64
		var v string
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d %s", k, v))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("rows after the sweep: %q, want %q", got, want)
	}
	s.stop(ctx, t)
}

// regularFiles returns the regular files under dir, relative to it.
func regularFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}

// TestDropTablePurged drops a table on one sleeperd process and checks that another process
// sharing the data directory deletes everything the table kept once the drop is older than
// its gc_delay, and not before; and that a table created meanwhile under the same name gets
// its own directory and keeps its rows.
func TestDropTablePurged(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	data := t.TempDir()
	dropper := start(ctx, t, data, "--maintenance-interval", "0")
	collector := start(ctx, t, data, "--maintenance-interval", "100ms")
	conn, err := dial(ctx, dropper.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer closeConn(conn)
	exec := func(sql string) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec("CREATE TABLE d (k bigint, v text) WITH (row_keys = 'k', split_points = '100', gc_delay = '3s')")
	exec("INSERT INTO d VALUES (1, 'old'), (200, 'old')")
	old := tableDir(t, data)
	exec("DROP TABLE d")
	dropped := time.Now()
	exec("CREATE TABLE d (k bigint, v text) WITH (row_keys = 'k', gc_delay = '0s')")
	exec("INSERT INTO d VALUES (7, 'new')")

	// Within the delay the dropped table's files stay.
	if left := regularFiles(t, old); len(left) < 2 {
		t.Fatalf("just after the drop, the dropped table keeps %q; want its 2 data files", left)
	}
	for {
		left := regularFiles(t, old)
		if len(left) == 0 {
			break
		}
		if time.Since(dropped) > 20*time.Second {
			t.Fatalf("20s after the drop, the dropped table keeps %q", left)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("purged %v after the drop", time.Since(dropped).Round(time.Millisecond))
	if since := time.Since(dropped); since < 3*time.Second {
		t.Errorf("the dropped table was purged %v after its drop, within its gc_delay of 3s", since)
	}
	collector.exitedEarly(t)

	// The new table d lives in a directory of its own, with its row, seen by both processes.
	dirs, err := os.ReadDir(filepath.Join(data, "tables"))
	if err != nil {
		t.Fatal(err)
	}
	var fresh []string
	for _, d := range dirs {
		if p := filepath.Join(data, "tables", d.Name()); p != old {
			fresh = append(fresh, p)
		}
	}
	if len(fresh) != 1 || len(regularFiles(t, filepath.Join(fresh[0], "files"))) != 1 {
		t.Fatalf("tables besides the dropped one: %q; want one with one data file", fresh)
	}
	for _, s := range []*server{dropper, collector} {
		c, err := dial(ctx, s.addr)
		if err != nil {
			t.Fatal(err)
		}
		var k int64
		var v string
		err = c.QueryRow(ctx, "SELECT k, v FROM d").Scan(&k, &v)
		closeConn(c)
		if err != nil || k != 7 || v != "new" {
			t.Errorf("SELECT k, v FROM d on %s: %d, %q, %v; want 7, new", s.addr, k, v, err)
		}
	}
	collector.stop(ctx, t)
	dropper.stop(ctx, t)
}
