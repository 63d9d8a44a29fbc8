"""The stock botbuilder echo bot (the SDK sample's shape), pointed at the benchmark's local fakes."""

from __future__ import annotations

import os
from functools import partial
from typing import Any

from aiohttp import web
from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botframework.connector.auth import AuthenticationConstants, ChannelValidation, microsoft_app_credentials


class DefaultConfig:
    """The sample's config object, read from the environment like the sample's config.py."""

    PORT = int(os.environ.get("ECHO_PORT", "3979"))
    APP_ID = os.environ.get("MicrosoftAppId", "")  # noqa: SIM112 - the sample's names
    APP_PASSWORD = os.environ.get("MicrosoftAppPassword", "")  # noqa: SIM112 - the sample's names
    APP_TYPE = os.environ.get("MicrosoftAppType", "SingleTenant")  # noqa: SIM112
    APP_TENANTID = os.environ.get("MicrosoftAppTenantId", "")  # noqa: SIM112 - the sample's names


def point_sdk_at_local_fakes(openid_metadata_url: str, authority_host: str) -> None:
    """Aim the SDK's public-cloud path at the fakes; the turn path itself stays stock.

    1. Inbound: the channel validator reads its OpenID metadata from this class attribute (the SDK's own knob).
    2. Outbound: credentials build their msal authority from this prefix + tenant, read at call time; the
       password credential factory picks the public-cloud MicrosoftAppCredentials because the login endpoint
       the public-cloud authentication captured (below, at construction) starts with the same prefix.
    3. msal would ask login.microsoftonline.com to "discover" any authority host it does not know; the
       stock credentials give no way to turn that off, so the msal class the credentials module calls is
       wrapped to pass instance_discovery=False. Nothing else about msal changes (a new app, hence a
       tenant discovery and a token request, per outbound connector, as stock). REQUESTS_CA_BUNDLE (set
       by the benchmark) makes msal's requests session trust the fake Entra's test CA.
    """
    ChannelValidation.open_id_metadata_endpoint = openid_metadata_url
    AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX = authority_host.rstrip("/") + "/"
    stock = microsoft_app_credentials.ConfidentialClientApplication
    microsoft_app_credentials.ConfidentialClientApplication = partial(stock, instance_discovery=False)


point_sdk_at_local_fakes(os.environ["ECHO_OPENID_METADATA_URL"], os.environ["ECHO_AUTHORITY_HOST"])

CONFIG = DefaultConfig()
ADAPTER = CloudAdapter(ConfigurationBotFrameworkAuthentication(CONFIG))


async def on_error(context: TurnContext, error: Exception) -> None:
    print(f"\n [on_turn_error] unhandled error: {error!r}", flush=True)
    await context.send_activity("The bot encountered an error or bug.")


ADAPTER.on_turn_error = on_error


class EchoBot(ActivityHandler):  # type: ignore[misc]
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(f"Echo: {turn_context.activity.text}")


BOT = EchoBot()


async def messages(req: web.Request) -> Any:
    return await ADAPTER.process(req, BOT)


async def healthz(_req: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


APP = web.Application()
APP.router.add_post("/api/messages", messages)
APP.router.add_get("/healthz", healthz)

if __name__ == "__main__":
    web.run_app(APP, host="127.0.0.1", port=CONFIG.PORT, print=None)
