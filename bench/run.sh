#!/usr/bin/env bash
# The engine benchmark in one command: W1 (10-step no-op workflow over 10,000 instances),
# W2 (1 -> 100 -> 1 fan-out/fan-in over 1,000 instances)
# and W3 (one instance start-to-complete latency) on real PostgreSQL, Redis and 2 Celery
# worker processes, with the pgbench ceiling and a bare Celery chain measured in the same
# run. Writes bench/RESULTS.md. Not part of ./test.
#   bench/run.sh                 # full run
#   bench/run.sh --instances 2000 --w2-parents 100 --no-write   # a quick look
set -euo pipefail
cd "$(dirname "$0")/.."
pg_user="$(scripts/ensure-services.sh)"
db="${WI_BENCH_DB:-wi_bench}"
export DATABASE_URL="postgres://$pg_user@127.0.0.1:5432/$db"
export REDIS_URL="redis://127.0.0.1:6379/${WI_BENCH_REDIS_DB:-2}"
export LOG_LEVEL=WARNING
dropdb -h 127.0.0.1 -U "$pg_user" --if-exists "$db"
createdb -h 127.0.0.1 -U "$pg_user" "$db"
.venv/bin/python manage.py migrate -v 0
exec .venv/bin/python -m bench.engine_bench "$@"
