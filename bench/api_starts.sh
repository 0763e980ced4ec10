#!/usr/bin/env bash
# Starts through the REST API from concurrent clients (bench/api_starts.py) on a fresh
# PostgreSQL database. Not part of ./test.
#   bench/api_starts.sh --clients 32 --seconds 20
set -euo pipefail
cd "$(dirname "$0")/.."
pg_user="$(scripts/ensure-services.sh)"
db="${WI_BENCH_DB:-wi_api_bench}"
export DATABASE_URL="postgres://$pg_user@127.0.0.1:5432/$db"
export REDIS_URL="redis://127.0.0.1:6379/${WI_BENCH_REDIS_DB:-3}"
export LOG_LEVEL=WARNING
dropdb -h 127.0.0.1 -U "$pg_user" --if-exists --force "$db"
createdb -h 127.0.0.1 -U "$pg_user" "$db"
.venv/bin/python manage.py migrate -v 0
exec .venv/bin/python -m bench.api_starts "$@"
