"""Bot Framework JWT validation with our own signing-key cache (see DESIGN.md for why not the SDK's)."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import jwt

log = logging.getLogger(__name__)

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
REFRESH_EVERY_SECONDS = 24 * 3600
# An unknown key id refreshes the keys, but no more often than this (a flood of forged ids can't hammer Entra).
MIN_REFRESH_GAP_SECONDS = 30.0
CLOCK_SKEW_SECONDS = 300


class AuthError(Exception):
    """The request is not from the Bot Framework for this bot: answer 401."""


@dataclass(frozen=True)
class SigningKey:
    key: Any
    endorsements: frozenset[str] | None


@dataclass(frozen=True)
class VerifiedCaller:
    claims: dict[str, Any]
    # The channels the signing key is endorsed for (None: the key carries no endorsements).
    endorsements: frozenset[str] | None = None


class SigningKeyCache:
    """Keys by id from the OpenID metadata's JWKS; refreshed daily, and at once for an unknown key id."""

    def __init__(
        self,
        metadata_url: str,
        session: aiohttp.ClientSession,
        timeout_seconds: float = 10.0,
        min_refresh_gap_seconds: float = MIN_REFRESH_GAP_SECONDS,
    ) -> None:
        self._metadata_url = metadata_url
        self._min_gap = min_refresh_gap_seconds
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._keys: dict[str, SigningKey] = {}
        self._fetched_at = 0.0
        self._last_attempt = 0.0
        self._lock = asyncio.Lock()

    @property
    def key_ids(self) -> list[str]:
        return sorted(self._keys)

    async def _fetch(self) -> dict[str, SigningKey]:
        async with self._session.get(self._metadata_url, timeout=self._timeout) as resp:
            resp.raise_for_status()
            metadata = await resp.json(content_type=None)
        jwks_uri = metadata["jwks_uri"]
        async with self._session.get(jwks_uri, timeout=self._timeout) as resp:
            resp.raise_for_status()
            jwks = await resp.json(content_type=None)
        keys: dict[str, SigningKey] = {}
        for jwk in jwks.get("keys", []):
            kid = jwk.get("kid")
            if not kid or jwk.get("kty") != "RSA":
                continue
            try:
                parsed = jwt.PyJWK(jwk, algorithm="RS256")
            except jwt.PyJWTError:
                log.warning("skipping an unusable signing key", extra={"kid": kid})
                continue
            endorsements = jwk.get("endorsements")
            keys[kid] = SigningKey(parsed.key, frozenset(endorsements) if endorsements is not None else None)
        return keys

    async def refresh(self, *, force: bool = False) -> None:
        async with self._lock:
            now = time.monotonic()
            if not force and now - self._last_attempt < self._min_gap:
                return
            self._last_attempt = now
            try:
                keys = await self._fetch()
            except (aiohttp.ClientError, TimeoutError, KeyError, ValueError) as exc:
                log.warning("signing key refresh failed: %s", type(exc).__name__)
                return
            if keys:
                self._keys = keys
                self._fetched_at = now

    async def get(self, kid: str) -> SigningKey | None:
        stale = time.monotonic() - self._fetched_at > REFRESH_EVERY_SECONDS
        if kid not in self._keys or stale:
            await self.refresh()
        return self._keys.get(kid)

    async def run_periodic_refresh(self) -> None:
        """Background task: refresh well before the keys go stale so no request waits for it."""
        while True:
            await asyncio.sleep(REFRESH_EVERY_SECONDS / 2)
            await self.refresh(force=True)


class BotFrameworkTokenValidator:
    """Checks the bearer token of an incoming activity as the Bot Framework channel requires."""

    def __init__(self, app_id: str, keys: SigningKeyCache) -> None:
        self._app_id = app_id
        self._keys = keys

    async def validate(self, auth_header: str | None, *, channel_id: str, service_url: str) -> VerifiedCaller:
        caller = await self.authenticate(auth_header)
        self.check_activity(caller, channel_id=channel_id, service_url=service_url)
        return caller

    def check_activity(self, caller: VerifiedCaller, *, channel_id: str, service_url: str) -> None:
        """The token's facts against the activity's: its key endorsed for the channel, the same serviceUrl."""
        if caller.endorsements is not None and channel_id not in caller.endorsements:
            raise AuthError("signing key not endorsed for this channel")
        claimed_url = caller.claims.get("serviceurl") or caller.claims.get("serviceUrl")
        if not claimed_url or str(claimed_url).rstrip("/") != service_url.rstrip("/"):
            raise AuthError("serviceUrl does not match the token")

    async def authenticate(self, auth_header: str | None) -> VerifiedCaller:
        """The token on its own: signed by a Bot Framework key, for this bot, not expired.

        Run before the body is parsed, so nobody without a token can make the bot parse a large body.
        """
        if not auth_header:
            raise AuthError("no Authorization header")
        scheme, _, token = auth_header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("not a bearer token")
        token = token.strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise AuthError("malformed token") from exc
        if header.get("alg") != "RS256":
            raise AuthError("token not signed with RS256")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthError("token has no key id")
        signing_key = await self._keys.get(kid)
        if signing_key is None:
            raise AuthError("unknown signing key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                signing_key.key,
                algorithms=["RS256"],
                audience=self._app_id,
                issuer=BOT_FRAMEWORK_ISSUER,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise AuthError(f"token rejected: {type(exc).__name__}") from exc
        return VerifiedCaller(claims, signing_key.endorsements)
