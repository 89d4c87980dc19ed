# Convenience aliases for the README commands.
.PHONY: demo test bench mutate docs ee
demo:
	scripts/demo.sh
test:
	scripts/test.sh
# Fleet benchmarks (docs/benchmarks.md): the set-up of scripts/bootstrap.sh,
# then benchmarks/run.py; BENCH_ARGS passes options, e.g. BENCH_ARGS=--quick.
bench:
	scripts/bootstrap.sh
	.venv/bin/python benchmarks/run.py $(BENCH_ARGS)
# Mutation testing of the safety-critical Python (docs/reliability.md);
# MUTATE_ARGS passes options and target words, e.g. MUTATE_ARGS=_digests.
mutate:
	scripts/mutate.sh $(MUTATE_ARGS)
# The parts of docs/ derived from code (the verify checks table).
docs:
	.venv/bin/python scripts/docs.py
# The execution environment built from this checkout, and deploy + verify run
# in it under ansible-runner against three SSH hosts (docs/execution-environment.md).
ee:
	scripts/ee.sh
