-- TPC-DS Q77, store channel only: sales and profit per store from two WITH queries joined,
-- rolled up over channel and id.
with ss as
 (select s_store_sk,
         sum(ss_ext_sales_price) as sales,
         sum(ss_net_profit) as profit
 from store_sales,
      date_dim,
      store
 where ss_sold_date_sk = d_date_sk
       and d_date between cast('2000-08-23' as date)
                  and (cast('2000-08-23' as date) + 30)
       and ss_store_sk = s_store_sk
 group by s_store_sk),
 sr as
 (select s_store_sk,
         count(*) as returns
 from store_sales,
      date_dim,
      store
 where ss_sold_date_sk = d_date_sk
       and d_date between cast('2000-08-23' as date)
                  and (cast('2000-08-23' as date) + 30)
       and ss_store_sk = s_store_sk
       and ss_net_profit < 0
 group by s_store_sk)
 select  channel
        , id
        , sum(sales) as sales
        , sum(returns) as returns
        , sum(profit) as profit
 from
 (select 'store channel' as channel
        , ss.s_store_sk as id
        , sales
        , coalesce(returns, 0) as returns
        , profit
 from   ss left join sr
        on  ss.s_store_sk = sr.s_store_sk
 ) x
 group by rollup (channel, id)
 order by channel
         ,id
 limit 100;
