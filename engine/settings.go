package engine

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time zones resolve the same on every machine

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
)

// Settings is implemented by connections that keep PostgreSQL's session configuration
// parameters (SET, RESET, SHOW). Frontends use it to report parameters to clients and to
// format values as the session asks.
type Settings interface {
	// Setting returns the current value of the parameter as SHOW shows it, and whether the
	// parameter exists. Names are case-insensitive.
	Setting(name string) (string, bool)
	// TimeZone is the session's TimeZone, in which timestamptz values are read and shown.
	TimeZone() *time.Location
	// Set sets a parameter as SET name TO value does (for the startup packet's parameters).
	Set(name, value string) error
}

// Reported lists the parameters PostgreSQL reports to a client (ParameterStatus) when they
// change, under their canonical names.
var Reported = []string{"server_version", "server_encoding", "client_encoding", "DateStyle",
	"integer_datetimes", "TimeZone", "standard_conforming_strings", "IntervalStyle",
	"application_name", "is_superuser", "default_transaction_read_only", "in_hot_standby",
	"session_authorization"}

// param is a configuration parameter: its canonical name, default, and a check that
// normalises a new value (nil for a parameter that cannot be changed).
type param struct {
	name  string
	def   string
	check func(string) (string, error)
	desc  string
}

// ServerVersion is the server_version a session reports.
const ServerVersion = "15.0 (sleeperd)"

var params = func() map[string]param {
	any := func(v string) (string, error) { return v, nil }
	onOff := func(v string) (string, error) {
		switch strings.ToLower(v) {
		case "on", "true", "yes", "1":
			return "on", nil
		case "off", "false", "no", "0":
			return "off", nil
		}
		return "", errs.New(errs.InvalidParameter, "parameter requires a Boolean value")
	}
	only := func(want string, also ...string) func(string) (string, error) {
		return func(v string) (string, error) {
			for _, a := range append([]string{want}, also...) {
				if strings.EqualFold(strings.ReplaceAll(v, " ", ""), strings.ReplaceAll(a, " ", "")) {
					return want, nil
				}
			}
			return "", errs.New(errs.NotImplemented, "only %q is supported", want)
		}
	}
	intIn := func(lo, hi int) func(string) (string, error) {
		return func(v string) (string, error) {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return "", errs.New(errs.InvalidParameter, "invalid value %q: an integer is required", v)
			}
			if n < lo || n > hi {
				return "", errs.New(errs.InvalidParameter, "%d is outside the valid range (%d .. %d)", n, lo, hi)
			}
			return strconv.Itoa(n), nil
		}
	}
	list := []param{
		{"application_name", "", any, "Sets the application name to be reported in statistics and logs."},
		{"client_encoding", "UTF8", only("UTF8", "UTF-8", "unicode"), "Sets the client's character set encoding."},
		{"client_min_messages", "notice", oneOf("debug5", "debug4", "debug3", "debug2", "debug1", "log", "notice", "warning", "error"), "Sets the message levels that are sent to the client."},
		{"DateStyle", "ISO, MDY", only("ISO, MDY", "ISO", "MDY", "ISO,MDY", "MDY, ISO"), "Sets the display format for date and time values."},
		{"default_transaction_isolation", "read committed", any, "Sets the transaction isolation level of each new transaction."},
		{"default_transaction_read_only", "off", onOff, "Sets the default read-only status of new transactions."},
		{"extra_float_digits", "1", intIn(1, 3), "Sets the number of digits displayed for floating-point values (values below 1 are not supported)."},
		{"idle_in_transaction_session_timeout", "0", checkDuration, "Sets the maximum allowed idle time between queries, when in a transaction."},
		{"in_hot_standby", "off", nil, "Shows whether hot standby is currently active."},
		{"integer_datetimes", "on", nil, "Shows whether datetimes are integer based."},
		{"IntervalStyle", "postgres", only("postgres"), "Sets the display format for interval values."},
		{"is_superuser", "off", nil, "Shows whether the current user is a superuser."},
		{"lock_timeout", "0", any, "Sets the maximum allowed duration of any wait for a lock."},
		{"max_identifier_length", "63", nil, "Shows the maximum identifier length."},
		{"search_path", `"$user", public`, any, "Sets the schema search order for names that are not schema-qualified."},
		{"server_encoding", "UTF8", nil, "Shows the server (database) character set encoding."},
		{"server_version", ServerVersion, nil, "Shows the server version."},
		{"session_authorization", "", nil, "Sets the session user name."},
		{"standard_conforming_strings", "on", only("on", "true"), "Causes '...' strings to treat backslashes literally."},
		{"statement_timeout", "0", checkDuration, "Sets the maximum allowed duration of any statement."},
		{"TimeZone", "UTC", checkTimeZone, "Sets the time zone for displaying and interpreting time stamps."},
		{"transaction_isolation", "read committed", any, "Sets the current transaction's isolation level."},
		{"transaction_read_only", "off", onOff, "Sets the current transaction's read-only status."},
		{"work_mem", "4MB", any, "Sets the maximum memory to be used for query workspaces."},
	}
	m := make(map[string]param, len(list))
	for _, p := range list {
		m[strings.ToLower(p.name)] = p
	}
	return m
}()

