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

// Statement is the values the engine sets once per statement, given to WithStatement to
// be set at once: each field as its own With function sets it.
type Statement struct {
	Now          time.Time              // WithNow
	TimeZone     *time.Location         // WithTimeZone
	Sequences    Sequences              // WithSequences
	Settings     SessionSettings        // WithSettings
	TypeNames    TypeNames              // WithTypeNames
	TypeOIDs     TypeOIDs               // WithTypeOIDs
	MemoryBudget *MemoryBudget          // WithMemoryBudget
	SpillDir     func() (string, error) // WithSpillDir
	Backend      *Backend               // BackendOf
}

// Backend is the session a statement runs in as PostgreSQL's functions about the connection
// see it: pg_backend_pid's process ID, and the client's and the server's end of the
// connection, "host:port" (anything else, such as a unix-domain socket's path, is no network
// address: inet_client_addr and the others are NULL).
type Backend struct {
	PID                    int32
	ClientAddr, ServerAddr string
}

// BackendOf returns the session of ctx's statement, or nil outside one.
func BackendOf(ctx context.Context) *Backend {
	if v := valuesOf(ctx); v != nil {
		return v.st.Backend
	}
	return nil
}

// ctxValues is the one context value holding a Statement's values: each With function sets
// one field of a copy of the values ctx already holds, and the getters read the innermost.
type ctxValues struct {
	st     Statement
	hasNow bool
}

type valuesKey struct{}

func valuesOf(ctx context.Context) *ctxValues {
	v, _ := ctx.Value(valuesKey{}).(*ctxValues)
	return v
}

// with returns ctx carrying the values of ctx with set applied.
func with(ctx context.Context, set func(*ctxValues)) context.Context {
	v := new(ctxValues)
	if p := valuesOf(ctx); p != nil {
		*v = *p
	}
	set(v)
	return context.WithValue(ctx, valuesKey{}, v)
}

// statementValues is a statement's values with its settings' lock, allocated at once.
type statementValues struct {
	v  ctxValues
	ls lockedSettings
}

// WithStatement returns ctx carrying every value of s, as calling WithNow, WithTimeZone,
// WithSequences, WithSettings, WithTypeNames, WithTypeOIDs, WithMemoryBudget and
// WithSpillDir with them in turn would, in one context value, with its Backend.
func WithStatement(ctx context.Context, s Statement) context.Context {
	a := &statementValues{v: ctxValues{st: s, hasNow: true}}
	if a.v.st.TimeZone == nil {
		a.v.st.TimeZone = time.UTC
	}
	if s.Settings != nil {
		a.ls.s = s.Settings
		a.v.st.Settings = &a.ls
	}
	return context.WithValue(ctx, valuesKey{}, &a.v)
}

// WithTypeNames gives ctx the names of the database's own types.
func WithTypeNames(ctx context.Context, f TypeNames) context.Context {
	return with(ctx, func(v *ctxValues) { v.st.TypeNames = f })
}

// TypeNamesOf returns the TypeNames of ctx, or nil.
func TypeNamesOf(ctx context.Context) TypeNames {
	if v := valuesOf(ctx); v != nil {
		return v.st.TypeNames
	}
	return nil
}

// WithNow returns a context whose now(), current_timestamp, current_date and
// localtimestamp return t. The engine sets it once per statement so they are stable within
// the statement, as PostgreSQL's are within a transaction; without it each evaluation
// reads the clock.
func WithNow(ctx context.Context, t time.Time) context.Context {
	return with(ctx, func(v *ctxValues) { v.st.Now, v.hasNow = t, true })
}

// NowMicros is the statement time of ctx in microseconds since 1970-01-01 UTC.
func NowMicros(ctx context.Context) int64 {
	if v := valuesOf(ctx); v != nil && v.hasNow {
		return v.st.Now.UnixMicro()
	}
	return time.Now().UnixMicro()
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

// WithSequences returns a context whose sequence functions use s.
func WithSequences(ctx context.Context, s Sequences) context.Context {
	return with(ctx, func(v *ctxValues) { v.st.Sequences = s })
}

// SequencesOf returns the Sequences of ctx, or nil.
func SequencesOf(ctx context.Context) Sequences {
	if v := valuesOf(ctx); v != nil {
		return v.st.Sequences
	}
	return nil
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
	var l SessionSettings
	if s != nil {
		l = &lockedSettings{s: s}
	}
	return with(ctx, func(v *ctxValues) { v.st.Settings = l })
}

// SettingsOf returns the session settings of ctx, or nil.
func SettingsOf(ctx context.Context) SessionSettings {
	if v := valuesOf(ctx); v != nil {
		return v.st.Settings
	}
	return nil
}
