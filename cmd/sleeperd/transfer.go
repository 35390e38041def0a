package main

// The import and export commands: bulk data in and out of a table over COPY, against a
// running server (--url) or straight against a database directory or bucket (--data).

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/pgwire"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

const importUsage = `usage: sleeperd import [flags] TABLE FILE...

Imports CSV, text (PostgreSQL COPY text format) or Parquet files into TABLE, each file as
one COPY ... FROM STDIN: a file is committed whole or not at all, files in the order given.
TABLE is SQL: a table name, optionally followed by a column list, as in "t(a, b)". Parquet
columns are matched to the table's by name.

Exactly one of --url (a running server) or --data (the database itself) is required.

Flags:
`

const exportUsage = `usage: sleeperd export [flags] TABLE DEST
       sleeperd export [flags] --query SQL DEST

Exports a table or a query's rows to DEST in CSV, text or Parquet. A table exported with
--format parquet to a DEST not named *.parquet is a directory of one file per leaf partition,
each sorted by the table's key, written by the server: with --data this process, with --url
only with --server-side and an absolute DEST the server can see. Every other export writes
the one file DEST.

Exactly one of --url (a running server) or --data (the database itself) is required.

Flags:
`

// Exit codes of import and export.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// transferConfig is the configuration of import and export, from their flags.
type transferConfig struct {
	url         string
	data        string
	s3Endpoint  string
	s3PathStyle bool
	format      string // "", "csv", "text" or "parquet"
	header      bool
	delimiter   string
	null        string
	nullSet     bool
	query       string // export --query
	serverSide  bool   // export: the server writes DEST
	interval    time.Duration
	progress    string // auto, bar, lines or none
	args        []string
}

func transferFlags(name string, c *transferConfig, stderr io.Writer, export bool) *flag.FlagSet {
	fs := flag.NewFlagSet("sleeperd "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.url, "url", "", "connection URL of a running server, such as postgres://127.0.0.1:5433/sleeperd")
	fs.StringVar(&c.data, "data", "", "the database itself: a directory, or s3://BUCKET/PREFIX (opened in this process)")
	fs.StringVar(&c.s3Endpoint, "s3-endpoint", "", "base URL of an S3-compatible server for an s3:// --data (empty: AWS)")
	fs.BoolVar(&c.s3PathStyle, "s3-path-style", false, "address S3 buckets by path (ENDPOINT/BUCKET) rather than by host name")
	fs.StringVar(&c.format, "format", "", "csv, text or parquet (default: from the file name extension)")
	fs.BoolVar(&c.header, "header", false, "CSV and text: the first line holds the column names")
	fs.StringVar(&c.delimiter, "delimiter", "", "CSV and text: the column delimiter, one character (default comma in CSV, tab in text)")
	fs.Func("null", `CSV and text: the string that stands for NULL (default empty in CSV, \N in text)`, func(s string) error {
		c.null, c.nullSet = s, true
		return nil
	})
	fs.DurationVar(&c.interval, "progress-interval", 2*time.Second, "how often progress is reported when stderr is not a terminal")
	fs.StringVar(&c.progress, "progress", "auto", "auto (a bar on a terminal, lines otherwise), bar, lines or none")
	if export {
		fs.StringVar(&c.query, "query", "", "export the rows of this query instead of a table")
		fs.BoolVar(&c.serverSide, "server-side", false, "Parquet export of a table to a directory with --url: the server writes DEST, an absolute path it can see, one file per leaf")
	}
	return fs
}

