package exec

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Collect executes op and returns all its batches (the caller releases them). On error it
// releases what it collected.
func Collect(ctx context.Context, op Operator) (out []arrow.RecordBatch, err error) {
	s, err := op.Execute(ctx)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := s.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			for _, b := range out {
				b.Release()
			}
			out = nil
		}
	}()
	for {
		b, err := s.Next(ctx)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, b)
	}
}

// Explain returns the plan rooted at op as text: one operator's String per line, children
// indented two spaces below their parent.
func Explain(op Operator) string {
	var sb strings.Builder
	var walk func(Operator, int)
	walk = func(o Operator, depth int) {
		sb.WriteString(strings.Repeat("  ", depth))
		sb.WriteString(o.String())
		sb.WriteByte('\n')
		for _, c := range o.Children() {
			walk(c, depth+1)
		}
	}
	walk(op, 0)
	return sb.String()
}

// nextRows returns the next batch of in that has rows (releasing empty ones), or io.EOF.
func nextRows(ctx context.Context, in Stream) (arrow.RecordBatch, error) {
	for {
		b, err := in.Next(ctx)
		if err != nil {
			return nil, err
		}
		if b.NumRows() > 0 {
			return b, nil
		}
		b.Release()
	}
}
