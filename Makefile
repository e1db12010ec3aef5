# One answer to "how do I run the checks": CI calls these targets too.
PY ?= python

.PHONY: test slow lint format cassettes briefs bench
test:            ## offline test suite (cassettes, fakes)
	$(PY) -m pytest
slow:            ## end-to-end with the real embedded model (minutes)
	$(PY) -m pytest -m slow -v
lint:            ## ruff and mypy strict on src/
	$(PY) -m ruff check src tests bench
	$(PY) -m ruff format --check src tests bench
	$(PY) -m mypy
format:
	$(PY) -m ruff format src tests bench
	$(PY) -m ruff check --fix src tests bench
cassettes:       ## re-record HTTP cassettes from the real embedded model
	$(PY) -m pytest tests/test_cassettes.py --record-mode=rewrite -v
briefs:          ## regenerate briefs/ for every seed with the embedded model
	for f in seeds/*.txt; do \
	  n=$$(basename $$f .txt); \
	  briefgen $$f -o briefs/$$n.json && \
	  briefgen $$f --from-json briefs/$$n.json -o briefs/$$n --format md,pdf,html; \
	done
