package tpch

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/sleeperd/sleeperd/internal/tpc"
)

// Kind is how a column's values are written as SQL literals.
type Kind = tpc.Kind

// Column kinds.
const (
	Int     = tpc.Int
	Numeric = tpc.Numeric
	Text    = tpc.Text
	Date    = tpc.Date
)

// Table is the generated contents of one table.
type Table = tpc.Table

// ErrScale means a scale factor outside (0, 1].
var ErrScale = errors.New("tpch: scale factor must be in (0, 1]")

// Dates of the spec: the first order date, the last date, and "today" for return flags
// and line statuses.
var (
	startDate   = time.Date(1992, 1, 1, 0, 0, 0, 0, time.UTC)
	endDate     = time.Date(1998, 12, 31, 0, 0, 0, 0, time.UTC)
	currentDate = time.Date(1995, 6, 17, 0, 0, 0, 0, time.UTC)
)

// Generate returns the eight tables at scale factor sf, in the order of Schema. The row
// counts are the spec's times sf (at least one supplier, 25 nations and 5 regions always);
// lineitem has about 4 rows per order.
func Generate(sf float64) ([]*Table, error) {
	if !(sf > 0 && sf <= 1) {
		return nil, fmt.Errorf("%w: got %v", ErrScale, sf)
	}
	n := func(base float64) int { return max(1, int(base*sf)) }
	g := &gen{
		suppliers: n(10000),
		parts:     n(200000),
		customers: n(150000),
		orders:    n(1500000),
		clerks:    n(1000),
	}
	// At least four suppliers, so that each part has four distinct ones.
	g.suppliers = max(g.suppliers, 4)
	lineitem, orders := g.ordersAndLines()
	return []*Table{g.region(), g.nation(), g.supplier(), g.part(), g.partsupp(), g.customer(), orders, lineitem}, nil
}

type gen struct {
	suppliers, parts, customers, orders, clerks int
}

// rng returns the random stream of one table: each table has its own, so that the tables
// do not depend on each other's generation.
func rng(stream uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, stream)) }

func between(r *rand.Rand, lo, hi int) int { return lo + r.IntN(hi-lo+1) }

func date(t time.Time) string { return t.Format("2006-01-02") }

func itoa(i int) string { return strconv.Itoa(i) }

var regions = []string{"AFRICA", "AMERICA", "ASIA", "EUROPE", "MIDDLE EAST"}

var nations = []struct {
	name   string
	region int
}{
	{"ALGERIA", 0}, {"ARGENTINA", 1}, {"BRAZIL", 1}, {"CANADA", 1}, {"EGYPT", 4},
	{"ETHIOPIA", 0}, {"FRANCE", 3}, {"GERMANY", 3}, {"INDIA", 2}, {"INDONESIA", 2},
	{"IRAN", 4}, {"IRAQ", 4}, {"JAPAN", 2}, {"JORDAN", 4}, {"KENYA", 0},
	{"MOROCCO", 0}, {"MOZAMBIQUE", 0}, {"PERU", 1}, {"CHINA", 2}, {"ROMANIA", 3},
	{"SAUDI ARABIA", 4}, {"VIETNAM", 2}, {"RUSSIA", 3}, {"UNITED KINGDOM", 3}, {"UNITED STATES", 1},
}

func (g *gen) region() *Table {
	r := rng(1)
	t := &Table{Name: "region", Columns: []string{"r_regionkey", "r_name", "r_comment"}, Kinds: []Kind{Int, Text, Text}}
	for i, name := range regions {
		t.Rows = append(t.Rows, []string{itoa(i), name, comment(r, 31, 115)})
	}
	return t
}

func (g *gen) nation() *Table {
	r := rng(2)
	t := &Table{Name: "nation", Columns: []string{"n_nationkey", "n_name", "n_regionkey", "n_comment"},
		Kinds: []Kind{Int, Text, Int, Text}}
	for i, n := range nations {
		t.Rows = append(t.Rows, []string{itoa(i), n.name, itoa(n.region), comment(r, 31, 114)})
	}
	return t
}

// phone is a phone number whose country code is the nation key plus 10.
func phone(r *rand.Rand, nation int) string {
	return fmt.Sprintf("%02d-%03d-%03d-%04d", nation+10, between(r, 100, 999), between(r, 100, 999), between(r, 1000, 9999))
}

