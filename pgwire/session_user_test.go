package pgwire

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/sleeperd/sleeperd/engine"
)

// Two sessions of different users each see their own name in current_user, session_user,
// user, current_role and current_setting('session_authorization'), in both protocols,
// through a view and in a column default, while both are open.
func TestSessionUserNames(t *testing.T) {
	ctx := testContext(t)
	addr := serveEngine(t, engine.Options{})
	connect := func(user string) *pgx.Conn {
		c, err := pgx.Connect(ctx, "postgres://"+user+"@"+addr+"/db?sslmode=disable")
		if err != nil {
			t.Fatalf("connecting as %s: %v", user, err)
		}
		t.Cleanup(func() { c.Close(context.Background()) })
		return c
	}
	ann := connect("ann")
	mustExec(t, ann, "CREATE ROLE bob LOGIN",
		"CREATE VIEW whoami AS SELECT current_user AS u",
		"CREATE TABLE notes (body text, author text DEFAULT current_user)",
		"GRANT INSERT ON notes TO bob")
	bob := connect("bob")
	for _, c := range []struct {
		conn *pgx.Conn
		want string
	}{{ann, "ann"}, {bob, "bob"}, {ann, "ann"}} {
		for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement} {
			var cu, su, u, cr, auth, view string
			err := c.conn.QueryRow(ctx, "SELECT current_user, session_user, user, current_role, current_setting('session_authorization'), (SELECT u FROM whoami)", mode).
				Scan(&cu, &su, &u, &cr, &auth, &view)
			if err != nil {
				t.Fatalf("%s: %v", c.want, err)
			}
			for _, got := range []string{cu, su, u, cr, auth, view} {
				if got != c.want {
					t.Errorf("session of %s (mode %v): got %q %q %q %q %q %q", c.want, mode, cu, su, u, cr, auth, view)
					break
				}
			}
		}
		if _, err := c.conn.Exec(ctx, "INSERT INTO notes (body) VALUES ('hi')"); err != nil {
			t.Fatalf("insert as %s: %v", c.want, err)
		}
	}
	rows, err := ann.Query(ctx, "SELECT author FROM notes ORDER BY author")
	if err != nil {
		t.Fatal(err)
	}
	authors, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(authors) != 3 || authors[0] != "ann" || authors[1] != "ann" || authors[2] != "bob" {
		t.Errorf("authors by default: %q, want [ann ann bob]", authors)
	}
}