func oneOf(vals ...string) func(string) (string, error) {
	return func(v string) (string, error) {
		for _, a := range vals {
			if strings.EqualFold(v, a) {
				return a, nil
			}
		}
		return "", errs.New(errs.InvalidParameter, "invalid value %q; available values: %s", v, strings.Join(vals, ", "))
	}
}

// checkDuration reads a duration as PostgreSQL's time-unit parameters do: a number of
// milliseconds, or a number with a unit (us, ms, s, min, h, d).
func checkDuration(v string) (string, error) {
	_, err := parseDuration(v)
	return strings.TrimSpace(v), err
}

// durationUnits are the units parseDuration takes (none is milliseconds).
var durationUnits = map[string]time.Duration{"": time.Millisecond, "us": time.Microsecond, "ms": time.Millisecond,
	"s": time.Second, "min": time.Minute, "h": time.Hour, "d": 24 * time.Hour}

func parseDuration(v string) (time.Duration, error) {
	s := strings.TrimSpace(v)
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' || (i == 0 && s[i] == '-')) {
		i++
	}
	n, err := strconv.ParseFloat(s[:i], 64)
	u, ok := durationUnits[strings.TrimSpace(s[i:])]
	if err != nil || !ok || n < 0 {
		return 0, errs.New(errs.InvalidParameter, "invalid value for a duration: %q", v)
	}
	return time.Duration(n * float64(u)), nil
}

// loadZone resolves a time zone as SET TIME ZONE does: a zone name (case-insensitive), UTC/GMT,
// or a number of hours east of Greenwich (PostgreSQL's SET TIME ZONE -7).
func loadZone(v string) (*time.Location, string, error) {
	s := strings.TrimSpace(v)
	switch strings.ToUpper(s) {
	case "UTC", "Z", "ZULU", "UCT", "UNIVERSAL", "ETC/UTC":
		return time.UTC, "UTC", nil
	case "GMT", "ETC/GMT", "GREENWICH":
		loc, _ := time.LoadLocation("GMT")
		return loc, "GMT", nil
	case "LOCAL":
		return nil, "", errs.New(errs.InvalidParameter, "time zone LOCAL is not supported; name a zone")
	}
	if strings.HasPrefix(s, "<") {
		// A fixed zone as SHOW names it: "<-07>+07" is 7 hours west.
		if inner, _, ok := strings.Cut(s[1:], ">"); ok {
			hh, mm, _ := strings.Cut(inner, ":")
			if h, err := strconv.Atoi(hh); err == nil {
				m, _ := strconv.Atoi(mm)
				if h < 0 || strings.HasPrefix(hh, "-") {
					m = -m
				}
				secs := h*3600 + m*60
				return time.FixedZone(s, secs), s, nil
			}
		}
	}
	if h, err := strconv.ParseFloat(s, 64); err == nil {
		if h < -15*24 || h > 15*24 || h != h {
			return nil, "", errs.New(errs.InvalidParameter, "invalid value for parameter \"TimeZone\": %q", v)
		}
		secs := int(h * 3600)
		name := fmt.Sprintf("<%s>%s", offsetName(secs), offsetName(-secs))
		return time.FixedZone(name, secs), name, nil
	}
	if m := posixZone.FindStringSubmatch(s); m != nil {
		// A POSIX zone, "UTC+3" or "+05:30": the offset counts hours west of Greenwich.
		h, _ := strconv.Atoi(m[2])
		secs := h * 3600
		if m[3] != "" {
			mm, _ := strconv.Atoi(m[3])
			if h < 0 || strings.HasPrefix(m[2], "-") {
				mm = -mm
			}
			secs += mm * 60
		}
		if secs <= 15*3600 && secs >= -15*3600 {
			return time.FixedZone(s, -secs), s, nil
		}
	}
	for _, cand := range []string{s, zoneCase(s)} {
		if strings.Contains(cand, "..") || strings.HasPrefix(cand, "/") {
			break
		}
		if loc, err := time.LoadLocation(cand); err == nil {
			return loc, loc.String(), nil
		}
	}
	return nil, "", errs.New(errs.InvalidParameter, "invalid value for parameter \"TimeZone\": %q", v)
}

