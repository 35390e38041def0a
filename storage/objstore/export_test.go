package objstore

import "os"

// SetSync replaces the fsync of l's files and directories, so that a test can observe the
// order in which a write makes things durable.
func SetSync(l *Local, sync func(f *os.File) error) { l.sync = sync }