// address is a random string of 10 to 40 letters, digits and punctuation.
func address(r *rand.Rand) string {
	const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,. "
	b := make([]byte, between(r, 10, 40))
	for i := range b {
		b[i] = chars[r.IntN(len(chars))]
	}
	return strings.TrimSpace(string(b))
}

func (g *gen) supplier() *Table {
	r := rng(3)
	t := &Table{Name: "supplier",
		Columns: []string{"s_suppkey", "s_name", "s_address", "s_nationkey", "s_phone", "s_acctbal", "s_comment"},
		Kinds:   []Kind{Int, Text, Text, Int, Text, Numeric, Text}}
	for k := 1; k <= g.suppliers; k++ {
		nation := r.IntN(len(nations))
		c := comment(r, 25, 100)
		// The spec puts "Customer ... Complaints" and "Customer ... Recommends" into a few
		// suppliers' comments (Q16 excludes the former); here one in twenty each.
		switch r.IntN(20) {
		case 0:
			c = insertWords(r, c, "Customer ", "Complaints")
		case 1:
			c = insertWords(r, c, "Customer ", "Recommends")
		}
		t.Rows = append(t.Rows, []string{itoa(k), fmt.Sprintf("Supplier#%09d", k), address(r), itoa(nation),
			phone(r, nation), tpc.Cents(int64(between(r, -99999, 999999))), c})
	}
	return t
}

// insertWords puts first at a random place of c and last after it.
func insertWords(r *rand.Rand, c, first, last string) string {
	i := r.IntN(len(c)/2 + 1)
	j := i + r.IntN(len(c)-i+1)
	return c[:i] + first + c[i:j] + last + c[j:]
}

var colors = strings.Fields(`almond antique aquamarine azure beige bisque black blanched blue blush brown
burlywood burnished chartreuse chiffon chocolate coral cornflower cornsilk cream cyan dark
deep dim dodger drab firebrick floral forest frosted gainsboro ghost goldenrod green grey
honeydew hot indian ivory khaki lace lavender lawn lemon light lime linen magenta maroon
medium metallic midnight mint misty moccasin navajo navy olive orange orchid pale papaya
peach peru pink plum powder puff purple red rose rosy royal saddle salmon sandy seashell
sienna sky slate smoke snow spring steel tan thistle tomato turquoise violet wheat white
yellow`)

var (
	typeSyl1   = []string{"STANDARD", "SMALL", "MEDIUM", "LARGE", "ECONOMY", "PROMO"}
	typeSyl2   = []string{"ANODIZED", "BURNISHED", "PLATED", "POLISHED", "BRUSHED"}
	typeSyl3   = []string{"TIN", "NICKEL", "BRASS", "STEEL", "COPPER"}
	contSyl1   = []string{"SM", "LG", "MED", "JUMBO", "WRAP"}
	contSyl2   = []string{"CASE", "BOX", "BAG", "JAR", "PKG", "PACK", "CAN", "DRUM"}
	segments   = []string{"AUTOMOBILE", "BUILDING", "FURNITURE", "MACHINERY", "HOUSEHOLD"}
	priorities = []string{"1-URGENT", "2-HIGH", "3-MEDIUM", "4-NOT SPECIFIED", "5-LOW"}
	instructs  = []string{"DELIVER IN PERSON", "COLLECT COD", "NONE", "TAKE BACK RETURN"}
	modes      = []string{"REG AIR", "AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB"}
)

func pick(r *rand.Rand, s []string) string { return s[r.IntN(len(s))] }

// retailPrice is the spec's p_retailprice of a part, in cents.
func retailPrice(part int) int64 {
	return int64(90000 + (part/10)%20001 + 100*(part%1000))
}

func (g *gen) part() *Table {
	r := rng(4)
	t := &Table{Name: "part",
		Columns: []string{"p_partkey", "p_name", "p_mfgr", "p_brand", "p_type", "p_size", "p_container", "p_retailprice", "p_comment"},
		Kinds:   []Kind{Int, Text, Text, Text, Text, Int, Text, Numeric, Text}}
	for k := 1; k <= g.parts; k++ {
		// Five distinct colours.
		perm := r.Perm(len(colors))[:5]
		words := make([]string, 5)
		for i, p := range perm {
			words[i] = colors[p]
		}
		m := between(r, 1, 5)
		t.Rows = append(t.Rows, []string{itoa(k), strings.Join(words, " "), fmt.Sprintf("Manufacturer#%d", m),
			fmt.Sprintf("Brand#%d%d", m, between(r, 1, 5)),
			pick(r, typeSyl1) + " " + pick(r, typeSyl2) + " " + pick(r, typeSyl3),
			itoa(between(r, 1, 50)), pick(r, contSyl1) + " " + pick(r, contSyl2),
			tpc.Cents(retailPrice(k)), comment(r, 5, 22)})
	}
	return t
}

