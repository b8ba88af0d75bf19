"""A small key-value store with expiry, for state several workers must share:
server-side sessions, captcha answers, SMS codes.

`RedisStore` is used when REDIS_URL is set (production, several instances);
`DatabaseStore` keeps the same data in the `kv_entry` table otherwise. Every
operation that must not race (use a code once, send once a minute) is a
single atomic statement in both.
"""
from __future__ import annotations

import random
import time

from flask import current_app
from sqlalchemy import Integer, String, and_, cast, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from models.kv import KVEntry

try:
    from redis import RedisError as _RedisError
except ImportError:  # pragma: no cover
    _RedisError = OSError
#: what an unreachable shared store raises
STORE_ERRORS = (_RedisError, OSError)


def connect(url: str, timeout: float = 0.5, decode: bool = False, read_timeout: float | None = None):
    """A Redis client that gives up fast: short connect and read timeouts and
    no retries, so a dead Redis costs a request at most about `timeout`
    seconds instead of stalling a worker. redis-py reconnects by itself on
    the next call once Redis is back."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis.from_url(url, decode_responses=decode, socket_connect_timeout=timeout,
                                socket_timeout=read_timeout or timeout, retry=Retry(NoBackoff(), 0))


def kv() -> "DatabaseStore | RedisStore":
    return current_app.extensions["kv"]


class DatabaseStore:
    table = KVEntry.__table__

    def __init__(self, engine_getter):
        # A separate connection and transaction for every call: the store's
        # writes never ride on (or commit) a request's unit of work.
        self._engine = engine_getter

    def _run(self, stmt):
        with self._engine().begin() as conn:
            return conn.execute(stmt)

    def _live(self, key):
        return and_(self.table.c.key == key, self.table.c.expires_at > time.time())

    def get(self, key: str) -> str | None:
        with self._engine().connect() as conn:
            return conn.execute(select(self.table.c.value).where(self._live(key))).scalar()

    def set(self, key: str, value: str, ttl: int, owner: str | None = None) -> None:
        expires = time.time() + ttl
        values = {"value": value, "expires_at": expires, "owner": owner}
        if self._run(update(self.table).where(self.table.c.key == key).values(**values)).rowcount == 0:
            try:
                self._run(insert(self.table).values(key=key, **values))
            except IntegrityError:  # created meanwhile by another worker
                self._run(update(self.table).where(self.table.c.key == key).values(**values))
        if random.random() < 0.02:  # nosec B311 - sampling when to purge, not a secret
            self.purge_expired()

    def add(self, key: str, value: str, ttl: int) -> bool:
        """Set only when absent (or expired); True when this call set it."""
        self._run(delete(self.table).where(self.table.c.key == key, self.table.c.expires_at <= time.time()))
        try:
            self._run(insert(self.table).values(key=key, value=value, expires_at=time.time() + ttl))
            return True
        except IntegrityError:
            return False

    def incr(self, key: str, ttl: int, by: int = 1) -> int:
        """Add `by` to a counter (created at `by` with `ttl`); the new value.
        One `UPDATE … SET value = value + by … RETURNING` statement, so
        parallel callers each get their own count and none is lost."""
        c = self.table.c
        for _ in range(5):
            self._run(delete(self.table).where(c.key == key, c.expires_at <= time.time()))
            try:
                self._run(insert(self.table).values(key=key, value=str(by), expires_at=time.time() + ttl))
                return by
            except IntegrityError:
                pass
            stmt = (update(self.table).where(self._live(key))
                    .values(value=cast(cast(c.value, Integer) + by, String)).returning(c.value))
            with self._engine().begin() as conn:
                value = conn.execute(stmt).scalar()
            if value is not None:
                return int(value)
        raise RuntimeError(f"counter {key} could not be increased")

    def delete(self, key: str) -> None:
        self._run(delete(self.table).where(self.table.c.key == key))

    def delete_if(self, key: str, expected: str) -> bool:
        """Delete when the value is still `expected`; True for the one caller that did."""
        stmt = delete(self.table).where(self._live(key), self.table.c.value == expected)
        return self._run(stmt).rowcount == 1

    def replace_if(self, key: str, expected: str, new: str) -> bool:
        stmt = update(self.table).where(self._live(key), self.table.c.value == expected).values(value=new)
        return self._run(stmt).rowcount == 1

    def ttl(self, key: str) -> int:
        with self._engine().connect() as conn:
            expires = conn.execute(select(self.table.c.expires_at).where(self._live(key))).scalar()
        return max(0, int(expires - time.time())) if expires else 0

    def delete_owned(self, owner: str, prefix: str = "", keep: str | None = None) -> None:
        stmt = delete(self.table).where(self.table.c.owner == owner, self.table.c.key.startswith(prefix))
        if keep:
            stmt = stmt.where(self.table.c.key != keep)
        self._run(stmt)

    def purge_expired(self) -> int:
        return self._run(delete(self.table).where(self.table.c.expires_at <= time.time())).rowcount


_CAS_DELETE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
_CAS_REPLACE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('set', KEYS[1], ARGV[2], 'KEEPTTL') "
    "return 1 else return 0 end"
)


_INCR = ("local n = redis.call('incrby', KEYS[1], ARGV[2]) "
         "if n == tonumber(ARGV[2]) then redis.call('expire', KEYS[1], ARGV[1]) end return n")


class RedisStore:
    def __init__(self, url: str, namespace: str = "zc:", timeout: float = 0.5):
        self.r = connect(url, timeout, decode=True)
        self.ns = namespace
        self._cas_delete = self.r.register_script(_CAS_DELETE)
        self._cas_replace = self.r.register_script(_CAS_REPLACE)
        self._incr = self.r.register_script(_INCR)

    def _k(self, key):
        return self.ns + key

    def get(self, key):
        return self.r.get(self._k(key))

    def set(self, key, value, ttl, owner=None):
        pipe = self.r.pipeline()
        pipe.set(self._k(key), value, ex=ttl)
        if owner:
            pipe.sadd(self._k("owner:" + owner), key)
            pipe.expire(self._k("owner:" + owner), max(ttl, 86400))
        pipe.execute()

    def add(self, key, value, ttl):
        return bool(self.r.set(self._k(key), value, ex=ttl, nx=True))

    def incr(self, key, ttl, by=1):
        return int(self._incr(keys=[self._k(key)], args=[int(ttl), int(by)]))

    def delete(self, key):
        self.r.delete(self._k(key))

    def delete_if(self, key, expected):
        return self._cas_delete(keys=[self._k(key)], args=[expected]) == 1

    def replace_if(self, key, expected, new):
        return self._cas_replace(keys=[self._k(key)], args=[expected, new]) == 1

    def ttl(self, key):
        return max(0, self.r.ttl(self._k(key)))

    def delete_owned(self, owner, prefix="", keep=None):
        members = self.r.smembers(self._k("owner:" + owner))
        doomed = [m for m in members if m.startswith(prefix) and m != keep]
        if doomed:
            self.r.delete(*[self._k(m) for m in doomed])
            self.r.srem(self._k("owner:" + owner), *doomed)

    def purge_expired(self):
        return 0  # Redis expires keys itself
