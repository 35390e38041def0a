package flightsql

import (
	"context"
	"sync"

	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sleeperd/sleeperd/engine"
)

// txn is a transaction opened by BeginTransaction: an engine connection inside a
// transaction block (BEGIN), which every statement naming the transaction runs on, one at
// a time, until EndTransaction commits or rolls it back. Its writes are the block's: seen
// by its own statements, by nobody else until the commit (see the engine's transaction
// blocks). A transaction lives in the server that began it.
type txn struct {
	mu   sync.Mutex // held by the statement running on conn
	conn engine.Conn
}

// BeginTransaction opens a transaction block on a new engine connection.
func (s *sqlServer) BeginTransaction(ctx context.Context, _ flightsql.ActionBeginTransactionRequest) ([]byte, error) {
	panicSite("BeginTransaction")
	conn, err := s.connect(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	if _, err := runText(ctx, conn, "BEGIN"); err != nil {
		conn.Close()
		return nil, toStatus(err)
	}
	id := newHandle()
	s.mu.Lock()
	s.txns[string(id)] = &txn{conn: conn}
	s.mu.Unlock()
	return id, nil
}

// EndTransaction commits or rolls back a transaction and closes its connection. A commit
// that fails (a conflict, 40001, say) rolls back; the transaction is over either way.
func (s *sqlServer) EndTransaction(ctx context.Context, req flightsql.ActionEndTransactionRequest) error {
	panicSite("EndTransaction")
	id := string(req.GetTransactionId())
	s.mu.Lock()
	t, ok := s.txns[id]
	var ps []*prepared
	if ok {
		delete(s.txns, id)
		// The transaction's prepared statements end with it.
		for h, p := range s.prepared {
			if p.inTxn && p.conn == t.conn {
				ps = append(ps, p)
				delete(s.prepared, h)
			}
		}
	}
	s.mu.Unlock()
	if !ok {
		return status.Error(codes.NotFound, "transaction not found")
	}
	for _, p := range ps {
		p.close()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	defer t.conn.Close()
	var stmt string
	switch req.GetAction() {
	case flightsql.EndTransactionCommit:
		stmt = "COMMIT"
	case flightsql.EndTransactionRollback:
		stmt = "ROLLBACK"
	default:
		return status.Errorf(codes.InvalidArgument, "unknown end of transaction %v", req.GetAction())
	}
	tag, err := runText(ctx, t.conn, stmt)
	if err != nil {
		return toStatus(err)
	}
	if stmt == "COMMIT" && tag == "ROLLBACK" {
		return status.Error(codes.Aborted, "the transaction failed earlier and was rolled back")
	}
	return nil
}

// runText runs one statement without parameters on conn and returns its command tag.
func runText(ctx context.Context, conn engine.Conn, text string) (string, error) {
	st, err := conn.Prepare(ctx, text, nil)
	if err != nil {
		return "", err
	}
	defer st.Close()
	res, err := st.Execute(ctx, nil)
	if err != nil {
		return "", err
	}
	defer res.Close()
	return res.Tag(), res.Close()
}

// conn returns the connection a statement of transaction id (none when empty) runs on,
// and release, which the caller calls when the statement is done with it: a new
// connection, closed by release, outside a transaction; the transaction's, held until
// release, inside one.
func (s *sqlServer) conn(ctx context.Context, id []byte) (conn engine.Conn, release func(), err error) {
	if len(id) == 0 {
		c, err := s.connect(ctx)
		if err != nil {
			return nil, nil, toStatus(err)
		}
		return c, func() { c.Close() }, nil
	}
	t, err := s.txn(id)
	if err != nil {
		return nil, nil, err
	}
	t.mu.Lock()
	return t.conn, t.mu.Unlock, nil
}

// txn returns the open transaction id.
func (s *sqlServer) txn(id []byte) (*txn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.txns[string(id)]
	if !ok {
		return nil, status.Error(codes.NotFound, "transaction not found")
	}
	return t, nil
}

// rollbackAll rolls back every open transaction.
func (s *sqlServer) rollbackAll() {
	s.mu.Lock()
	ts := s.txns
	s.txns = map[string]*txn{}
	s.mu.Unlock()
	for _, t := range ts {
		t.mu.Lock()
		t.conn.Close() // rolls the block back
		t.mu.Unlock()
	}
}
