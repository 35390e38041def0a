package sql

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// seriesSelect binds generate_series(start, stop[, step]) in the select list as a
// set-returning function: unnest of the list of the series, as unnestCall binds unnest.
// The arguments are typed as in FROM (seriesCall).
func (b *binder) seriesSelect(fc *pg_query.FuncCall, sc *scope) (planner.Expr, error) {
	if b.srf == nil {
		return nil, b.srfNotAllowed(fc)
	}
	srf := b.srf
	b.srf = nil
	s, err := b.seriesCall(fc, sc)
	b.srf = srf
	if err != nil {
		return nil, err
	}
	t := s.Start.Type()
	args := []planner.Expr{s.Start, s.Stop}
	if s.Step != nil {
		args = append(args, s.Step)
	}
	c := b.newColumn("generate_series", t)
	srf.lists = append(srf.lists, &planner.Func{Name: "generate_series", Args: args, Typ: types.ArrayOf(t)})
	srf.cols = append(srf.cols, c)
	if b.constCols == nil {
		b.constCols = map[planner.ColumnID]bool{}
	}
	b.constCols[c.ID] = true
	return ref(c), nil
}
