# sleeperd: build, run and test.

GO      ?= go
TIMEOUT ?= 15m
# Packages with concurrent code run their tests under the race detector (engine's
# TestOperatorsSpill, ten minutes under it, runs without it beside the other packages).
RACE_RE := /(storage/.*|storage|exec|pgwire|engine|connectors/trino)$$

.PHONY: build run test deps bench bench-quick pgbench

build:
	$(GO) build -o bin/sleeperd ./cmd/sleeperd

run: build
	./bin/sleeperd serve --data ./data --demo

# Tests compare sleeperd with a throwaway PostgreSQL server (started by the tests on a unix
# socket); make test requires one, and deps installs Debian's postgresql when it is missing.
SLT_REQUIRE_POSTGRES ?= 1
export SLT_REQUIRE_POSTGRES

# The S3 store's tests run against a real versitygw server (started by the tests on
# 127.0.0.1); make test requires it, and deps builds it once into $(go env GOPATH)/bin.
VERSITYGW ?= github.com/versity/versitygw/cmd/versitygw@v1.8.0
SLT_REQUIRE_VERSITYGW ?= 1
export SLT_REQUIRE_VERSITYGW

# The Trino connector's end-to-end test drives sleeperd with Python's Thrift library
# (Debian's python3-thrift, under Debian's /usr/bin/python3); make test requires it, and deps
# installs it. The generated client code is committed, so the Thrift compiler is not needed.
SLT_REQUIRE_PYTHON_THRIFT ?= 1
export SLT_REQUIRE_PYTHON_THRIFT

# The client tests (e2e's TestClients) run real client libraries against sleeperd and a
# throwaway PostgreSQL server: pandas and SQLAlchemy over psycopg2 (Debian's python3-pandas,
# python3-sqlalchemy, python3-psycopg2 under /usr/bin/python3), the PostgreSQL JDBC driver
# (libpostgresql-jdbc-java, with a JDK), and node-postgres (nodejs and npm; the test installs
# its pinned pg and pg-cursor with npm into the user's cache directory). make test requires
# them, and deps installs the Debian packages.
SLT_REQUIRE_CLIENTS ?= 1
export SLT_REQUIRE_CLIENTS

# The HTTP frontend's end-to-end tests check /metrics with promtool (Debian's prometheus
# package) and load the status page in headless Chromium (Debian's chromium); make test
# requires both, and deps installs them.
SLT_REQUIRE_PROMTOOL ?= 1
export SLT_REQUIRE_PROMTOOL
SLT_REQUIRE_CHROMIUM ?= 1
export SLT_REQUIRE_CHROMIUM

