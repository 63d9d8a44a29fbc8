"""The composition root: the aiohttp app, authentication, the Teams handler, the outbox sender, the CLI."""
