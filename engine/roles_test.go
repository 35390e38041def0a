package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// The API other frontends authenticate and authorise with: Authenticate, CheckPrivilege,
// IsSuperuser; and Connect's checks of the user.
func TestAuthenticateAndCheckPrivilege(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	store := objstore.NewMem()
	e, err := Open(ctx, Options{Store: store, Alloc: mem, RequireRole: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if created, err := e.EnsureSuperuser(ctx, "root", "pw"); err != nil || !created {
		t.Fatalf("EnsureSuperuser: %v, %v", created, err)
	}
	if created, err := e.EnsureSuperuser(ctx, "root", "other"); err != nil || created {
		t.Fatalf("EnsureSuperuser again: %v, %v", created, err)
	}
	root, err := e.Connect(ctx, "root", "db")
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	run(t, root, "CREATE TABLE t (id int PRIMARY KEY)")
	run(t, root, "CREATE USER bob PASSWORD 'bobpw'")
	run(t, root, "CREATE ROLE nol PASSWORD 'x'")

	if r, err := e.Authenticate(ctx, "root", "pw"); err != nil || r.Name != "root" || !r.Superuser {
		t.Errorf("root with its password: %+v, %v", r, err)
	}
	if _, err := e.Authenticate(ctx, "root", "other"); err == nil {
		t.Error("EnsureSuperuser changed the password of an existing role")
	}
	for _, c := range [][2]string{{"root", "bad"}, {"nobody", "pw"}, {"bob", ""}} {
		_, err := e.Authenticate(ctx, c[0], c[1])
		if !errors.Is(err, errs.InvalidPassword) || err.Error() != `password authentication failed for user "`+c[0]+`"` {
			t.Errorf("%s/%s: %v, want InvalidPassword", c[0], c[1], err)
		}
	}
	if _, err := e.Authenticate(ctx, "nol", "x"); !errors.Is(err, errs.InvalidAuthorization) {
		t.Errorf("a NOLOGIN role: %v, want InvalidAuthorization", err)
	}
	if _, err := e.Connect(ctx, "nobody", "db"); !errors.Is(err, errs.InvalidAuthorization) {
		t.Errorf("connecting as an unknown user with RequireRole: %v", err)
	}

	if err := e.CheckPrivilege(ctx, "bob", "t", PrivSelect); !errors.Is(err, errs.InsufficientPrivilege) {
		t.Errorf("bob SELECT before GRANT: %v", err)
	}
	run(t, root, "GRANT SELECT, INSERT ON t TO bob")
	if err := e.CheckPrivilege(ctx, "bob", "t", PrivSelect|PrivInsert); err != nil {
		t.Errorf("bob SELECT, INSERT after GRANT: %v", err)
	}
	if err := e.CheckPrivilege(ctx, "bob", "t", PrivDelete); !errors.Is(err, errs.InsufficientPrivilege) {
		t.Errorf("bob DELETE: %v", err)
	}
	if err := e.CheckPrivilege(ctx, "nobody", "t", PrivSelect); !errors.Is(err, errs.InsufficientPrivilege) {
		t.Errorf("an unknown user: %v", err)
	}
	if su, err := e.IsSuperuser(ctx, "bob"); err != nil || su {
		t.Errorf("bob IsSuperuser: %v, %v", su, err)
	}
	if su, err := e.IsSuperuser(ctx, "root"); err != nil || !su {
		t.Errorf("root IsSuperuser: %v, %v", su, err)
	}

	// Without RequireRole (trust), a user that names no role is not checked; one that
	// names a role is.
	e2, err := Open(ctx, Options{Store: store, Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	anyone, err := e2.Connect(ctx, "anyone", "db")
	if err != nil {
		t.Fatal(err)
	}
	defer anyone.Close()
	run(t, anyone, "INSERT INTO t VALUES (1)")
	bob, err := e2.Connect(ctx, "bob", "db")
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	run(t, bob, "SELECT * FROM t")
	if _, _, err := tryRun(bob, "DELETE FROM t"); !errors.Is(err, errs.InsufficientPrivilege) {
		t.Errorf("bob DELETE under trust: %v", err)
	}
	if _, err := e2.Connect(ctx, "nol", "db"); !errors.Is(err, errs.InvalidAuthorization) {
		t.Errorf("a NOLOGIN role under trust: %v", err)
	}
}