// posixZone matches a POSIX time zone without daylight rules: an optional name of three or
// more letters and an offset in hours [and minutes] west of Greenwich.
var posixZone = regexp.MustCompile(`^([A-Za-z]{3,})?([+-]?\d{1,2})(?::(\d{2}))?$`)

// offsetName writes an offset in seconds east of UTC as PostgreSQL names fixed zones: "+07",
// "-03:30".
func offsetName(secs int) string {
	sign := "+"
	if secs < 0 {
		sign, secs = "-", -secs
	}
	s := fmt.Sprintf("%s%02d", sign, secs/3600)
	if m := secs / 60 % 60; m != 0 {
		s += fmt.Sprintf(":%02d", m)
	}
	return s
}

// zoneCase capitalises a zone name as the tz database spells most of them:
// "america/new_york" -> "America/New_York".
func zoneCase(s string) string {
	b := []byte(strings.ToLower(s))
	up := true
	for i, c := range b {
		if up && c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
		up = c == '/' || c == '_' || c == '-'
	}
	return string(b)
}

func checkTimeZone(v string) (string, error) {
	_, name, err := loadZone(v)
	return name, err
}

// session is a connection's configuration parameters.
type session struct {
	vals map[string]string // by lower-case name; defaults are not stored
	loc  *time.Location
	// local holds the values SET LOCAL replaced, restored when the transaction block ends.
	local   map[string]*string
	inBlock bool
	// tx holds the transaction block's own transaction_read_only and transaction_isolation,
	// set by BEGIN's modes, SET TRANSACTION or SET inside the block; the block's end drops
	// them. Outside a block each statement is its own transaction, with the defaults.
	tx map[string]string
}

// txParams maps the parameters that belong to one transaction to the session defaults that
// every new transaction starts from.
var txParams = map[string]string{
	"transaction_read_only": "default_transaction_read_only",
	"transaction_isolation": "default_transaction_isolation",
}

// readOnly reports whether the statement about to run is in a read-only transaction.
func (c *conn) readOnly() bool {
	v, _ := c.Setting("transaction_read_only")
	return v == "on"
}

func (c *conn) Setting(name string) (string, bool) {
	key := strings.ToLower(name)
	p, ok := params[key]
	if !ok {
		if strings.Contains(key, ".") {
			v, ok := c.s.vals[key]
			return v, ok
		}
		return "", false
	}
	if def, ok := txParams[key]; ok {
		if v, ok := c.s.tx[key]; ok && c.s.inBlock {
			return v, true
		}
		return c.Setting(def)
	}
	if v, ok := c.s.vals[key]; ok {
		return v, true
	}
	switch key {
	case "session_authorization":
		return c.user, true
	case "is_superuser":
		if ro, checked := c.sessionRole(); !checked || ro != nil && ro.Superuser {
			return "on", true
		}
		return "off", true
	}
	return p.def, true
}

func (c *conn) TimeZone() *time.Location {
	if c.s.loc == nil {
		return time.UTC
	}
	return c.s.loc
}

var _ Settings = (*conn)(nil)

func (c *conn) Set(name, value string) error {
	_, err := c.set(&planner.SetVariable{Name: strings.ToLower(name), Value: value})
	return err
}

