"""A token minter and the OpenID metadata + JWKS server the bot's authentication reads, like Microsoft's."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.harness.threaded import ThreadedServer

ISSUER = "https://api.botframework.com"


class SigningKeyPair:
    def __init__(self, kid: str, endorsements: list[str] | None) -> None:
        self.kid = kid
        self.endorsements = endorsements
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        public.update({"kid": self.kid, "use": "sig", "kty": "RSA"})
        if self.endorsements is not None:
            public["endorsements"] = self.endorsements
        return public


class TokenMinter:
    """Signs Bot Framework channel tokens; the keys it publishes can be rotated mid-test."""

    def __init__(self, app_id: str) -> None:
        self.app_id = app_id
        self._lock = threading.Lock()
        self.current = SigningKeyPair("test-key-1", ["msteams"])
        self.other_channel = SigningKeyPair("webchat-only", ["webchat"])
        self.unpublished = SigningKeyPair("never-published", ["msteams"])
        self._published = [self.current, self.other_channel]
        self.jwks_fetches = 0

    def rotate(self) -> SigningKeyPair:
        """Microsoft rotates keys: a new key id appears in the JWKS and new tokens use it."""
        with self._lock:
            fresh = SigningKeyPair(f"rotated-{uuid.uuid4().hex[:8]}", ["msteams"])
            self._published.append(fresh)
            self.current = fresh
            return fresh

    def jwks(self) -> dict[str, Any]:
        with self._lock:
            self.jwks_fetches += 1
            return {"keys": [k.jwk() for k in self._published]}

    def mint(
        self,
        service_url: str,
        *,
        key: SigningKeyPair | None = None,
        audience: str | None = None,
        issuer: str = ISSUER,
        expires_in: int = 3600,
        claims: dict[str, Any] | None = None,
    ) -> str:
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": issuer,
            "aud": audience if audience is not None else self.app_id,
            "serviceurl": service_url,
            "nbf": now - 60,
            "iat": now - 60,
            "exp": now + expires_in,
        }
        body.update(claims or {})
        signer = key or self.current
        return jwt.encode(body, signer.private, algorithm="RS256", headers={"kid": signer.kid})

    def mint_hs256(self, service_url: str) -> str:
        now = int(time.time())
        return jwt.encode(
            {"iss": ISSUER, "aud": self.app_id, "serviceurl": service_url, "exp": now + 600},
            "a-shared-secret-long-enough-for-hs256-32b",
            algorithm="HS256",
            headers={"kid": self.current.kid},
        )


def openid_server(minter: TokenMinter) -> ThreadedServer:
    server: ThreadedServer

    async def metadata(_request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": ISSUER,
                "authorization_endpoint": "https://invalid.example/authorize",
                "jwks_uri": f"{server.base_url}/v1/.well-known/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            }
        )

    async def keys(_request: web.Request) -> web.Response:
        return web.json_response(minter.jwks())

    def make() -> web.Application:
        app = web.Application()
        app.router.add_get("/v1/.well-known/openidconfiguration", metadata)
        app.router.add_get("/v1/.well-known/keys", keys)
        return app

    server = ThreadedServer(make)
    return server
