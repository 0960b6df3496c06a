-- jutsu-labs schema (same in jutsu_labs and jutsu_labs_staging); run as role jutsu.
CREATE TABLE market_data (
    id          bigserial PRIMARY KEY,
    symbol      text        NOT NULL,
    ts          timestamptz NOT NULL,
    open        numeric(14,4) NOT NULL,
    high        numeric(14,4) NOT NULL,
    low         numeric(14,4) NOT NULL,
    close       numeric(14,4) NOT NULL,
    volume      bigint      NOT NULL DEFAULT 0,
    UNIQUE (symbol, ts)
);
CREATE INDEX market_data_ts_idx ON market_data (ts);

CREATE TABLE performance_snapshots (
    id                bigserial PRIMARY KEY,
    snapshot_time     timestamptz NOT NULL,
    strategy          text        NOT NULL,
    mode              text        NOT NULL DEFAULT 'live',
    total_equity      numeric(16,2) NOT NULL,
    cash              numeric(16,2) NOT NULL,
    positions_value   numeric(16,2) NOT NULL,
    daily_return      numeric(10,6),
    cumulative_return numeric(10,6),
    drawdown          numeric(10,6),
    UNIQUE (strategy, mode, snapshot_time)
);

CREATE TABLE positions (
    id          serial PRIMARY KEY,
    symbol      text        NOT NULL,
    mode        text        NOT NULL DEFAULT 'live',
    quantity    numeric(16,4) NOT NULL,
    avg_cost    numeric(14,4) NOT NULL,
    market_value numeric(16,2),
    opened_at   timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (symbol, mode)
);

CREATE TABLE live_trades (
    id          bigserial PRIMARY KEY,
    executed_at timestamptz NOT NULL,
    symbol      text        NOT NULL,
    side        text        NOT NULL CHECK (side IN ('BUY', 'SELL')),
    quantity    numeric(16,4) NOT NULL,
    price       numeric(14,4) NOT NULL,
    mode        text        NOT NULL DEFAULT 'live',
    strategy    text,
    order_id    text UNIQUE,
    status      text        NOT NULL DEFAULT 'FILLED'
);

CREATE TABLE system_state (
    key         text PRIMARY KEY,
    value       text,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE config_overrides (
    id          serial PRIMARY KEY,
    key         text NOT NULL UNIQUE,
    value       text NOT NULL,
    description text,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