// set runs SET, SET LOCAL and RESET.
func (c *conn) set(s *planner.SetVariable) (Result, error) {
	tag := "SET"
	if s.Reset && s.Value == "" {
		tag = "RESET"
	}
	if s.Name == "all" {
		if !s.Reset {
			return nil, errs.New(errs.Syntax, "SET ALL is not supported")
		}
		for k := range c.s.vals {
			if p, ok := params[k]; !ok || p.check != nil {
				c.restore(k, nil, s.Local)
			}
		}
		return &doneResult{tag: tag}, nil
	}
	p, known := params[s.Name]
	if !known && !strings.Contains(s.Name, ".") {
		return nil, errs.New(errs.UndefinedObject, "unrecognized configuration parameter %q", s.Name)
	}
	if known && p.check == nil {
		return nil, errs.New(errs.CantChange, "parameter %q cannot be changed", p.name)
	}
	if _, ok := txParams[s.Name]; ok {
		// A transaction's own parameter: outside a block the SET ends with its own
		// transaction, as in PostgreSQL, so it changes nothing that follows.
		v := s.Value
		if !s.Reset {
			var err error
			if v, err = p.check(v); err != nil {
				return nil, err
			}
		}
		if c.s.inBlock {
			if s.Reset {
				delete(c.s.tx, s.Name)
			} else {
				c.s.tx[s.Name] = v
			}
		}
		return &doneResult{tag: tag}, nil
	}
	if s.Local && !c.s.inBlock {
		// PostgreSQL warns and does nothing outside a transaction block.
		return &doneResult{tag: tag, notices: []Notice{warning("25P01", "SET LOCAL can only be used in transaction blocks")}}, nil
	}
	if s.Reset {
		c.restore(s.Name, nil, s.Local)
		return &doneResult{tag: tag}, nil
	}
	v := s.Value
	if known {
		var err error
		if v, err = p.check(v); err != nil {
			return nil, err
		}
	}
	c.restore(s.Name, &v, s.Local)
	return &doneResult{tag: tag}, nil
}

// restore sets parameter key to *v, or back to its default when v is nil; a SET LOCAL
// remembers the value it replaces.
func (c *conn) restore(key string, v *string, local bool) {
	if c.s.vals == nil {
		c.s.vals = map[string]string{}
	}
	if local {
		if c.s.local == nil {
			c.s.local = map[string]*string{}
		}
		if _, saved := c.s.local[key]; !saved {
			if old, ok := c.s.vals[key]; ok {
				c.s.local[key] = &old
			} else {
				c.s.local[key] = nil
			}
		}
	}
	if v == nil {
		delete(c.s.vals, key)
	} else {
		c.s.vals[key] = *v
	}
	if key == "timezone" {
		c.s.loc = nil
		if v != nil {
			c.s.loc, _, _ = loadZone(*v)
		}
	}
}

// transaction follows BEGIN, COMMIT and ROLLBACK: BEGIN's modes are the block's, and the
// end of a block undoes its SET LOCALs and its modes. It returns PostgreSQL's warning for a
// BEGIN inside a block or an end outside one.
func (c *conn) transaction(tag string, modes planner.TransactionModes) (Notice, bool) {
	switch tag {
	case "BEGIN", "START TRANSACTION":
		if c.s.inBlock {
			return warning("25001", "there is already a transaction in progress"), true
		}
		c.s.inBlock = true
		c.s.tx = map[string]string{}
		c.setModes(modes)
	case "COMMIT", "ROLLBACK":
		if !c.s.inBlock {
			return warning("25P01", "there is no transaction in progress"), true
		}
		c.s.inBlock = false
		c.s.tx = nil
		local := c.s.local
		c.s.local = nil
		for k, v := range local {
			c.restore(k, v, false)
		}
	}
	return Notice{}, false
}

