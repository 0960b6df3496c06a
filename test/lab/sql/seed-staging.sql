-- Staging seed (jutsu_labs_staging): its own operational state, a staging-only table.
-- market_data and performance_snapshots were copied from a subset of production before this runs.
SELECT setval(pg_get_serial_sequence('market_data', 'id'), coalesce((SELECT max(id) FROM market_data), 1));
SELECT setval(pg_get_serial_sequence('performance_snapshots', 'id'), coalesce((SELECT max(id) FROM performance_snapshots), 1));

INSERT INTO positions (symbol, mode, quantity, avg_cost, market_value, opened_at) VALUES
    ('SQQQ', 'paper', 1000, 17.2000, 17550.00, now() - interval '3 days'),
    ('TMF',  'paper', 1500, 7.1200,  11025.00, now() - interval '9 days');

INSERT INTO live_trades (executed_at, symbol, side, quantity, price, mode, strategy, order_id) VALUES
    (now() - interval '9 days', 'TMF',  'BUY', 1500, 7.1200,  'paper', 'Hierarchical_Adaptive_v3_6_beta', 'PAPER-000001'),
    (now() - interval '3 days', 'SQQQ', 'BUY', 1000, 17.2000, 'paper', 'Hierarchical_Adaptive_v3_6_beta', 'PAPER-000002');

INSERT INTO system_state (key, value) VALUES
    ('environment', 'staging'),
    ('scheduler_status', 'paused'),
    ('trading_mode', 'paper'),
    ('last_trade_run', to_char(now() - interval '3 days', 'YYYY-MM-DD"T"HH24:MI:SSOF')),
    ('schwab_token_status', 'disabled');

INSERT INTO config_overrides (key, value, description) VALUES
    ('strategy.active', 'Hierarchical_Adaptive_v3_6_beta', 'Strategy under test on staging'),
    ('risk.max_position_pct', '0.50', 'Looser limit for paper trading');

CREATE TABLE backtest_annotations (
    id             serial PRIMARY KEY,
    market_data_id bigint NOT NULL REFERENCES market_data (id),
    note           text   NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
INSERT INTO backtest_annotations (market_data_id, note)
SELECT id, note FROM (
    SELECT (SELECT min(id) FROM market_data WHERE symbol = 'TQQQ') AS id, 'regime change: vol spike, v3.6 exits early' AS note
    UNION ALL SELECT (SELECT max(id) FROM market_data WHERE symbol = 'QQQ'), 'compare v3.5b vs v3.6 entry on this bar'
    UNION ALL SELECT (SELECT max(id) FROM market_data WHERE symbol = 'TLT'), 'bond hedge kicked in'
    UNION ALL SELECT (SELECT min(id) FROM market_data WHERE symbol = 'SPY'), 'baseline bar for drawdown study'
) a WHERE id IS NOT NULL;
