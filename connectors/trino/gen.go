package trino

// The Go code in trinothrift/ and the Python code in testdata/gen-py/ are generated from
// trino.thrift by Apache Thrift's compiler, version 0.17.0 (Debian's thrift-compiler).
//go:generate sh -c "rm -rf trinothrift && thrift --gen go:package_prefix=github.com/sleeperd/sleeperd/connectors/trino/,skip_remote -out . trino.thrift && gofmt -w trinothrift && rm -rf testdata/gen-py && mkdir -p testdata/gen-py && thrift --gen py:no_utf8strings -out testdata/gen-py trino.thrift && rm -f testdata/gen-py/trinothrift/*-remote"
