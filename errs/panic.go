package errs

// FromPanic turns a recovered panic value into an error: an error value keeps its kind (a
// query over its memory limit panics with an OutOfMemory error from inside an allocator, which
// cannot return one), anything else is an internal error.
func FromPanic(p any) error {
	if err, ok := p.(error); ok {
		if KindOf(err) != Internal {
			return err
		}
		return Wrap(Internal, err, "internal error: %v", err)
	}
	return New(Internal, "internal error: %v", p)
}
