// The evaluation context the engine sets once per statement and functions read: the
// statement time, the session's settings and sequences, the database's type names (the
// allocator and the time zone are in exec.go and timezone.go).
package exec

import (
	"context"
	"sync"
	"time"
)

// TypeNames names the types a database defines (composite types and their array types) by
// OID, for format_type; ok is false for other OIDs.
type TypeNames func(oid uint32) (name string, ok bool)

type typeNamesKey struct{}

// WithTypeNames gives ctx the names of the database's own types.
func WithTypeNames(ctx context.Context, f TypeNames) context.Context {
	return context.WithValue(ctx, typeNamesKey{}, f)
}

// TypeNamesOf returns the TypeNames of ctx, or nil.
func TypeNamesOf(ctx context.Context) TypeNames {
	f, _ := ctx.Value(typeNamesKey{}).(TypeNames)
	return f
}

type nowKey struct{}

// WithNow returns a context whose now(), current_timestamp, current_date and
// localtimestamp return t. The engine sets it once per statement so they are stable within
// the statement, as PostgreSQL's are within a transaction; without it each evaluation
// reads the clock.
func WithNow(ctx context.Context, t time.Time) context.Context {
	return context.WithValue(ctx, nowKey{}, t)
}

// NowMicros is the statement time of ctx in microseconds since 1970-01-01 UTC.
func NowMicros(ctx context.Context) int64 {
	t, ok := ctx.Value(nowKey{}).(time.Time)
	if !ok {
		t = time.Now()
	}
	return t.UnixMicro()
}

// Sequences hands out the values of sequences for nextval, currval, setval and lastval. The
// engine puts one in the statement's context (WithSequences): it keeps the session's
// currval and lastval and the sequences' state.
type Sequences interface {
	// NextVal returns the next n values of the named sequence, in order.
	NextVal(ctx context.Context, name string, n int) ([]int64, error)
	// CurrVal is the value nextval last returned for the sequence in this session.
	CurrVal(ctx context.Context, name string) (int64, error)
	// SetVal sets the sequence's current value; with called false, the next nextval
	// returns v itself.
	SetVal(ctx context.Context, name string, v int64, called bool) (int64, error)
	// LastVal is the value nextval last returned in this session, of any sequence.
	LastVal(ctx context.Context) (int64, error)
}

type sequencesKey struct{}

// WithSequences returns a context whose sequence functions use s.
func WithSequences(ctx context.Context, s Sequences) context.Context {
	return context.WithValue(ctx, sequencesKey{}, s)
}

// SequencesOf returns the Sequences of ctx, or nil.
func SequencesOf(ctx context.Context) Sequences {
	s, _ := ctx.Value(sequencesKey{}).(Sequences)
	return s
}

// SessionSettings is the session's configuration parameters, for current_setting,
// set_config and the functions naming the session's user. The engine puts one in the
// statement's context (WithSettings).
type SessionSettings interface {
	// Setting returns the parameter's value as SHOW shows it, and whether it exists.
	Setting(name string) (string, bool)
	// SetConfig sets the parameter as SET (or SET LOCAL, when local) does, or resets it when
	// value is nil, and returns its new value as SHOW shows it.
	SetConfig(name string, value *string, local bool) (string, error)
}

type settingsKey struct{}

// lockedSettings serialises the calls of one statement, whose operators may run at once.
type lockedSettings struct {
	mu sync.Mutex
	s  SessionSettings
}

func (l *lockedSettings) Setting(name string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s.Setting(name)
}

func (l *lockedSettings) SetConfig(name string, value *string, local bool) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s.SetConfig(name, value, local)
}

// WithSettings returns a context whose session settings are s.
func WithSettings(ctx context.Context, s SessionSettings) context.Context {
	return context.WithValue(ctx, settingsKey{}, &lockedSettings{s: s})
}

// SettingsOf returns the session settings of ctx, or nil.
func SettingsOf(ctx context.Context) SessionSettings {
	s, _ := ctx.Value(settingsKey{}).(SessionSettings)
	return s
}