# deps installs what the tests need and is missing: psql and the PostgreSQL server programs,
# versitygw, python3-thrift, the client libraries, promtool and chromium.
deps:
	@if ! command -v versitygw >/dev/null 2>&1 && [ ! -x "$$($(GO) env GOPATH | cut -d: -f1)/bin/versitygw" ]; then \
		echo "installing versitygw ($(VERSITYGW))"; \
		GOBIN="$$($(GO) env GOPATH | cut -d: -f1)/bin" $(GO) install $(VERSITYGW); \
	fi
	@if ! command -v psql >/dev/null 2>&1 || ! { command -v initdb >/dev/null 2>&1 || \
		[ -x /usr/local/bin/initdb ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }; then \
		echo "installing postgresql (server and psql)"; \
		SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-client >/dev/null 2>&1 || \
		{ $$SUDO apt-get update -qq >/dev/null && \
		  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-client >/dev/null; }; \
	fi
	@if ! /usr/bin/python3 -c 'import thrift' >/dev/null 2>&1; then \
		echo "installing python3-thrift"; \
		SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-thrift >/dev/null 2>&1 || \
		{ $$SUDO apt-get update -qq >/dev/null && \
		  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-thrift >/dev/null; }; \
	fi
	@pkgs=; \
	/usr/bin/python3 -c 'import pandas' >/dev/null 2>&1 || pkgs="$$pkgs python3-pandas"; \
	/usr/bin/python3 -c 'import sqlalchemy' >/dev/null 2>&1 || pkgs="$$pkgs python3-sqlalchemy"; \
	/usr/bin/python3 -c 'import psycopg2' >/dev/null 2>&1 || pkgs="$$pkgs python3-psycopg2"; \
	[ -f /usr/share/java/postgresql.jar ] || pkgs="$$pkgs libpostgresql-jdbc-java"; \
	command -v javac >/dev/null 2>&1 || pkgs="$$pkgs default-jdk-headless"; \
	command -v node >/dev/null 2>&1 || pkgs="$$pkgs nodejs"; \
	command -v npm >/dev/null 2>&1 || pkgs="$$pkgs npm"; \
	if [ -n "$$pkgs" ]; then \
		echo "installing the client libraries:$$pkgs"; \
		SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$pkgs >/dev/null 2>&1 || \
		{ $$SUDO apt-get update -qq >/dev/null && \
		  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$pkgs >/dev/null; }; \
	fi
	@pkgs=; \
	command -v promtool >/dev/null 2>&1 || pkgs="$$pkgs prometheus"; \
	command -v chromium >/dev/null 2>&1 || pkgs="$$pkgs chromium"; \
	if [ -n "$$pkgs" ]; then \
		echo "installing promtool and chromium:$$pkgs"; \
		SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$pkgs >/dev/null 2>&1 || \
		{ $$SUDO apt-get update -qq >/dev/null && \
		  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$pkgs >/dev/null; }; \
	fi

test: deps
	@unformatted="$$(gofmt -l .)"; if [ -n "$$unformatted" ]; then \
		echo "gofmt -l reports files that need formatting:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	@pkgs="$$($(GO) list ./...)"; \
	race="$$(echo "$$pkgs" | grep -E '$(RACE_RE)' || true)"; \
	rest="$$(echo "$$pkgs" | grep -vE '$(RACE_RE)' || true)"; \
	status=0; \
	if [ -n "$$race" ]; then echo "$(GO) test -race -timeout $(TIMEOUT) <concurrent packages>"; \
		$(GO) test -race -timeout $(TIMEOUT) $$race || status=1; fi; \
	spilllog="$$(mktemp)"; \
	echo "$(GO) test -timeout $(TIMEOUT) -run TestOperatorsSpill ./engine (without -race, beside the other packages)"; \
	$(GO) test -timeout $(TIMEOUT) -run '^TestOperatorsSpill$$' ./engine >"$$spilllog" 2>&1 & spillpid=$$!; \
	if [ -n "$$rest" ]; then echo "$(GO) test -timeout $(TIMEOUT) <other packages>"; \
		$(GO) test -timeout $(TIMEOUT) $$rest || status=1; fi; \
	wait $$spillpid || status=1; cat "$$spilllog"; rm -f "$$spilllog"; \
	echo "cd bench && $(GO) test ./... (benchmark smoke test, beside DuckDB)"; \
	(cd bench && $(GO) vet ./... && $(GO) test -timeout $(TIMEOUT) ./...) || status=1; \
	exit $$status

# The benchmark library compares sleeperd with DuckDB on the same data (bench/ is its own module).
bench:
	cd bench && $(GO) run ./cmd/bench -rows 10000000 -import-rows 20000000 -out results/latest.json

bench-quick:
	cd bench && $(GO) run ./cmd/bench -quick -rows 1000000 -out results/latest.json

# pgbench compares sleeperd with PostgreSQL over the wire: PostgreSQL's pgbench runs prepared
# point lookups (1 and 8 clients) and 10,000-row range aggregates (2 clients) against a
# throwaway PostgreSQL server and a sleeperd server, each loaded with the same 1M rows, both
# reached over unix-domain sockets (-transport tcp: both over TCP on 127.0.0.1).
# PGBENCH_FLAGS passes more flags (e.g. -T 30s, -sleeperd before=OLD,after=NEW, -pin 0/1 to
# run pgbench on CPU 0 and both servers on CPU 1).
PGBENCH_FLAGS ?=
pgbench: build
	cd bench && $(GO) run ./cmd/pgbench -sleeperd ../bin/sleeperd $(PGBENCH_FLAGS)
