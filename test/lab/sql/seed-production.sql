-- Production seed (jutsu_labs). psql variable :rows = market_data row count.
-- one bar per symbol per weekday (16:00 New York), newest :rows bars, ids ascending with time
WITH sym(symbol, n, base) AS (
    VALUES ('QQQ',0,380.0),('TQQQ',1,45.0),('SQQQ',2,18.0),('SPY',3,450.0),
           ('TLT',4,95.0),('TMF',5,7.5),('UPRO',6,60.0),('PSQ',7,12.0)
), days AS (
    SELECT back FROM generate_series(0, ceil(:rows / 8.0 * 7 / 5)::int + 7) AS back
    WHERE extract(isodow FROM current_date - back) < 6
), gen AS (
    SELECT s.symbol, s.n, s.base, d.back,
           row_number() OVER (ORDER BY d.back, s.n) AS rn
    FROM sym s CROSS JOIN days d
)
INSERT INTO market_data (symbol, ts, open, high, low, close, volume)
SELECT symbol,
       ((current_date - back)::timestamp + time '16:00') AT TIME ZONE 'America/New_York',
       round((p * 0.998)::numeric, 4), round((p * 1.012)::numeric, 4),
       round((p * 0.987)::numeric, 4), round(p::numeric, 4),
       (1000000 + ((back * 7919 + n * 104729) % 9000000))::bigint
FROM (SELECT *, base * (1 + 0.25 * sin((back + n * 13) / 40.0) + 0.05 * cos(back / 7.0)) AS p FROM gen) g
WHERE rn <= :rows
ORDER BY back DESC, n;

INSERT INTO performance_snapshots (snapshot_time, strategy, mode, total_equity, cash, positions_value,
                                   daily_return, cumulative_return, drawdown)
SELECT ((current_date - d)::timestamp + time '16:05') AT TIME ZONE 'America/New_York',
       'Hierarchical_Adaptive_v3_5b', 'live',
       round((100000 * (1 + 0.0006 * (90 - d) + 0.01 * sin(d / 5.0)))::numeric, 2),
       round((12000 + 500 * cos(d / 3.0))::numeric, 2),
       round((100000 * (1 + 0.0006 * (90 - d) + 0.01 * sin(d / 5.0)) - (12000 + 500 * cos(d / 3.0)))::numeric, 2),
       round((0.004 * sin(d))::numeric, 6), round((0.0006 * (90 - d))::numeric, 6),
       round((-0.02 * abs(sin(d / 9.0)))::numeric, 6)
FROM generate_series(0, 89) AS d;

INSERT INTO positions (symbol, mode, quantity, avg_cost, market_value, opened_at) VALUES
    ('TQQQ', 'live', 420, 41.8710, 19740.00, now() - interval '12 days'),
    ('QQQ',  'live', 55,  371.2200, 21285.00, now() - interval '40 days'),
    ('TLT',  'live', 120, 93.4000, 11340.00, now() - interval '5 days');

INSERT INTO live_trades (executed_at, symbol, side, quantity, price, mode, strategy, order_id) VALUES
    (now() - interval '40 days', 'QQQ',  'BUY',  55,  371.2200, 'live', 'Hierarchical_Adaptive_v3_5b', 'SCHW-100001'),
    (now() - interval '12 days', 'TQQQ', 'BUY',  500, 41.8710,  'live', 'Hierarchical_Adaptive_v3_5b', 'SCHW-100002'),
    (now() - interval '8 days',  'TQQQ', 'SELL', 80,  44.1020,  'live', 'Hierarchical_Adaptive_v3_5b', 'SCHW-100003'),
    (now() - interval '5 days',  'TLT',  'BUY',  120, 93.4000,  'live', 'Hierarchical_Adaptive_v3_5b', 'SCHW-100004'),
    (now() - interval '2 days',  'SQQQ', 'BUY',  200, 17.5500,  'live', 'Hierarchical_Adaptive_v3_5b', 'SCHW-100005'),
    (now() - interval '1 day',   'SQQQ', 'SELL', 200, 17.9100,  'live', 'Hierarchical_Adaptive_v3_5b', 'SCHW-100006');

INSERT INTO system_state (key, value) VALUES
    ('environment', 'production'),
    ('scheduler_status', 'running'),
    ('trading_mode', 'live'),
    ('last_market_data_sync', to_char(now() - interval '6 hours', 'YYYY-MM-DD"T"HH24:MI:SSOF')),
    ('last_trade_run', to_char(now() - interval '1 day', 'YYYY-MM-DD"T"HH24:MI:SSOF')),
    ('schwab_token_status', 'valid');

INSERT INTO config_overrides (key, value, description) VALUES
    ('strategy.active', 'Hierarchical_Adaptive_v3_5b', 'Strategy used by the live scheduler'),
    ('risk.max_position_pct', '0.35', 'Largest single position as a fraction of equity'),
    ('scheduler.execution_time', '15:55', 'Daily execution time (America/New_York)');
