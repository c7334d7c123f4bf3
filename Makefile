.PHONY: help install demo test test-postgres lint format bench
help:            ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'
install:         ## install OpenKAM with the test dependencies
	pip install -e ".[test]"
demo:            ## generate, load and serve the demo supplier
	openkam demo
test:            ## the whole suite (SQLite)
	pytest
test-postgres:   ## the database tests on the local PostgreSQL
	OPENKAM_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test pytest tests/web -m "not e2e"
lint:            ## ruff lint and format check
	ruff check src tests benchmarks && ruff format --check src tests benchmarks
format:          ## ruff fix and format
	ruff check --fix src tests benchmarks && ruff format src tests benchmarks
bench:           ## the benchmarks (see benchmarks/README.md)
	@cat benchmarks/README.md
