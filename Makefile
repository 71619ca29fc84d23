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

# The interpreter matters to the Python part of a request: `make bench VENV=.venv-debian
# PYTHON=/usr/bin/python3` measures with the distribution's (docs/benchmarks.md, finding 31).
bench:
	VENV=$(VENV) scripts/bootstrap --with-bench
	$(PY) -m benchmarks

bench-quick:
	VENV=$(VENV) scripts/bootstrap --with-bench
	$(PY) -m benchmarks --quick

# The 10,000-request fuzz and the 11-minute soak against real gunicorn on 127.0.0.1 (long runs).
fuzz: bootstrap
	$(PY) scripts/fuzz.py --sample .hardening-data --requests 10000 --seed 1 --max-seconds 600

soak: bootstrap
	$(PY) scripts/soak.py --sample .hardening-data --seconds 660 --clients 16 --worker-class gthread

clean:
	rm -rf $(VENV) .pytest_cache demo-data .hardening-data
