#!/usr/bin/env bash
# Make sure what the integration, reliability and browser suites need is running:
# PostgreSQL, Redis, RabbitMQ, Debian's Chromium and libfaketime, docker-compose (v1,
# Python) for the check of deploy/compose.yaml and promtool for the alert rules. Start
# what stopped; fail (never skip) when a service cannot be had.
set -euo pipefail
pg_host=127.0.0.1; pg_port=5432

have_pg() { pg_isready -q -h "$pg_host" -p "$pg_port" 2>/dev/null; }
have_redis() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

if ! have_pg; then
  echo "PostgreSQL is not answering; starting it..." >&2
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
  for _ in $(seq 30); do have_pg && break; sleep 1; done
  have_pg || { echo "FATAL: PostgreSQL is required at $pg_host:$pg_port and could not be started." >&2; exit 1; }
fi
if ! have_redis; then
  echo "Redis is not answering; starting it..." >&2
  if command -v redis-server >/dev/null; then
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  fi
  for _ in $(seq 30); do have_redis && break; sleep 1; done
  have_redis || { echo "FATAL: Redis is required at 127.0.0.1:6379 and could not be started." >&2; exit 1; }
fi
# RabbitMQ, the production broker: tests/integration/test_rabbitmq_broker.py makes a vhost
# of its own with rabbitmqctl and runs the engine's crash tests on it.
have_rabbitmq() { rabbitmqctl -q status >/dev/null 2>&1; }
if ! command -v rabbitmqctl >/dev/null; then
  echo "Installing Debian's rabbitmq-server for the broker tests..." >&2
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >&2
  fi
fi
if command -v rabbitmqctl >/dev/null && ! have_rabbitmq; then
  echo "RabbitMQ is not answering; starting it..." >&2
  (service rabbitmq-server start || rabbitmq-server -detached) >&2 || true
  for _ in $(seq 60); do have_rabbitmq && break; sleep 1; done
fi
have_rabbitmq || { echo "FATAL: RabbitMQ is required at 127.0.0.1:5672 (rabbitmqctl status failed)." >&2; exit 1; }
# docker-compose validates deploy/compose.yaml offline (tests/unit/test_deploy_files.py).
if ! command -v docker-compose >/dev/null; then
  echo "Installing Debian's docker-compose to check deploy/compose.yaml..." >&2
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >&2
  fi
  command -v docker-compose >/dev/null || { echo "FATAL: docker-compose is required (apt-get install docker-compose)." >&2; exit 1; }
fi
# promtool checks and unit-tests the alert rules (tests/unit/test_monitoring_files.py). It
# comes with Debian's prometheus package, whose server is kept from starting (policy-rc.d
# refuses every service start during that one install): only the tool is wanted.
if ! command -v promtool >/dev/null; then
  echo "Installing Debian's prometheus package for promtool..." >&2
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >&2
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >&2 || true
      rm -f /usr/sbin/policy-rc.d
    else
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >&2 || true
    fi
  fi
  command -v promtool >/dev/null || { echo "FATAL: promtool is required (apt-get install prometheus)." >&2; exit 1; }
fi
if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian's chromium for the browser tests..." >&2
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  fi
  [ -x /usr/bin/chromium ] || { echo "FATAL: /usr/bin/chromium is required for the browser tests." >&2; exit 1; }
fi
# libfaketime: the fault catalogue runs workers whose clocks are an hour off.
if [ ! -e /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 ]; then
  echo "Installing Debian's faketime for the clock-skew fault test..." >&2
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >&2
  fi
  [ -e /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 ] || { echo "FATAL: libfaketime is required for the reliability tests (apt-get install faketime)." >&2; exit 1; }
fi
# The tests' database role: trust auth as postgres (or root) on loopback.
for role in postgres root; do
  if psql -h "$pg_host" -U "$role" -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
    echo "$role"; exit 0
  fi
done
echo "FATAL: cannot log in to PostgreSQL as postgres or root." >&2
exit 1
