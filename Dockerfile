# The stepbot service image. Configured only by environment variables (see README.md and `stepbot check-config`).

FROM python:3.11-slim AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml ./
COPY bot/ bot/
COPY dialogs/ dialogs/
COPY cards/ cards/
COPY domain/ domain/
COPY storage/ storage/
# The dependencies are pinned in pyproject.toml, not here.
# hadolint ignore=DL3013
RUN /opt/venv/bin/pip install --no-cache-dir .


FROM python:3.11-slim

# Deadlines and clinic dates are reckoned in UK local time, so the zone database must be present.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 stepbot \
    && useradd --system --uid 10001 --gid stepbot --home-dir /app --no-create-home --shell /usr/sbin/nologin stepbot

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
# The code stays owned by root so that the service cannot rewrite itself; only data/ is writable.
COPY bot/ bot/
COPY dialogs/ dialogs/
COPY cards/ cards/
COPY domain/ domain/
COPY storage/ storage/
COPY profiles/ profiles/
COPY manifest/ manifest/
# The marker file makes local mode refuse to start (bot/settings.py): a container is never run
# unauthenticated, whatever its environment says. It belongs to root, so the service cannot remove it.
RUN mkdir -p /app/data /etc/stepbot \
    && chown stepbot:stepbot /app/data \
    && echo "the stepbot image: local mode is refused here" > /etc/stepbot/container-image

# PYTHONPATH puts /app ahead of site-packages: the code finds profiles/ and manifest/ next to itself.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    STEPBOT_HOST=0.0.0.0 \
    STEPBOT_PORT=3978 \
    TZ=Europe/London

# The default SQLite database lives here; set DATABASE_URL to use PostgreSQL instead.
VOLUME ["/app/data"]

# Numeric, so that a cluster's runAsNonRoot check can verify it.
USER 10001:10001

EXPOSE 3978

# The slim image has no curl; the interpreter is already there.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('STEPBOT_PORT', '3978') + '/healthz', timeout=3)"]

CMD ["sh", "-c", "stepbot migrate && exec stepbot serve"]
