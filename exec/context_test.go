package exec

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

type testSettings map[string]string

func (s testSettings) Setting(name string) (string, bool) { v, ok := s[name]; return v, ok }

func (s testSettings) SetConfig(name string, value *string, local bool) (string, error) {
	if value == nil {
		delete(s, name)
		return "", nil
	}
	s[name] = *value
	return *value, nil
}

// TestStatementValues: WithStatement sets every value at once, the With functions set one
// each over what a context holds, and the innermost setting of each value wins.
func TestStatementValues(t *testing.T) {
	ctx := context.Background()
	// Nothing set: the defaults.
	if TimeZone(ctx) != time.UTC || Budget(ctx) != nil || SettingsOf(ctx) != nil || SequencesOf(ctx) != nil ||
		TypeNamesOf(ctx) != nil || TypeOIDsOf(ctx) != nil {
		t.Fatal("an empty context carries values")
	}
	if d, err := spillDir(ctx); err != nil || d != os.TempDir() {
		t.Fatalf("spill dir %q, %v; want the temp dir", d, err)
	}
	before := time.Now().UnixMicro()
	if n := NowMicros(ctx); n < before {
		t.Fatalf("now without a statement time: %d, before %d", n, before)
	}

	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip(err)
	}
	at := time.Date(2001, 2, 3, 4, 5, 6, 7000, time.UTC)
	b := NewMemoryBudget(1 << 20)
	defer b.Close()
	settings := testSettings{"a": "1"}
	st := WithStatement(ctx, Statement{
		Now:          at,
		TimeZone:     berlin,
		Settings:     settings,
		TypeNames:    func(oid uint32) (string, bool) { return "t", oid == 7 },
		TypeOIDs:     func(name string) (uint32, uint32, bool) { return 7, 8, name == "t" },
		MemoryBudget: b,
		SpillDir:     func() (string, error) { return "", errors.New("no dir") },
	})
	if NowMicros(st) != at.UnixMicro() || TimeZone(st) != berlin || Budget(st) != b || SequencesOf(st) != nil {
		t.Fatal("WithStatement's values not read back")
	}
	if v, ok := SettingsOf(st).Setting("a"); !ok || v != "1" {
		t.Fatalf("setting a: %q %v", v, ok)
	}
	if n, ok := TypeNamesOf(st)(7); !ok || n != "t" {
		t.Fatal("type names not read back")
	}
	if o, a, ok := TypeOIDsOf(st)("t"); !ok || o != 7 || a != 8 {
		t.Fatal("type OIDs not read back")
	}
	if _, err := spillDir(st); err == nil || err.Error() != "no dir" {
		t.Fatalf("spill dir error %v", err)
	}

	// One value set over the statement's: that one changes, the others stay; the outer
	// context keeps its own.
	later := at.Add(time.Hour)
	inner := WithNow(WithTimeZone(st, nil), later)
	if NowMicros(inner) != later.UnixMicro() || TimeZone(inner) != time.UTC || Budget(inner) != b {
		t.Fatal("a With over WithStatement did not set just its value")
	}
	if NowMicros(st) != at.UnixMicro() || TimeZone(st) != berlin {
		t.Fatal("a With changed its parent's values")
	}
	// A statement over single values replaces all of them, nil ones included.
	outer := WithMemoryBudget(WithSettings(ctx, settings), b)
	st2 := WithStatement(outer, Statement{Now: at})
	if Budget(st2) != nil || SettingsOf(st2) != nil || TimeZone(st2) != time.UTC || Budget(outer) != b {
		t.Fatal("WithStatement did not replace the values under it")
	}
	if WithSettings(ctx, nil) != nil && SettingsOf(WithSettings(ctx, nil)) != nil {
		t.Fatal("nil settings read back as settings")
	}
}
