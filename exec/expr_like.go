package exec

import (
	"bytes"
	"context"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
)

// Like is s LIKE pattern (or NOT LIKE, ILIKE): % matches any run of characters, _ exactly
// one, and backslash escapes the next character. A literal pattern is compiled once, at
// construction.
type Like struct {
	e, pattern Expr
	negate     bool
	fold       bool     // ILIKE: compare case-insensitively
	compiled   *likePat // non-nil when pattern is a non-NULL literal
}

var _ Expr = (*Like)(nil)

// NewLike returns e LIKE pattern; both are text. negate gives NOT LIKE, fold ILIKE.
func NewLike(e, pattern Expr, negate, fold bool) (*Like, error) {
	if e == nil || pattern == nil || e.DataType().ID() != arrow.STRING || pattern.DataType().ID() != arrow.STRING {
		return nil, typeErr("LIKE needs text operands")
	}
	l := &Like{e: e, pattern: pattern, negate: negate, fold: fold}
	if lit, ok := pattern.(*Literal); ok && lit.Value() != nil {
		p, err := compileLike(lit.Value().(string), fold)
		if err != nil {
			return nil, err
		}
		l.compiled = p
	}
	return l, nil
}

func (l *Like) DataType() arrow.DataType { return arrow.FixedWidthTypes.Boolean }

func (l *Like) String() string {
	op := " LIKE "
	switch {
	case l.negate && l.fold:
		op = " NOT ILIKE "
	case l.negate:
		op = " NOT LIKE "
	case l.fold:
		op = " ILIKE "
	}
	return paren(l.e) + op + paren(l.pattern)
}

func (l *Like) Eval(ctx context.Context, batch arrow.RecordBatch) (arrow.Array, error) {
	mem := Allocator(ctx)
	s, err := l.e.Eval(ctx, batch)
	if err != nil {
		return nil, err
	}
	defer s.Release()
	var pats arrow.Array
	if l.compiled == nil {
		if pats, err = l.pattern.Eval(ctx, batch); err != nil {
			return nil, err
		}
		defer pats.Release()
	}
	return likeKernel(mem, s, pats, l.compiled, l.negate, l.fold)
}

func likeKernel(mem memory.Allocator, s, pats arrow.Array, p *likePat, negate, fold bool) (arrow.Array, error) {
	n := s.Len()
	var validity *memory.Buffer
	if pats != nil {
		validity = andValidity(mem, s, pats)
	} else {
		validity = copyValidity(mem, s)
	}
	outBuf := newBitmap(mem, n, false)
	out := outBuf.Bytes()
	so, sd := arrow.GetOffsets[int32](s.Data(), 1), byteData(s)
	var po []int32
	var pd []byte
	if pats != nil {
		po, pd = arrow.GetOffsets[int32](pats.Data(), 1), byteData(pats)
	}
	for i := 0; i < n; i++ {
		if validity != nil && !bitutil.BitIsSet(validity.Bytes(), i) {
			continue
		}
		pat := p
		if pat == nil {
			var err error
			if pat, err = compileLike(string(pd[po[i]:po[i+1]]), fold); err != nil {
				outBuf.Release()
				if validity != nil {
					validity.Release()
				}
				return nil, err
			}
		}
		v := sd[so[i]:so[i+1]]
		if fold {
			v = bytes.ToLower(v)
		}
		ok, err := pat.match(v)
		if err != nil {
			outBuf.Release()
			if validity != nil {
				validity.Release()
			}
			return nil, err
		}
		if ok != negate {
			bitutil.SetBit(out, i)
		}
	}
	return makeArray(arrow.FixedWidthTypes.Boolean, n, validity, outBuf), nil
}

// likePat is a compiled LIKE pattern: a sequence of literal runs, single-character
// wildcards and % wildcards, and last, for a pattern that ends in the escape character, a
// dangling escape.
type likePat struct {
	toks  []likeTok
	items []int16 // toks flattened: a byte value, anyOne, anyRun or danglingEscape
}

const (
	anyOne         int16 = -1
	anyRun         int16 = -2
	danglingEscape int16 = -3
)

type likeTok struct {
	kind byte // 'l' literal, '_' one character, '%' any run, '\\' dangling escape
	lit  []byte
}

// escapeErr is PostgreSQL's error for a pattern ending in the escape character. Like
// PostgreSQL, the matcher raises it only when it reaches that escape with text left to
// match, so 'b' LIKE 'a\' is false and NULL LIKE 'a\' is NULL.
func escapeErr() error {
	return errs.New(errs.InvalidEscape, "LIKE pattern must not end with escape character")
}

func compileLike(pattern string, fold bool) (*likePat, error) {
	if fold {
		pattern = string(bytes.ToLower([]byte(pattern)))
	}
	p := &likePat{}
	var lit []byte
	flush := func() {
		if len(lit) > 0 {
			p.toks = append(p.toks, likeTok{kind: 'l', lit: lit})
			lit = nil
		}
	}
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch c {
		case '\\':
			if i+1 == len(pattern) {
				flush()
				p.toks = append(p.toks, likeTok{kind: '\\'})
				continue
			}
			i++
			lit = append(lit, pattern[i])
		case '%':
			flush()
			if len(p.toks) == 0 || p.toks[len(p.toks)-1].kind != '%' {
				p.toks = append(p.toks, likeTok{kind: '%'})
			}
		case '_':
			flush()
			p.toks = append(p.toks, likeTok{kind: '_'})
		default:
			lit = append(lit, c)
		}
	}
	flush()
	for _, t := range p.toks {
		switch t.kind {
		case 'l':
			for _, b := range t.lit {
				p.items = append(p.items, int16(b))
			}
		case '_':
			p.items = append(p.items, anyOne)
		case '%':
			p.items = append(p.items, anyRun)
		case '\\':
			p.items = append(p.items, danglingEscape)
		}
	}
	return p, nil
}

// match reports whether s matches the whole pattern, with the classic single-backtrack
// wildcard algorithm: O(len(s) * len(pattern)) at worst, exact because a later % can absorb
// whatever an earlier one would have. It fails with escapeErr when it reaches a dangling
// escape with text left.
func (p *likePat) match(s []byte) (bool, error) {
	items := p.items
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(items) {
			switch it := items[pi]; {
			case it >= 0 && byte(it) == s[si]:
				pi++
				si++
				continue
			case it == anyOne:
				_, size := utf8.DecodeRune(s[si:])
				si += size
				pi++
				continue
			case it == anyRun:
				starP, starS = pi, si
				pi++
				continue
			case it == danglingEscape:
				return false, escapeErr()
			}
		}
		if starP < 0 {
			return false, nil
		}
		_, size := utf8.DecodeRune(s[starS:])
		starS += size
		pi, si = starP+1, starS
	}
	for pi < len(items) && items[pi] == anyRun {
		pi++
	}
	return pi == len(items), nil
}