// parseTransfer parses the flags of import (export false) or export.
func parseTransfer(name string, args []string, stderr io.Writer, export bool) (transferConfig, error) {
	var c transferConfig
	fs := transferFlags(name, &c, stderr, export)
	fs.Usage = func() {
		if export {
			fmt.Fprint(stderr, exportUsage)
		} else {
			fmt.Fprint(stderr, importUsage)
		}
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	c.args = fs.Args()
	switch {
	case (c.url == "") == (c.data == ""):
		return c, errors.New("exactly one of --url and --data is required")
	case c.url != "" && (c.s3Endpoint != "" || c.s3PathStyle):
		return c, errors.New("--s3-endpoint and --s3-path-style apply only to an s3:// --data")
	case c.data != "" && !objstore.IsS3URL(c.data) && (c.s3Endpoint != "" || c.s3PathStyle):
		return c, errors.New("--s3-endpoint and --s3-path-style apply only to an s3:// --data")
	case c.format != "" && c.format != "csv" && c.format != "text" && c.format != "parquet":
		return c, fmt.Errorf("--format must be csv, text or parquet, not %q", c.format)
	case len(c.delimiter) > 1:
		return c, fmt.Errorf("--delimiter must be one character, not %q", c.delimiter)
	case c.interval <= 0:
		return c, fmt.Errorf("--progress-interval must be positive, not %s", c.interval)
	case c.progress != "auto" && c.progress != "bar" && c.progress != "lines" && c.progress != "none":
		return c, fmt.Errorf("--progress must be auto, bar, lines or none, not %q", c.progress)
	case c.serverSide && c.data != "":
		return c, errors.New("--server-side applies only with --url (with --data this process is the server)")
	}
	if objstore.IsS3URL(c.data) {
		if _, _, err := objstore.ParseS3URL(c.data); err != nil {
			return c, err
		}
	}
	if export {
		want := 2
		if c.query != "" {
			want = 1
		}
		if len(c.args) != want {
			if c.query != "" {
				return c, errors.New("export --query takes one argument, DEST")
			}
			return c, errors.New("export takes two arguments, TABLE and DEST (or --query SQL and DEST)")
		}
	} else if len(c.args) < 2 {
		return c, errors.New("import takes a table and at least one file")
	}
	return c, nil
}

// formatOf is the format of a file named name: the --format flag, else its extension.
func formatOf(flagFormat, name string) (string, error) {
	if flagFormat != "" {
		return flagFormat, nil
	}
	ext := strings.ToLower(filepath.Ext(strings.TrimSuffix(name, ".gz")))
	switch ext {
	case ".csv":
		return "csv", nil
	case ".txt", ".tsv", ".tab", ".text", ".tbl":
		return "text", nil
	case ".parquet", ".pq":
		return "parquet", nil
	}
	return "", fmt.Errorf("cannot tell the format of %q from its name: use --format", name)
}

// copyOptions is the option list of a COPY statement in format (csv or text) with the flags'
// header, delimiter and NULL string.
func (c *transferConfig) copyOptions(format string, header bool) string {
	opts := []string{"FORMAT " + format}
	if header {
		opts = append(opts, "HEADER true")
	}
	if c.delimiter != "" {
		opts = append(opts, "DELIMITER "+quoteLiteral(c.delimiter))
	}
	if c.nullSet {
		opts = append(opts, "NULL "+quoteLiteral(c.null))
	}
	return "(" + strings.Join(opts, ", ") + ")"
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// session is a connection to the database, and what closes it.
type session struct {
	conn  *pgconn.PgConn
	close func() error
}

// connect connects to the server of --url, or opens the database of --data in this process
// and connects to it. A database opened here is served on a loopback port of its own for the
// one connection, through the same PostgreSQL wire protocol code as sleeperd serve: COPY
// behaves, streams and reports errors exactly as it does against a server.
func connect(ctx context.Context, c transferConfig, stderr io.Writer) (*session, error) {
	if c.url != "" {
		conn, err := pgconn.Connect(ctx, c.url)
		if err != nil {
			return nil, err
		}
		return &session{conn: conn, close: func() error { return conn.Close(context.Background()) }}, nil
	}
	if !objstore.IsS3URL(c.data) {
		if st, err := os.Stat(c.data); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("no database directory %s", c.data)
		}
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	store, err := openStore(ctx, serveConfig{data: c.data, s3Endpoint: c.s3Endpoint, s3PathStyle: c.s3PathStyle})
	if err != nil {
		return nil, err
	}
	// No background maintenance: compaction and splitting are a server's work, and this
	// process lives for one statement at a time.
	eng, err := engine.Open(ctx, engine.Options{Store: store, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("opening database in %s: %w", c.data, err)
	}
	srv, err := pgwire.NewServer(pgwire.Config{Addr: "127.0.0.1:0", Logger: log, Connect: eng.Connect})
	if err != nil {
		eng.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		eng.Close()
		return nil, fmt.Errorf("listening on loopback: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	stop := func() error {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := srv.Shutdown(sctx)
		if serr := <-done; serr != nil && !errors.Is(serr, pgwire.ErrClosed) && err == nil {
			err = serr
		}
		if cerr := eng.Close(); cerr != nil && err == nil {
			err = cerr
		}
		return err
	}
	conn, err := pgconn.Connect(ctx, "postgres://sleeperd@"+ln.Addr().String()+"/sleeperd?sslmode=disable")
	if err != nil {
		stop()
		return nil, err
	}
	return &session{conn: conn, close: func() error {
		err := conn.Close(context.Background())
		if serr := stop(); serr != nil && err == nil {
			err = serr
		}
		return err
	}}, nil
}

// failure prints err as the command's failure: a server error with its SQLSTATE and context.
func failure(stderr io.Writer, name string, err error) int {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// What the error was wrapped in, such as the file it came from.
		prefix, ok := strings.CutSuffix(err.Error(), pe.Error())
		if !ok {
			prefix = ""
		}
		fmt.Fprintf(stderr, "sleeperd %s: %s%s: %s (SQLSTATE %s)\n", name, prefix, pe.Severity, pe.Message, pe.Code)
		if pe.Detail != "" {
			fmt.Fprintf(stderr, "DETAIL: %s\n", pe.Detail)
		}
		if pe.Where != "" {
			fmt.Fprintf(stderr, "CONTEXT: %s\n", pe.Where)
		}
		return exitFailure
	}
	fmt.Fprintf(stderr, "sleeperd %s: %v\n", name, err)
	return exitFailure
}

// transfer runs import or export with args.
func transfer(name string, args []string, stderr io.Writer) int {
	export := name == "export"
	cfg, err := parseTransfer(name, args, stderr, export)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "sleeperd %s: %v\nRun \"sleeperd %s -h\" for usage.\n", name, err, name)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var job func(context.Context, *session, *progress) error
	var total int64 = -1
	if export {
		j, err := planExport(cfg)
		if err != nil {
			fmt.Fprintf(stderr, "sleeperd export: %v\n", err)
			return exitUsage
		}
		job = j.run
	} else {
		j, err := planImport(cfg)
		if err != nil {
			fmt.Fprintf(stderr, "sleeperd import: %v\n", err)
			return exitUsage
		}
		if total, err = j.size(); err != nil {
			return failure(stderr, name, err)
		}
		job = j.run
	}
	s, err := connect(ctx, cfg, stderr)
	if err != nil {
		return failure(stderr, name, err)
	}
	p := newProgress(stderr, name+" "+progressSubject(cfg, export), total, cfg.progress, cfg.interval)
	err = job(ctx, s, p)
	p.finish(err == nil)
	if cerr := s.close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return failure(stderr, name, err)
	}
	return exitOK
}

// progressSubject names what is moved in progress lines: the table, or "query".
func progressSubject(c transferConfig, export bool) string {
	if export && c.query != "" {
		return "query"
	}
	return c.args[0]
}
