package objstore

import "context"

// Stamper is an optional capability of a Store: a cheap token of the set of objects directly
// under a prefix ending in "/", for a reader that would otherwise look for new objects there
// at every use (a table's log, looked at by every statement).
//
// A settled stamp is a promise: once Stamp has returned it, creating, replacing or deleting
// an object directly under the prefix makes every later Stamp of the prefix differ from it.
// A stamp not settled promises nothing (it may be taken too close to a change to tell the
// next one apart, or the store cannot tell at all), and neither does any stamp returned with
// an error.
type Stamper interface {
	Stamp(ctx context.Context, prefix string) (s Stamp, settled bool, err error)
}

// Stamp is a token returned by Stamper: comparable with ==.
type Stamp struct {
	dev, ino         uint64
	mtimeNs, ctimeNs int64
}
