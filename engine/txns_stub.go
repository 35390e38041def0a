package engine

import (
	"context"
	"time"

	"github.com/sleeperd/sleeperd/catalog"
)

type txnInfo struct {
	Number  uint64
	Kind    string
	Time    time.Time
	Summary string
}

func (e *Engine) transactions(ctx context.Context, t *catalog.Table) ([]txnInfo, error) {
	return nil, nil
}