// partSupplier is the i-th (0 to 3) supplier of a part: the spec's formula, or, for the
// parts where it gives the same supplier twice (which happens with few suppliers), every
// quarter of the suppliers.
func (g *gen) partSupplier(part, i int) int {
	s := g.suppliers
	step := s/4 + (part-1)/s
	for d := 1; d <= 3; d++ {
		if d*step%s == 0 {
			step = s / 4
			break
		}
	}
	return (part+i*step)%s + 1
}

func (g *gen) partsupp() *Table {
	r := rng(5)
	t := &Table{Name: "partsupp",
		Columns: []string{"ps_partkey", "ps_suppkey", "ps_availqty", "ps_supplycost", "ps_comment"},
		Kinds:   []Kind{Int, Int, Int, Numeric, Text}}
	for k := 1; k <= g.parts; k++ {
		for i := 0; i < 4; i++ {
			t.Rows = append(t.Rows, []string{itoa(k), itoa(g.partSupplier(k, i)), itoa(between(r, 1, 9999)),
				tpc.Cents(int64(between(r, 100, 100000))), comment(r, 49, 198)})
		}
	}
	return t
}

func (g *gen) customer() *Table {
	r := rng(6)
	t := &Table{Name: "customer",
		Columns: []string{"c_custkey", "c_name", "c_address", "c_nationkey", "c_phone", "c_acctbal", "c_mktsegment", "c_comment"},
		Kinds:   []Kind{Int, Text, Text, Int, Text, Numeric, Text, Text}}
	for k := 1; k <= g.customers; k++ {
		nation := r.IntN(len(nations))
		t.Rows = append(t.Rows, []string{itoa(k), fmt.Sprintf("Customer#%09d", k), address(r), itoa(nation),
			phone(r, nation), tpc.Cents(int64(between(r, -99999, 999999))), pick(r, segments), comment(r, 29, 116)})
	}
	return t
}

// ordersAndLines generates orders and their line items together, since an order's status
// and total price derive from its lines.
func (g *gen) ordersAndLines() (lineitem, orders *Table) {
	r := rng(7)
	orders = &Table{Name: "orders",
		Columns: []string{"o_orderkey", "o_custkey", "o_orderstatus", "o_totalprice", "o_orderdate", "o_orderpriority", "o_clerk", "o_shippriority", "o_comment"},
		Kinds:   []Kind{Int, Int, Text, Numeric, Date, Text, Text, Int, Text}}
	lineitem = &Table{Name: "lineitem",
		Columns: []string{"l_orderkey", "l_partkey", "l_suppkey", "l_linenumber", "l_quantity", "l_extendedprice", "l_discount", "l_tax",
			"l_returnflag", "l_linestatus", "l_shipdate", "l_commitdate", "l_receiptdate", "l_shipinstruct", "l_shipmode", "l_comment"},
		Kinds: []Kind{Int, Int, Int, Int, Numeric, Numeric, Numeric, Numeric, Text, Text, Date, Date, Date, Text, Text, Text}}
	days := int(endDate.Sub(startDate).Hours()/24) - 151
	for i := 1; i <= g.orders; i++ {
		// Order keys are sparse: the first 8 of every 32.
		key := (i-1)/8*32 + (i-1)%8 + 1
		// A third of the customers (custkey divisible by 3) place no orders.
		cust := between(r, 1, g.customers)
		for g.customers >= 3 && cust%3 == 0 {
			cust = between(r, 1, g.customers)
		}
		odate := startDate.AddDate(0, 0, r.IntN(days+1))
		var total int64
		var shipped, open int
		lines := between(r, 1, 7)
		for ln := 1; ln <= lines; ln++ {
			part := between(r, 1, g.parts)
			supp := g.partSupplier(part, r.IntN(4))
			qty := int64(between(r, 1, 50))
			ext := qty * retailPrice(part)
			disc := int64(between(r, 0, 10))
			tax := int64(between(r, 0, 8))
			// Cents of ext*(1+tax)*(1-disc), rounded half up.
			total += (ext*(100+tax)*(100-disc) + 5000) / 10000
			ship := odate.AddDate(0, 0, between(r, 1, 121))
			commit := odate.AddDate(0, 0, between(r, 30, 90))
			receipt := ship.AddDate(0, 0, between(r, 1, 30))
			flag := "N"
			if !receipt.After(currentDate) {
				flag = pick(r, []string{"R", "A"})
			}
			status := "O"
			if !ship.After(currentDate) {
				status = "F"
				shipped++
			} else {
				open++
			}
			lineitem.Rows = append(lineitem.Rows, []string{itoa(key), itoa(part), itoa(supp), itoa(ln),
				tpc.Cents(qty * 100), tpc.Cents(ext), tpc.Cents(disc), tpc.Cents(tax), flag, status,
				date(ship), date(commit), date(receipt), pick(r, instructs), pick(r, modes), comment(r, 10, 43)})
		}
		ostatus := "P"
		switch {
		case open == 0:
			ostatus = "F"
		case shipped == 0:
			ostatus = "O"
		}
		orders.Rows = append(orders.Rows, []string{itoa(key), itoa(cust), ostatus, tpc.Cents(total), date(odate),
			pick(r, priorities), fmt.Sprintf("Clerk#%09d", between(r, 1, g.clerks)), "0", comment(r, 19, 78)})
	}
	return lineitem, orders
}

