"""Shared limits in Redis: every decision is one atomic Lua script on the server's clock.

Each (tenant, dependency) has a hash with the bucket and breaker fields of
``rules.LimitState`` and a sorted set of bulkhead slots scored by their expiry. The
script below is rules.py written in Lua, so a decision reads and writes the state in
one step no other worker can interleave with, and it reads the time with Redis ``TIME``:
the workers' own clocks, which drift, never matter (docs/adr/0005-distributed-limits.md).
Keys expire after a day without use; a dependency nobody calls has a full bucket and a
closed breaker anyway.
"""

from __future__ import annotations

from functools import cached_property

import redis

from .policy import DependencyLimits
from .rules import Decision, LimitState

KEY_TTL_SECONDS = 86_400

# ARGV: op, now ('' = Redis TIME), tps (0 = off), capacity, failure_threshold (0 = off),
# recovery_time, half_open_probes, concurrency (0 = off), hold_seconds, key ttl, extra
# (admit: slot; release: slot or ''; record: '1'/'0'; defer: until).
LIMITS_SCRIPT = """
local op = ARGV[1]
local now = tonumber(ARGV[2])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local tps = tonumber(ARGV[3])
local capacity = tonumber(ARGV[4])
local threshold = tonumber(ARGV[5])
local recovery = tonumber(ARGV[6])
local max_probes = tonumber(ARGV[7])
local concurrency = tonumber(ARGV[8])
local hold = tonumber(ARGV[9])
local key_ttl = tonumber(ARGV[10])
local extra = ARGV[11]

local raw = redis.call('HGETALL', KEYS[1])
local s = {}
for i = 1, #raw, 2 do s[raw[i]] = raw[i + 1] end
local tokens = tonumber(s.tokens)
local refilled_at = tonumber(s.refilled_at) or 0
local breaker = s.breaker or 'closed'
local failures = tonumber(s.failures) or 0
local open_until = tonumber(s.open_until) or 0
local probes = tonumber(s.probes) or 0
local probe_deadline = tonumber(s.probe_deadline) or 0
local deferred_until = tonumber(s.deferred_until) or 0
local next_retry_at = tonumber(s.next_retry_at) or 0

local function f(x) return string.format('%.6f', x) end

local function save()
  local fields = {'refilled_at', f(refilled_at), 'breaker', breaker,
    'failures', failures, 'open_until', f(open_until), 'probes', probes,
    'probe_deadline', f(probe_deadline), 'deferred_until', f(deferred_until),
    'next_retry_at', f(next_retry_at)}
  if tokens then
    table.insert(fields, 'tokens'); table.insert(fields, f(tokens))
  end
  redis.call('HSET', KEYS[1], unpack(fields))
  redis.call('EXPIRE', KEYS[1], key_ttl)
  if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('EXPIRE', KEYS[2], key_ttl) end
end

local function refill()
  if tps == 0 then return end
  if not tokens then tokens = capacity; refilled_at = now end
  if now > refilled_at then
    tokens = tokens + (now - refilled_at) * tps
    refilled_at = now
  end
  if tokens > capacity then tokens = capacity end
end

redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)

-- rules.reserve_retry: held callers come back one token-interval apart.
local function reserve_retry(earliest)
  if tps == 0 then return earliest end
  local retry = math.max(earliest, next_retry_at)
  next_retry_at = retry + 1 / tps
  return retry
end

local function first_token_after_deferral()
  if tps == 0 then return deferred_until end
  return deferred_until + 1 / tps
end

if op == 'admit' then
  if deferred_until > now then
    local retry = reserve_retry(first_token_after_deferral())
    save()
    return {0, f(retry), 'throttled', f(now)}
  end
  local probe = false
  if threshold > 0 then
    if breaker == 'open' then
      if now < open_until then
        return {0, f(open_until), 'circuit_open', f(now)}
      end
      breaker = 'half_open'; probes = 0; probe_deadline = 0
    end
    if breaker == 'half_open' then
      if now >= probe_deadline then probes = 0 end
      if probes >= max_probes then
        save()
        return {0, f(math.min(probe_deadline, now + recovery)), 'circuit_open', f(now)}
      end
      probe = true
    end
  end
  if concurrency > 0 and redis.call('ZCARD', KEYS[2]) >= concurrency then
    local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    save()
    return {0, f(math.min(tonumber(first[2]), now + 1.0)), 'bulkhead_full', f(now)}
  end
  if tps > 0 then
    refill()
    if tokens < 1 - 0.000004 * tps then  -- rules.CLOCK_SLACK_SECONDS
      local retry = reserve_retry(now + (1 - tokens) / tps)
      save()
      return {0, f(retry), 'throttled', f(now)}
    end
    tokens = tokens - 1
  end
  if concurrency > 0 then redis.call('ZADD', KEYS[2], now + hold, extra) end
  if probe then probes = probes + 1; probe_deadline = now + hold end
  save()
  return {1, '', '', f(now)}
elseif op == 'release' then
  if extra ~= '' then
    redis.call('ZREM', KEYS[2], extra)
  else
    redis.call('ZPOPMIN', KEYS[2])
  end
  return {1, '', '', f(now)}
elseif op == 'record' then
  if threshold == 0 then return {1, '', '', f(now)} end
  if breaker == 'closed' then
    if extra == '1' then
      failures = 0
    else
      failures = failures + 1
      if failures >= threshold then breaker = 'open'; open_until = now + recovery end
    end
  elseif breaker == 'half_open' then
    if extra == '1' then
      breaker = 'closed'; failures = 0; probes = 0
    else
      breaker = 'open'; open_until = now + recovery; probes = 0
    end
  end
  save()
  return {1, '', '', f(now)}
elseif op == 'defer' then
  local untl = tonumber(extra)
  if untl > deferred_until then
    deferred_until = untl
    if tps > 0 then tokens = 0; refilled_at = untl end
  end
  local retry = reserve_retry(first_token_after_deferral())
  save()
  return {1, f(retry), '', f(now)}
end
return redis.error_reply('unknown limits operation ' .. op)
"""


