-- TPC-DS Q5, store channel only: sales and profit per store over a 14-day window, from a
-- WITH query, rolled up over channel and id.
with ssr as
 (select s_store_id,
        sum(sales_price) as sales,
        sum(profit) as profit
 from
  ( select  ss_store_sk as store_sk,
            ss_sold_date_sk  as date_sk,
            ss_ext_sales_price as sales_price,
            ss_net_profit as profit
    from store_sales
   ) salesreturns,
     date_dim,
     store
 where date_sk = d_date_sk
       and d_date between cast('2000-08-23' as date)
                  and (cast('2000-08-23' as date) + 14)
       and store_sk = s_store_sk
 group by s_store_id)
 select  channel
        , id
        , sum(sales) as sales
        , sum(profit) as profit
 from
 (select 'store channel' as channel
        , 'store' || s_store_id as id
        , sales
        , profit
 from   ssr
 ) x
 group by rollup (channel, id)
 order by channel
         ,id
 limit 100;
