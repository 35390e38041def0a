package compaction

// SetPushDownAttempts sets how many plans PushDownAll makes and tries to commit before it
// gives up with a serialization failure (errs.Conflict), and returns a function that sets
// the count back. Tests that make it run out set a small count before anything runs
// PushDownAll, and set it back once nothing does.
func SetPushDownAttempts(n int) (restore func()) {
	old := pushDownBackoff.Attempts
	pushDownBackoff.Attempts = max(n, 1)
	return func() { pushDownBackoff.Attempts = old }
}