class RedisLimits:
    """The backend used whenever ``REDIS_URL`` is set (production)."""

    name = "redis"

    def __init__(self, url: str) -> None:
        self.url = url

    @cached_property
    def client(self) -> redis.Redis:
        # redis-py's pool notices a fork and reconnects, so one client per process is safe.
        # Short timeouts: a worker asking for admission must get an answer, not hang.
        return redis.Redis.from_url(
            self.url, decode_responses=True, socket_connect_timeout=2, socket_timeout=5
        )

    @cached_property
    def script(self):
        return self.client.register_script(LIMITS_SCRIPT)

    @staticmethod
    def keys(tenant_id: int, limits: DependencyLimits) -> list[str]:
        # The hash tag keeps both keys in one Redis Cluster slot, as a script requires.
        tag = f"{{wi:limits:{int(tenant_id)}:{limits.name}}}"
        return [f"{tag}:state", f"{tag}:slots"]

    def _run(self, op: str, tenant_id: int, limits: DependencyLimits, now, extra: str = ""):
        args = [
            op,
            "" if now is None else repr(float(now)),
            limits.tps or 0,
            limits.capacity,
            limits.failure_threshold or 0,
            limits.recovery_time,
            limits.half_open_probes,
            limits.concurrency or 0,
            limits.hold_seconds,
            KEY_TTL_SECONDS,
            extra,
        ]
        admitted, retry_at, reason, at = self.script(keys=self.keys(tenant_id, limits), args=args)
        return Decision(bool(admitted), float(retry_at) if retry_at else None, reason), float(at)

    def admit(self, tenant_id: int, limits: DependencyLimits, now: float | None, slot: str):
        return self._run("admit", tenant_id, limits, now, slot)

    def release(self, tenant_id: int, limits: DependencyLimits, now, slot: str | None) -> None:
        self._run("release", tenant_id, limits, now, slot or "")

    def record_result(self, tenant_id: int, limits: DependencyLimits, now, ok: bool) -> None:
        self._run("record", tenant_id, limits, now, "1" if ok else "0")

    def defer(self, tenant_id: int, limits: DependencyLimits, now, until: float) -> float:
        decision, _ = self._run("defer", tenant_id, limits, now, repr(float(until)))
        assert decision.retry_at is not None  # the script always says when to come back
        return decision.retry_at

    def load(self, tenant_id: int, limits: DependencyLimits, now: float | None):
        """The current state (read in one MULTI) and the clock it was read at."""
        state_key, slots_key = self.keys(tenant_id, limits)
        pipe = self.client.pipeline(transaction=True)
        # One queued command per statement: redis-py types a pipeline's commands with the
        # client's return types (a dict for hgetall), not the pipeline they return.
        pipe.hgetall(state_key)
        pipe.zrange(slots_key, 0, -1, withscores=True)
        pipe.time()
        raw, slots, (seconds, micros) = pipe.execute()
        at = float(now) if now is not None else seconds + micros / 1_000_000
        state = LimitState(
            tokens=float(raw["tokens"]) if "tokens" in raw else None,
            refilled_at=float(raw.get("refilled_at", 0)),
            breaker=raw.get("breaker", "closed"),
            failures=int(raw.get("failures", 0)),
            open_until=float(raw.get("open_until", 0)),
            probes=int(raw.get("probes", 0)),
            probe_deadline=float(raw.get("probe_deadline", 0)),
            deferred_until=float(raw.get("deferred_until", 0)),
            next_retry_at=float(raw.get("next_retry_at", 0)),
            slots=dict(slots),
        )
        return state, at
