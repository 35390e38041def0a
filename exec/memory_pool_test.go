package exec

import "testing"

// TestMemoryPoolShares checks the pool's fair policy: a statement alone may hold its whole
// budget; once the pool is full a statement over its share is refused (and so spills) while
// one under its share is granted; a statement's Close returns what it held.
func TestMemoryPoolShares(t *testing.T) {
	p := NewMemoryPool(100)
	a := NewPooledBudget(80, p)
	b := NewPooledBudget(80, p)
	ra, rb := a.reserve(), b.reserve()

	if !ra.resize(80) {
		t.Fatal("a alone: 80 of a pool of 100 refused")
	}
	if ra.resize(81) {
		t.Fatal("a over its own budget granted")
	}
	ra.resize(80)
	if st := p.Stats(); st.Used != 80 || st.Active != 1 || st.Statements != 1 {
		t.Fatalf("stats %+v", st)
	}
	// b joins: the pool is now full past 100, and each statement's share is 50.
	if !rb.resize(30) {
		t.Fatal("b under its share of a full pool refused")
	}
	if ra.resize(90) {
		t.Fatal("a over its share of a full pool granted")
	}
	if st := p.Stats(); st.Active != 2 || st.Share != 50 || st.Refused == 0 {
		t.Fatalf("stats %+v", st)
	}
	// a spills down to its share; b grows to its share.
	if !ra.resize(40) || !rb.resize(50) {
		t.Fatal("shares refused")
	}
	if rb.resize(70) {
		t.Fatal("b past its share of a full pool granted")
	}
	rb.resize(50)
	// An operator may always hold a 1/minShare of its statement's limit.
	if !ra.resize(45) {
		t.Fatal("a within its share refused")
	}
	a.Close() // without releasing: the pool gets a's 45 back
	if st := p.Stats(); st.Used != 50 || st.Active != 1 {
		t.Fatalf("after a's Close: %+v", st)
	}
	ra.release() // after Close, no longer counted in the pool
	rb.release()
	b.Close()
	b.Close()
	if st := p.Stats(); st.Used != 0 || st.Active != 0 || st.Statements != 2 || st.Peak < 100 {
		t.Fatalf("after both: %+v", st)
	}
}

// TestMemoryPoolFloor checks that with many statements each may still hold the floor.
func TestMemoryPoolFloor(t *testing.T) {
	p := NewMemoryPool(1600)
	var rs []*Reservation
	for range 40 {
		rs = append(rs, NewPooledBudget(1600, p).reserve())
	}
	for i, r := range rs {
		if !r.resize(100) { // the floor, 1600/16
			t.Fatalf("statement %d refused its floor", i)
		}
	}
	if rs[0].resize(101) {
		t.Fatal("past the floor of an overfull pool granted")
	}
}
