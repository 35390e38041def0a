package engine

import "time"

// IdleInTransactionTimeout is the session's idle_in_transaction_session_timeout: how long
// a frontend lets the client of c sit idle inside a transaction block before it ends the
// connection (SQLSTATE 25P03); 0 for no limit.
func IdleInTransactionTimeout(c Conn) time.Duration {
	st, ok := c.(Settings)
	if !ok {
		return 0
	}
	v, _ := st.Setting("idle_in_transaction_session_timeout")
	d, _ := parseDuration(v)
	return d
}
