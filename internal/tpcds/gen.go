package tpcds

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
var ErrScale = errors.New("tpcds: scale factor must be in (0, 1]")

var (
	categories = []string{"Books", "Children", "Electronics", "Home", "Jewelry", "Men", "Music", "Shoes", "Sports", "Women"}
	classes    = []string{"classical", "pop", "rock", "country", "dresses", "athletic", "fiction", "history"}
	states     = []string{"TN", "SD", "AL", "GA", "OH", "MI", "TX", "IL", "CA", "NY"}
	counties   = []string{"Williamson County", "Ziebach County", "Walker County", "Fairfield County", "Bronx County"}
	genders    = []string{"M", "F"}
	marital    = []string{"S", "M", "D", "W", "U"}
	education  = []string{"Primary", "Secondary", "College", "2 yr Degree", "4 yr Degree", "Advanced Degree", "Unknown"}
)

// Generate returns the tables at scale factor sf, in the order of Schema: 2,000 items,
// 100 stores and 2,000,000 store sales at scale 1 (at least 20 items, 10 stores and 2,000
// sales), dates from 1998 to 2003, and an inventory count per item each week of 2000.
// It is deterministic.
func Generate(sf float64) ([]*Table, error) {
	if !(sf > 0 && sf <= 1) {
		return nil, ErrScale
	}
	r := rand.New(rand.NewPCG(18, uint64(sf*1e6)))
	nItems := max(20, int(2000*sf))
	nStores := max(10, int(100*sf))
	nSales := max(2000, int(2000000*sf))

	dates := &Table{Name: "date_dim", Columns: []string{"d_date_sk", "d_date", "d_month_seq", "d_year", "d_moy", "d_qoy"},
		Kinds: []Kind{Int, Date, Int, Int, Int, Int}}
	first := time.Date(1998, 1, 1, 0, 0, 0, 0, time.UTC)
	const firstSK = 2450815 // dsdgen's d_date_sk of 1998-01-01
	var days []time.Time
	for d := first; d.Year() <= 2003; d = d.AddDate(0, 0, 1) {
		days = append(days, d)
		seq := (d.Year()-2000)*12 + int(d.Month()) - 1 + 1200
		dates.Rows = append(dates.Rows, []string{itoa(firstSK + len(days) - 1), d.Format("2006-01-02"), itoa(seq),
			itoa(d.Year()), itoa(int(d.Month())), itoa((int(d.Month())-1)/3 + 1)})
	}

	items := &Table{Name: "item", Columns: []string{"i_item_sk", "i_item_id", "i_brand", "i_class", "i_category", "i_product_name", "i_current_price"},
		Kinds: []Kind{Int, Text, Text, Text, Text, Text, Numeric}}
	for i := 1; i <= nItems; i++ {
		cat := categories[r.IntN(len(categories))]
		class := classes[r.IntN(len(classes))]
		brand := fmt.Sprintf("%sbrand #%d", strings.ToLower(cat[:3]), 1+r.IntN(6))
		// Items share an item id in pairs, as dsdgen's revisions of an item do.
		id := fmt.Sprintf("AAAAAAAA%08d", (i+1)/2)
		items.Rows = append(items.Rows, []string{itoa(i), id, brand, class, cat, "product" + itoa(i), money(r, 100, 9999)})
	}

	stores := &Table{Name: "store", Columns: []string{"s_store_sk", "s_store_id", "s_state", "s_county"}, Kinds: []Kind{Int, Text, Text, Text}}
	for i := 1; i <= nStores; i++ {
		stores.Rows = append(stores.Rows, []string{itoa(i), fmt.Sprintf("AAAAAAAA%04d", i), states[r.IntN(len(states))], counties[r.IntN(len(counties))]})
	}

	demos := &Table{Name: "customer_demographics", Columns: []string{"cd_demo_sk", "cd_gender", "cd_marital_status", "cd_education_status"},
		Kinds: []Kind{Int, Text, Text, Text}}
	for _, g := range genders {
		for _, m := range marital {
			for _, e := range education {
				demos.Rows = append(demos.Rows, []string{itoa(len(demos.Rows) + 1), g, m, e})
			}
		}
	}

	sales := &Table{Name: "store_sales", Columns: []string{"ss_sold_date_sk", "ss_item_sk", "ss_store_sk", "ss_cdemo_sk", "ss_ticket_number",
		"ss_quantity", "ss_list_price", "ss_sales_price", "ss_coupon_amt", "ss_ext_sales_price", "ss_net_profit"},
		Kinds: []Kind{Int, Int, Int, Int, Int, Int, Numeric, Numeric, Numeric, Numeric, Numeric}}
	for t := 1; t <= nSales; t++ {
		day := 365 + r.IntN(4*365) // 1999 to 2002
		qty := 1 + r.IntN(100)
		list := 100 + r.IntN(19900)            // cents
		sale := list * (50 + r.IntN(51)) / 100 // 50% to 100% of the list price
		coupon := 0
		if r.IntN(5) == 0 {
			coupon = r.IntN(sale/2 + 1)
		}
		ext := sale * qty
		if ext > 9999999 {
			ext = 9999999
		}
		profit := ext - list*qty*7/10
		if profit < -9999999 {
			profit = -9999999
		}
		row := []string{itoa(firstSK + day), itoa(1 + r.IntN(nItems)), itoa(1 + r.IntN(nStores)), itoa(1 + r.IntN(len(demos.Rows))),
			itoa(t), itoa(qty), cents(list), cents(sale), cents(coupon), cents(ext), cents(profit)}
		// A few rows lack their foreign keys or measures, as dsdgen's do.
		if r.IntN(50) == 0 {
			row[2+r.IntN(2)] = ""
		}
		if r.IntN(50) == 0 {
			row[5] = ""
		}
		sales.Rows = append(sales.Rows, row)
	}

	inv := &Table{Name: "inventory", Columns: []string{"inv_date_sk", "inv_item_sk", "inv_quantity_on_hand"}, Kinds: []Kind{Int, Int, Int}}
	for d := 2*365 + 2; d < 3*365+1; d += 7 { // each Monday of 2000, from 2000-01-03
		for i := 1; i <= nItems; i++ {
			q := itoa(r.IntN(1000))
			if r.IntN(40) == 0 {
				q = ""
			}
			inv.Rows = append(inv.Rows, []string{itoa(firstSK + d), itoa(i), q})
		}
	}
	return []*Table{dates, items, stores, demos, sales, inv}, nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// cents writes an amount of cents as a decimal.
func cents(c int) string { return tpc.Cents(int64(c)) }

// money is a random amount between lo and hi cents.
func money(r *rand.Rand, lo, hi int) string { return cents(lo + r.IntN(hi-lo+1)) }
