#!/bin/bash
# /mnt/user/appdata/jutsu/scripts/sync_staging.sh
# Syncs production data to staging database nightly

set -e

# Configuration
PROD_DB="jutsu_labs"
STAGING_DB="jutsu_labs_staging"
PG_HOST="localhost"
PG_PORT="5423"
PG_USER="jutsu"
export PGPASSWORD="<password>"

# Tables to sync (only historical/reference data)
SYNC_TABLES=("market_data" "performance_snapshots")

# Log file
LOG_FILE="/mnt/user/appdata/jutsu/logs/staging_sync.log"

echo "$(date '+%Y-%m-%d %H:%M:%S') - Starting staging sync" >> "$LOG_FILE"

for TABLE in "${SYNC_TABLES[@]}"; do
    echo "$(date '+%Y-%m-%d %H:%M:%S') - Syncing table: $TABLE" >> "$LOG_FILE"
    
    # Truncate staging table
    psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$STAGING_DB" \
        -c "TRUNCATE TABLE $TABLE CASCADE;" >> "$LOG_FILE" 2>&1
    
    # Copy data from production
    pg_dump -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" \
        -t "$TABLE" --data-only "$PROD_DB" | \
    psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$STAGING_DB" >> "$LOG_FILE" 2>&1
    
    # Get row count
    COUNT=$(psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$STAGING_DB" \
        -t -c "SELECT COUNT(*) FROM $TABLE;")
    echo "$(date '+%Y-%m-%d %H:%M:%S') - $TABLE: $COUNT rows synced" >> "$LOG_FILE"
done

echo "$(date '+%Y-%m-%d %H:%M:%S') - Staging sync complete" >> "$LOG_FILE"

unset PGPASSWORD
