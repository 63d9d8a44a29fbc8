# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

export DATABASE_URL ?= sqlite+aiosqlite:///./data/stepbot.db

.PHONY: cards playground run test lint pytest bench bench-booking bench-reminders package migrate check-config clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## make run: migrate a SQLite file under ./data and start the bot on 127.0.0.1:3978 (local mode, no Azure needed)
run: $(STAMP)
	mkdir -p data
	STEPBOT_LOCAL_MODE=$${STEPBOT_LOCAL_MODE:-true} $(BIN)/stepbot migrate
	STEPBOT_LOCAL_MODE=$${STEPBOT_LOCAL_MODE:-true} $(BIN)/stepbot serve

## make test: lint, type-check, layering, then the whole suite
test: $(STAMP) lint pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make cards: draw every card renderer, typical and worst case, to PNG in build/gallery (needs Chromium: installs
## Debian's chromium if it is missing) and write build/gallery/index.html. Not part of `make test`.
# The gallery's pictures the README shows (docs/cards/), redrawn by every `make cards`.
README_CARDS := render-transfer-form--typical render-transfer-form-consent-given--typical \
  render-transfer-card-accepted--typical render-dispute-card--typical
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
cards: $(STAMP)
	test -x /usr/bin/chromium || { echo "installing Debian's chromium for the gallery"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium; }
	cd gallery && npm ci --no-audit --no-fund --loglevel=error
	$(BIN)/python -m gallery.build --out build/gallery
	node gallery/render.mjs build/gallery
	mkdir -p docs/cards
	for card in $(README_CARDS); do cp build/gallery/png/$$card.png docs/cards/; done

## make playground [AS=<role>]: the bot in local mode and the Microsoft 365 Agents Playground on 127.0.0.1:56150,
## its six people in the roles their names say (playground/people.py); AS makes that person the current user.
# make's built-in AS (the assembler) is not ours: replace it unless AS was given.
ifeq ($(origin AS),default)
AS := social_worker
endif
playground: $(STAMP)
	cd playground && npm ci --no-audit --no-fund --loglevel=error
	AS=$(AS) BIN=$(BIN) bash playground/run.sh

bench: $(STAMP)
	$(BIN)/python benchmarks/turns.py $(BENCH_ARGS)

bench-booking: $(STAMP)
	$(BIN)/python benchmarks/booking_burst.py $(BENCH_ARGS)

## make bench-reminders: 100,000 queued outbox rows, one tick's due rows claimed and sent (BENCH_ARGS="--postgres URL")
bench-reminders: $(STAMP)
	$(BIN)/python benchmarks/reminders.py $(BENCH_ARGS)

package: $(STAMP)
	$(BIN)/stepbot package

migrate: $(STAMP)
	mkdir -p data
	$(BIN)/stepbot migrate

check-config: $(STAMP)
	$(BIN)/stepbot check-config

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
