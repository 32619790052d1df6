# Developer shortcuts; ./run.sh and ./test.sh remain the two commands that set everything up.
PY := .venv/bin/python
export NIANBAO_LOCK := requirements-dev.lock

.PHONY: setup dev test test-fast lint fix digest

setup:
	bash -c 'source scripts/setup.sh'

dev: setup  ## the main job on the bundled data, then the dashboard
	./run.sh

test:  ## lint, types, every test (as CI)
	./test.sh

test-fast: setup  ## everything but the browser tier
	$(PY) -m pytest -q -m "not browser"

lint: setup  ## what CI checks first
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/basedpyright

fix: setup  ## formatting and the safe lint fixes
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

digest: setup  ## parse output digest of every real file and 1,000 generated documents (moves must not change it)
	$(PY) scripts/parse_digest.py 1000