// The words of comment text: a simplified form of the spec's text grammar.
var (
	nouns = strings.Fields(`foxes ideas theodolites pinto beans instructions dependencies excuses
platelets asymptotes courts dolphins multipliers sauternes warthogs frets dinos attainments
somas Tiresias patterns forges braids hockey players frays warhorses dugouts notornis
epitaphs pearls tithes waters orbits gifts sheaves depths sentiments decoys realms pains
grouches escapades packages requests accounts deposits`)
	verbs = strings.Fields(`sleep wake are cajole haggle nag use boost affix detect integrate
maintain nod was lose sublate solve thrash promise engage hinder print x-ray breach eat grow
impress mold poach serve run dazzle snooze doze unwind kindle play hang believe doubt`)
	adjectives = strings.Fields(`special pending unusual express furious sly careful blithe quick
fluffy slow quiet ruthless thin close dogged daring brave stealthy permanent enticing idle
busy regular final ironic even bold silent`)
	adverbs = strings.Fields(`sometimes always never furiously slyly carefully blithely quickly
fluffily slowly quietly ruthlessly thinly closely doggedly daringly bravely stealthily
permanently enticingly idly busily regularly finally ironically evenly boldly silently`)
	prepositions = strings.Fields(`about above according across after against along alongside among
around at atop before behind beneath beside besides between beyond by despite during except
for from in inside instead into near of on outside over past since through throughout to
toward under until up upon without with within`)
	terminators = []string{".", ";", ":", "?", "!", "--"}
)

// sentence is one sentence of the grammar: adjective noun verb adverb [preposition the
// adjective noun].
func sentence(r *rand.Rand) string {
	s := pick(r, adjectives) + " " + pick(r, nouns) + " " + pick(r, verbs) + " " + pick(r, adverbs)
	if r.IntN(2) == 0 {
		s += " " + pick(r, prepositions) + " the " + pick(r, adjectives) + " " + pick(r, nouns)
	}
	return s + pick(r, terminators)
}

// comment is text of lo to hi bytes, cut at a word boundary.
func comment(r *rand.Rand, lo, hi int) string {
	want := between(r, lo, hi)
	var b strings.Builder
	for b.Len() < want {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(sentence(r))
	}
	s := b.String()
	if len(s) > want {
		s = s[:want]
		if i := strings.LastIndexByte(s, ' '); i >= lo {
			s = s[:i]
		}
	}
	return strings.TrimSpace(s)
}

// seed is the seed of every table's random stream. Q18 selects orders whose quantities sum
// to more than 300, about one in 20,000 orders: this seed gives such orders at scale factor
// 0.005, and three suppliers in SAUDI ARABIA for Q21.
const seed = 0x7c9c_5f20
