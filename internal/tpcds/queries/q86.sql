-- TPC-DS Q86 over store_sales instead of web_sales: sales by category and class, rolled up
-- and ranked within each parent. i_class is added to the ORDER BY: the spec's keys leave ties.
-- As PostgreSQL refuses an output name inside an ORDER BY expression, the query is wrapped
-- in a subquery, the usual PostgreSQL form of the spec's text.
select * from (
select
    sum(ss_ext_sales_price) as total_sum
   ,i_category
   ,i_class
   ,grouping(i_category)+grouping(i_class) as lochierarchy
   ,rank() over (
 	partition by grouping(i_category)+grouping(i_class),
 	case when grouping(i_class) = 0 then i_category end
 	order by sum(ss_ext_sales_price) desc) as rank_within_parent
 from
    store_sales
   ,date_dim       d1
   ,item
 where
    d1.d_month_seq between 1200 and 1200+11
 and d1.d_date_sk = ss_sold_date_sk
 and i_item_sk  = ss_item_sk
 group by rollup(i_category,i_class)
) x
 order by
   lochierarchy desc
  ,case when lochierarchy = 0 then i_category end
  ,rank_within_parent
  ,i_class
 limit 100;
