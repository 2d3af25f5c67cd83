# The two commands: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
WHEELHOUSE ?= wheelhouse

.PHONY: demo test check lint typecheck layers peers wheelhouse clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Runtime install (what `make demo` needs).
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

# Runtime plus the test and lint tools.
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $(VENV)/.installed $@

demo: $(VENV)/.installed
	$(BIN)/dutydesk demo

# Debian's real peers for the interop tests (net-snmp, OpenSSH), PostgreSQL 15 for the
# store tests over both backends (tests/support/postgres.py runs a private server), a CJK
# TrueType font for the PDF exports and poppler-utils to render them back in the tests.
# Only as root.
DEBIAN_PACKAGES := snmpd snmp openssh-server postgresql fonts-wqy-microhei poppler-utils
peers:
	@if [ "$$(id -u)" = "0" ]; then \
	  missing=""; \
	  for p in $(DEBIAN_PACKAGES); do \
	    dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	  done; \
	  if [ -n "$$missing" ]; then \
	    echo "installing$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  fi; \
	else echo "not root: using the snmpd/sshd/postgresql already installed (the PostgreSQL store tests fail without it)"; fi

lint: $(VENV)/.installed-test
	$(BIN)/ruff check console widgets checks data demo tests $(wildcard bench)
	$(BIN)/ruff format --check console widgets checks data demo tests $(wildcard bench)

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

layers: $(VENV)/.installed-test
	$(BIN)/lint-imports

check: lint typecheck layers

# -n 2: one worker per core; loadfile keeps a module's tests (and its module-scoped
# servers, the demo lab's fixed ports) in one worker.
test: $(VENV)/.installed-test peers check
	$(BIN)/pytest -q -n 2 --dist loadfile

# Everything the offline duty terminal needs, as wheels in one folder.
wheelhouse: $(VENV)/.installed
	rm -rf $(WHEELHOUSE)
	$(BIN)/pip wheel -q --wheel-dir $(WHEELHOUSE) .
	@echo "wheelhouse ready: $(WHEELHOUSE)/ ($$(ls $(WHEELHOUSE) | wc -l) wheels)"

clean:
	rm -rf $(VENV) $(WHEELHOUSE) dist build .mypy_cache .ruff_cache .pytest_cache
