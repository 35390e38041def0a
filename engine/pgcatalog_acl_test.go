package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// Tables' owners and grants as the system catalogs show them: pg_class.relowner and
// relacl, pg_tables.tableowner, pg_get_userbyid, information_schema.table_privileges and
// role_table_grants, through GRANT, REVOKE and ALTER ROLE ... RENAME.
func TestTableOwnersAndGrantsInCatalogs(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	e, root, done := openWithRoot(t, mem)
	defer done()
	run(t, root, "CREATE USER alice")
	run(t, root, "CREATE USER bob")
	run(t, root, "CREATE TABLE rt (id int PRIMARY KEY)")
	alice, err := e.Connect(ctx, "alice", "db")
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	run(t, alice, "CREATE TABLE at (id int PRIMARY KEY, v text)")

	oid := func(role string) string {
		rows, _ := run(t, root, "SELECT oid FROM pg_roles WHERE rolname = $1", role)
		if len(rows) != 1 {
			t.Fatalf("pg_roles rows of %s: %v", role, rows)
		}
		return rows[0][0]
	}
	class := func() [][]string {
		rows, _ := run(t, root, "SELECT relname, relowner, pg_get_userbyid(relowner), coalesce(array_to_string(relacl, ' '), 'NULL') FROM pg_class WHERE relname IN ('at', 'at_pkey', 'rt') ORDER BY relname")
		return rows
	}
	want := func(what string, got, want [][]string) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s:\n got %v\nwant %v", what, got, want)
		}
	}
	aliceOID, rootOID := oid("alice"), oid("root")
	if aliceOID == rootOID || aliceOID == fmt.Sprint(catalog.OIDRole) {
		t.Fatalf("role OIDs: alice %s, root %s", aliceOID, rootOID)
	}
	// No grant yet: relacl is NULL. rt was created by root, at by alice.
	want("pg_class before grants", class(), [][]string{
		{"at", aliceOID, "alice", "NULL"}, {"at_pkey", aliceOID, "alice", "NULL"}, {"rt", rootOID, "root", "NULL"}})
	tables, _ := run(t, root, "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
	want("pg_tables", tables, [][]string{{"at", "alice"}, {"rt", "root"}})

	run(t, alice, "GRANT SELECT, UPDATE ON at TO bob")
	run(t, alice, "GRANT SELECT ON at TO PUBLIC")
	run(t, root, "GRANT ALL ON rt TO bob")
	run(t, root, "REVOKE ALL ON rt FROM bob")
	want("pg_class after grants", class(), [][]string{
		{"at", aliceOID, "alice", "alice=arwdD/alice =r/alice bob=rw/alice"},
		{"at_pkey", aliceOID, "alice", "NULL"},
		{"rt", rootOID, "root", "root=arwdD/root"}})

	privs, _ := run(t, root, "SELECT grantor, grantee, table_catalog, table_schema, table_name, privilege_type, is_grantable, with_hierarchy FROM information_schema.table_privileges ORDER BY table_name, grantee, privilege_type")
	wantPrivs := [][]string{{"alice", "PUBLIC", catalog.DatabaseName, "public", "at", "SELECT", "NO", "YES"}}
	for _, p := range []string{"DELETE", "INSERT", "SELECT", "TRUNCATE", "UPDATE"} {
		wantPrivs = append(wantPrivs, []string{"alice", "alice", catalog.DatabaseName, "public", "at", p, "YES", hierarchy(p)})
	}
	wantPrivs = append(wantPrivs,
		[]string{"alice", "bob", catalog.DatabaseName, "public", "at", "SELECT", "NO", "YES"},
		[]string{"alice", "bob", catalog.DatabaseName, "public", "at", "UPDATE", "NO", "NO"})
	for _, p := range []string{"DELETE", "INSERT", "SELECT", "TRUNCATE", "UPDATE"} {
		wantPrivs = append(wantPrivs, []string{"root", "root", catalog.DatabaseName, "public", "rt", p, "YES", hierarchy(p)})
	}
	want("table_privileges", privs, wantPrivs)
	grants, _ := run(t, root, "SELECT grantor, grantee, table_catalog, table_schema, table_name, privilege_type, is_grantable, with_hierarchy FROM information_schema.role_table_grants ORDER BY table_name, grantee, privilege_type")
	want("role_table_grants", grants, wantPrivs)

	// A rename keeps the grants (they are by role ID); names are quoted as aclitem quotes them.
	run(t, root, `ALTER ROLE bob RENAME TO "Bob Two"`)
	rows, _ := run(t, root, "SELECT array_to_string(relacl, ' ') FROM pg_class WHERE relname = 'at'")
	want("array_to_string(relacl)", rows, [][]string{{`alice=arwdD/alice =r/alice "Bob Two"=rw/alice`}})
	run(t, root, `REVOKE ALL ON at FROM "Bob Two"`)
	grants, _ = run(t, root, "SELECT DISTINCT grantee FROM information_schema.table_privileges WHERE table_name = 'at'")
	slices.SortFunc(grants, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	want("grantees after REVOKE", grants, [][]string{{"PUBLIC"}, {"alice"}})
}

func hierarchy(p string) string {
	if p == "SELECT" {
		return "YES"
	}
	return "NO"
}

// openWithRoot opens an engine that requires roles, with the superuser root (password pw),
// and connects as root. done closes both; defer it after the allocator's check.
func openWithRoot(t *testing.T, mem memory.Allocator) (e *Engine, root Conn, done func()) {
	t.Helper()
	ctx := context.Background()
	e, err := Open(ctx, Options{Store: objstore.NewMem(), Alloc: mem, RequireRole: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.EnsureSuperuser(ctx, "root", "pw"); err != nil {
		e.Close()
		t.Fatal(err)
	}
	root, err = e.Connect(ctx, "root", "db")
	if err != nil {
		e.Close()
		t.Fatal(err)
	}
	return e, root, func() {
		root.Close()
		e.Close()
	}
}
