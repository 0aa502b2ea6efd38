# The two commands a newcomer needs: `make demo` and `make test`.
# Each installs what it needs itself.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
ES_PORT ?= 9200
# `make demo PORT=5001 HOST=0.0.0.0`
PORT ?= 5000
HOST ?= 127.0.0.1

.PHONY: demo test test-fast es-up es-down eval bench clean translations extract-translations

# UI translations: each translations/<lang>/LC_MESSAGES/messages.po compiles to a
# .mo next to it (not committed); demo and tests need them.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))

translations: $(MO_FILES)

translations/%.mo: translations/%.po | $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@

## After changing UI strings: refresh messages.pot and merge it into every .po
extract-translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext --no-wrap --sort-by-file \
		--project CityExchange -o translations/messages.pot .
	$(BIN)/pybabel update --no-wrap --ignore-obsolete -i translations/messages.pot -d translations

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,postgres]'
	rm -f $(VENV)/.installed-*
	touch $@

## Run the portal with the embedded engine and demo data on http://$(HOST):$(PORT)
demo: $(STAMP) translations
	$(BIN)/cityex demo --host $(HOST) --port $(PORT)

## Run the whole test suite (starts and stops a throwaway Elasticsearch node)
test: $(STAMP) translations
	bash tools/run-tests

## Tests without the browser and Elasticsearch setup (quick local loop)
test-fast: $(STAMP) translations
	$(BIN)/pytest -q -m "not browser and not elasticsearch"

## A throwaway Elasticsearch 8 node for development: http://127.0.0.1:$(ES_PORT)
es-up:
	tools/elasticsearch/es-node start --port $(ES_PORT)

es-down:
	tools/elasticsearch/es-node stop --port $(ES_PORT)

## Relevance evaluation on both engines (nDCG@10, Recall@10, MRR)
eval: $(STAMP)
	bash tools/run-eval

## Benchmarks (results go into docs/benchmarks.md by hand, with machine and command):
## search p50/p95/p99 of the embedded engine at 10k and 100k and of the API at 10k,
## then `cityex import --publish` throughput at 5,000 lines. Takes ~15 minutes.
bench: $(STAMP)
	$(BIN)/python bench/search_bench.py --sizes 10000,100000 --api-sizes 10000
	$(BIN)/python bench/import_bench.py --lines 5000

clean:
	rm -rf $(VENV) instance .pytest_cache
