package tpcds

// Schema holds the CREATE TABLE statements of the generated tables, in load order: the
// spec's columns that the queries use, with the spec's types (money columns numeric(7,2),
// identifiers text) and its primary keys, which sleeperd uses as row keys.
var Schema = []string{
	`CREATE TABLE date_dim (
	d_date_sk   integer NOT NULL,
	d_date      date NOT NULL,
	d_month_seq integer NOT NULL,
	d_year      integer NOT NULL,
	d_moy       integer NOT NULL,
	d_qoy       integer NOT NULL,
	PRIMARY KEY (d_date_sk))`,
	`CREATE TABLE item (
	i_item_sk       integer NOT NULL,
	i_item_id       text NOT NULL,
	i_brand         text NOT NULL,
	i_class         text NOT NULL,
	i_category      text NOT NULL,
	i_product_name  text NOT NULL,
	i_current_price numeric(7,2) NOT NULL,
	PRIMARY KEY (i_item_sk))`,
	`CREATE TABLE store (
	s_store_sk integer NOT NULL,
	s_store_id text NOT NULL,
	s_state    text NOT NULL,
	s_county   text NOT NULL,
	PRIMARY KEY (s_store_sk))`,
	`CREATE TABLE customer_demographics (
	cd_demo_sk          integer NOT NULL,
	cd_gender           text NOT NULL,
	cd_marital_status   text NOT NULL,
	cd_education_status text NOT NULL,
	PRIMARY KEY (cd_demo_sk))`,
	`CREATE TABLE store_sales (
	ss_sold_date_sk    integer,
	ss_item_sk         integer NOT NULL,
	ss_store_sk        integer,
	ss_cdemo_sk        integer,
	ss_ticket_number   integer NOT NULL,
	ss_quantity        integer,
	ss_list_price      numeric(7,2),
	ss_sales_price     numeric(7,2),
	ss_coupon_amt      numeric(7,2),
	ss_ext_sales_price numeric(7,2),
	ss_net_profit      numeric(7,2),
	PRIMARY KEY (ss_item_sk, ss_ticket_number))`,
	`CREATE TABLE inventory (
	inv_date_sk          integer NOT NULL,
	inv_item_sk          integer NOT NULL,
	inv_quantity_on_hand integer,
	PRIMARY KEY (inv_date_sk, inv_item_sk))`,
}
