"""How many login attempts may reach the password check, shared by every web process.

An attempt is counted before its password is checked, in the database (`store/login_budget.py`),
so concurrent guesses draw on one budget however many arrive at once.

- Per address: `security.login_attempts_per_minute`, then refused (429) for the rest of the
  minute, whatever name it tries. Only that address is refused.
- Per user name, from every address: beyond `security.login_user_attempts_per_minute` each
  attempt waits longer (a second more per attempt, at most `MAX_DELAY_S`) but is never refused,
  so that nobody can lock a real user out from another address.

A right password gives its attempt back: only failures use up the budget.
"""

from __future__ import annotations

from dataclasses import dataclass

from leadbridge.store import login_budget
from leadbridge.store.database import Database

MAX_DELAY_S = 10.0


@dataclass(frozen=True, slots=True)
class Admission:
    admitted: bool
    delay_s: float = 0.0


REFUSED = Admission(admitted=False)


@dataclass(frozen=True, slots=True)
class LoginThrottle:
    per_address: int
    per_user: int

    def judge_user(self, attempts: int) -> Admission:
        """The n-th attempt for one user name in the window: admitted, maybe after a delay."""
        excess = attempts - self.per_user
        return Admission(admitted=True, delay_s=min(MAX_DELAY_S, float(max(0, excess))))

    async def admit(self, db: Database, name: str, address: str, now: float) -> Admission:
        async with db.transaction() as session:
            await login_budget.forget_old(session, now)
            if await login_budget.spend(session, _address_key(address), now) > self.per_address:
                # Not counted for the user: an address already refused wears down nobody.
                return REFUSED
            return self.judge_user(await login_budget.spend(session, _user_key(name), now))

    async def succeeded(self, db: Database, name: str, address: str) -> None:
        async with db.transaction() as session:
            await login_budget.refund(session, _address_key(address))
            await login_budget.refund(session, _user_key(name))


def _address_key(address: str) -> str:
    return f"ip:{address}"[:160]


def _user_key(name: str) -> str:
    return f"user:{name.casefold()}"[:160]