// setModes sets the block's transaction modes.
func (c *conn) setModes(m planner.TransactionModes) {
	if m.ReadOnly != nil {
		c.s.tx["transaction_read_only"] = onOff(*m.ReadOnly)
	}
	if m.Isolation != "" {
		c.s.tx["transaction_isolation"] = m.Isolation
	}
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// setTransaction runs SET TRANSACTION, which sets the block's modes (outside a block
// PostgreSQL warns and changes nothing), and SET SESSION CHARACTERISTICS AS TRANSACTION,
// which sets the defaults of the transactions that follow.
func (c *conn) setTransaction(s *planner.SetTransaction) (Result, error) {
	if s.Session {
		if s.Modes.ReadOnly != nil {
			v := onOff(*s.Modes.ReadOnly)
			c.restore("default_transaction_read_only", &v, false)
		}
		if s.Modes.Isolation != "" {
			v := s.Modes.Isolation
			c.restore("default_transaction_isolation", &v, false)
		}
		return &doneResult{tag: "SET"}, nil
	}
	if !c.s.inBlock {
		return &doneResult{tag: "SET", notices: []Notice{warning("25P01", "SET TRANSACTION can only be used in transaction blocks")}}, nil
	}
	c.setModes(s.Modes)
	return &doneResult{tag: "SET"}, nil
}

// writeCommand names the command a statement that changes the database runs, as
// PostgreSQL's read-only transaction error names it, or "" for a statement that does not.
// VACUUM is allowed in a read-only transaction, as in PostgreSQL: it changes how the rows are
// stored, never which rows there are.
func writeCommand(st planner.Statement) string {
	switch st := st.(type) {
	case *planner.Insert:
		return "INSERT"
	case *planner.Update:
		return "UPDATE"
	case *planner.Delete:
		return "DELETE"
	case *planner.Merge:
		return "MERGE"
	case *planner.CreateTable:
		return "CREATE TABLE"
	case *planner.CreateTableAs:
		return "CREATE TABLE AS"
	case *planner.DropTable:
		return "DROP TABLE"
	case *planner.AlterTable:
		return "ALTER TABLE"
	case *planner.CreateView:
		return "CREATE VIEW"
	case *planner.DropView:
		return "DROP VIEW"
	case *planner.CreateIndex:
		return "CREATE INDEX"
	case *planner.DropIndex:
		return "DROP INDEX"
	case *planner.CreateSequence:
		return "CREATE SEQUENCE"
	case *planner.DropSequence:
		return "DROP SEQUENCE"
	case *planner.CreateType:
		return "CREATE TYPE"
	case *planner.DropType:
		return "DROP TYPE"
	case *planner.AlterType:
		return "ALTER TYPE"
	case *planner.AlterSequence:
		return "ALTER SEQUENCE"
	case *planner.AlterColumns:
		return "ALTER TABLE"
	case *planner.Truncate:
		return "TRUNCATE TABLE"
	case *planner.Comment:
		return "COMMENT"
	case *planner.Copy:
		if st.From {
			return "COPY FROM"
		}
	}
	return ""
}

// show runs SHOW name and SHOW ALL.
func (c *conn) show(ctx context.Context, s *planner.ShowVariable) (Result, error) {
	if s.Name == "all" {
		names := make([]string, 0, len(params))
		for _, p := range params {
			names = append(names, p.name)
		}
		sort.Slice(names, func(i, j int) bool { return strings.ToLower(names[i]) < strings.ToLower(names[j]) })
		rows := make([][]string, len(names))
		for i, n := range names {
			v, _ := c.Setting(n)
			rows[i] = []string{n, v, params[strings.ToLower(n)].desc}
		}
		return textRows(ctx, []string{"name", "setting", "description"}, rows, "SHOW")
	}
	v, ok := c.Setting(s.Name)
	if !ok {
		return nil, errs.New(errs.UndefinedObject, "unrecognized configuration parameter %q", s.Name)
	}
	name := s.Name
	if p, ok := params[s.Name]; ok {
		name = p.name
	}
	return textRows(ctx, []string{name}, [][]string{{v}}, "SHOW")
}

// statementTimeout is the session's statement_timeout, 0 for none.
func (c *conn) statementTimeout() time.Duration {
	v, _ := c.Setting("statement_timeout")
	d, _ := parseDuration(v)
	return d
}

// SetConfig runs set_config(name, value, is_local): SET, or SET LOCAL when local (RESET when
// value is nil), returning the parameter's new value as current_setting shows it. Outside a
// transaction block a local change lasts as long as the statement's own transaction, so it
// changes nothing: the value is checked and returned, as PostgreSQL returns it.
func (c *conn) SetConfig(name string, value *string, local bool) (string, error) {
	key := strings.ToLower(name)
	s := &planner.SetVariable{Name: key, Local: local, Reset: value == nil}
	if value != nil {
		s.Value = *value
	}
	if local && !c.s.inBlock {
		if _, isTx := txParams[key]; !isTx {
			p, known := params[key]
			switch {
			case !known && !strings.Contains(key, "."):
				return "", errs.New(errs.UndefinedObject, "unrecognized configuration parameter \"%s\"", name)
			case known && p.check == nil:
				return "", errs.New(errs.CantChange, "parameter \"%s\" cannot be changed", p.name)
			case value == nil && known:
				return p.def, nil
			case value == nil:
				return "", nil
			case known:
				return p.check(*value)
			}
			return *value, nil
		}
	}
	if _, err := c.set(s); err != nil {
		return "", err
	}
	v, _ := c.Setting(key)
	return v, nil
}
