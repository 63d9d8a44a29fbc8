"""The test harness: local OpenID/JWKS, Bot Connector, Entra and Graph fakes, and a Teams user driver."""
