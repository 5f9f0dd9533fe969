"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile).

A hash takes tens of milliseconds of CPU: the web app hashes in a small pool of threads
(`verify_password_off_loop`), never on the event loop, so that webhooks, probes and pages are
answered while logins are checked, and a burst of logins queues for the pool instead of taking
every core. argon2-cffi releases the GIL while it hashes.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
MIN_LENGTH = 8
# Verified when the user does not exist, so that a wrong name costs as long as a wrong password
# and the answer's timing does not tell which names exist.
_DUMMY_HASH = _HASHER.hash("no such user: constant-time refusal")
# Half the cores at most: the rest stay for everything else the process serves.
_POOL = ThreadPoolExecutor(
    max_workers=max(1, min(4, (os.cpu_count() or 2) // 2)), thread_name_prefix="argon2"
)


class WeakPassword(ValueError):
    """A password too short to be worth hashing."""


def hash_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"password must have at least {MIN_LENGTH} characters")
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """False for a wrong password and for a missing user, after the same amount of work."""
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


async def hash_password_off_loop(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_POOL, hash_password, password)


async def verify_password_off_loop(password_hash: str | None, password: str) -> bool:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_POOL, verify_password, password_hash, password)
