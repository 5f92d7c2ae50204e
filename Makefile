# The two commands a newcomer needs: `make demo` and `make test`. Both set up what is missing first.
VENV ?= .venv
HEARTH = $(VENV)/bin/hearth

.PHONY: setup demo test lint bench
setup:
	@bash scripts/setup.sh

demo: setup
	@$(HEARTH) demo

test: setup
	@bash scripts/test.sh

lint: setup
	@$(VENV)/bin/ruff check assistant skills tests

bench: setup
	@$(HEARTH) bench
