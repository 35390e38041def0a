// Package pggen holds what the commands that write Go source from a PostgreSQL server's
// catalogs (pgopgen, pgprocgen) share: the connection and the output.
package pggen

import (
	"context"
	"flag"
	"go/format"
	"log"
	"os"

	"github.com/jackc/pgx/v5"
)

// Connect parses the command line (its -dsn flag) and connects to that PostgreSQL server;
// it exits the command when it cannot.
func Connect(ctx context.Context) *pgx.Conn {
	dsn := flag.String("dsn", "", "PostgreSQL 15 connection string")
	flag.Parse()
	conn, err := pgx.Connect(ctx, *dsn)
	if err != nil {
		log.Fatal(err)
	}
	return conn
}

// WriteSource writes src to standard output as gofmt formats it; it exits the command when
// src is not Go source.
func WriteSource(src []byte) {
	out, err := format.Source(src)
	if err != nil {
		log.Fatal(err)
	}
	os.Stdout.Write(out)
}
