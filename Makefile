# The two set-up commands of the README: `make demo` and `make test`.
.PHONY: demo test test-fast fuzz soak bench bootstrap clean

VENV := .venv
PY := $(VENV)/bin/python

bootstrap:
	scripts/bootstrap --with-redis

demo: bootstrap
	$(VENV)/bin/omero-fast-region demo

test: bootstrap
	scripts/run_tests

test-fast:
	$(PY) -m pytest -q -m "not integration and not slow"

bench: bootstrap
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache demo-data
