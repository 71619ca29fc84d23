# The two set-up commands of the README: `make demo` and `make test`.
.PHONY: demo test test-fast fuzz soak bench bench-quick bootstrap clean

VENV := .venv
PY := $(VENV)/bin/python

bootstrap:
	scripts/bootstrap --with-services

demo:
	scripts/bootstrap --extras=s3
	$(VENV)/bin/omero-fast-region demo

test: bootstrap
	scripts/run_tests

test-fast:
	$(PY) -m pytest -q -m "not integration and not slow"

bench:
	scripts/bootstrap --with-bench
	$(PY) -m benchmarks

bench-quick:
	scripts/bootstrap --with-bench
	$(PY) -m benchmarks --quick

clean:
	rm -rf $(VENV) .pytest_cache demo-data
