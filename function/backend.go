package function

import (
	"context"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/exec"
)

// registerBackend registers the functions about the session's connection: pg_backend_pid
// (the session's process ID, which pgwire announces as its BackendKeyData and
// pg_stat_activity shows), inet_client_addr, inet_client_port, inet_server_addr and
// inet_server_port (NULL but over a network connection; the addresses are text, as
// pg_stat_activity.client_addr is, sleeperd having no inet type).
func registerBackend() {
	none := func(name string, result arrow.DataType) func([]arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		return func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
			if len(args) != 0 {
				return nil, nil, undefinedFunc(name, args)
			}
			return result, nil, nil
		}
	}
	register(function{resolve: none("pg_backend_pid", arrow.PrimitiveTypes.Int32), evalCtx: func(ctx context.Context, n int, _ arrow.DataType, _ []arrow.Array) (arrow.Array, error) {
		pid := int32(os.Getpid())
		if b := exec.BackendOf(ctx); b != nil {
			pid = b.PID
		}
		out := array.NewInt32Builder(exec.Allocator(ctx))
		defer out.Release()
		for i := 0; i < n; i++ {
			out.Append(pid)
		}
		return out.NewArray(), nil
	}}, "pg_backend_pid")
	// hostPort is the host and port of the client's or the server's end (ok false for no
	// network address).
	hostPort := func(ctx context.Context, server bool) (host string, port int32, ok bool) {
		b := exec.BackendOf(ctx)
		if b == nil {
			return "", 0, false
		}
		addr := b.ClientAddr
		if server {
			addr = b.ServerAddr
		}
		h, p, err := net.SplitHostPort(addr)
		if err != nil || h == "" {
			return "", 0, false
		}
		n, err := strconv.ParseInt(p, 10, 32)
		if err != nil {
			return "", 0, false
		}
		if k := strings.IndexByte(h, '%'); k >= 0 {
			h = h[:k] // an IPv6 address's zone (fe80::1%eth0) is not written
		}
		return h, int32(n), true
	}
	for _, name := range []string{"inet_client_addr", "inet_server_addr"} {
		server := name == "inet_server_addr"
		register(function{resolve: none(name, arrow.BinaryTypes.String), evalCtx: func(ctx context.Context, n int, _ arrow.DataType, _ []arrow.Array) (arrow.Array, error) {
			h, _, ok := hostPort(ctx, server)
			out := array.NewStringBuilder(exec.Allocator(ctx))
			defer out.Release()
			for i := 0; i < n; i++ {
				if ok {
					out.Append(h)
				} else {
					out.AppendNull()
				}
			}
			return out.NewArray(), nil
		}}, name)
	}
	for _, name := range []string{"inet_client_port", "inet_server_port"} {
		server := name == "inet_server_port"
		register(function{resolve: none(name, arrow.PrimitiveTypes.Int32), evalCtx: func(ctx context.Context, n int, _ arrow.DataType, _ []arrow.Array) (arrow.Array, error) {
			_, p, ok := hostPort(ctx, server)
			out := array.NewInt32Builder(exec.Allocator(ctx))
			defer out.Release()
			for i := 0; i < n; i++ {
				if ok {
					out.Append(p)
				} else {
					out.AppendNull()
				}
			}
			return out.NewArray(), nil
		}}, name)
	}
	for _, n := range []string{"pg_backend_pid", "inet_client_addr", "inet_client_port", "inet_server_addr", "inet_server_port"} {
		volatile[n] = true
	}
}
