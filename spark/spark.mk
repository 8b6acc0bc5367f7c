# Spark component: the PySpark sessionization job (caec_spark) and its dev tooling (caec_spark_dev: the
# synthetic data generator, the DuckDB twin of the job, the benchmark).
SPARK_DIR := $(ROOT)/spark
SPARK_PY := $(VENV)/spark/bin/python
# After a sync: the package itself (editable), then the JVM class archive local drivers start with
# (caec_spark_dev.cds: ~40 s once, saves ~3 s of every Spark start; it warns and goes on if it cannot).
$(eval $(call venv,spark,$(SPARK_DIR)/requirements.lock,@$(UV) pip install -q --no-deps --python $(VENV)/spark/bin/python -e $(SPARK_DIR) && $(VENV)/spark/bin/python -m caec_spark_dev cds))

TEST_TARGETS += test-spark
LINT_TARGETS += lint-spark
BENCH_TARGETS += bench-spark
SETUP_TARGETS += $(VENV)/spark/.synced

.PHONY: lock-spark test-spark lint-spark bench-spark sessionize generate

lock-spark: $(UV) ## Re-pin the Spark component's dependencies (spark/requirements.lock)
	cd $(ROOT) && $(UV) pip compile -q --python-version 3.11 --custom-compile-command "make lock-spark" spark/requirements.in -o spark/requirements.lock

test-spark: $(VENV)/spark/.synced ## Run the Spark job's tests (local[2] Spark, hypothesis, bad-input reconciliation)
	cd $(SPARK_DIR) && $(SPARK_PY) -m pytest -q tests

lint-spark: $(VENV)/tools/.synced $(VENV)/spark/.synced ## ruff + mypy over spark/
	$(RUFF) check $(SPARK_DIR)
	$(RUFF) format --check $(SPARK_DIR)
	cd $(ROOT) && $(MYPY) --config-file $(ROOT)/mypy.ini --python-executable $(SPARK_PY) $(SPARK_DIR)/src/caec_spark $(SPARK_DIR)/src/caec_spark_dev $(SPARK_DIR)/tests

# make sessionize INPUT=... FORMAT=... OUT=... START=YYYY-MM-DD END=YYYY-MM-DD [ARGS="--lookback-hours 6"]
sessionize: $(VENV)/spark/.synced ## Sessionize raw logs: make sessionize INPUT=uri FORMAT=jsonl OUT=uri START=day END=day (END exclusive)
	@test -n "$(INPUT)" || { echo "usage: make sessionize INPUT=<uri> FORMAT=<retailrocket|rees46|combined|jsonl> OUT=<uri> START=YYYY-MM-DD END=YYYY-MM-DD" >&2; exit 2; }
	@test -n "$(OUT)" || { echo "make sessionize: OUT=<output uri> is required" >&2; exit 2; }
	@test -n "$(START)" -a -n "$(END)" || { echo "make sessionize: START=YYYY-MM-DD and END=YYYY-MM-DD (exclusive) are required: the window is stated, never inferred" >&2; exit 2; }
	$(SPARK_PY) -m caec_spark sessionize --input "$(INPUT)" --format "$(or $(FORMAT),jsonl)" --output "$(OUT)" \
	  --start "$(START)" --end "$(END)" $(ARGS)

# make generate EVENTS=100000 FORMAT=jsonl SEED=1 OUT=data/raw [ARGS="--days 3 --malformed-rate 0.01"]
generate: $(VENV)/spark/.synced ## Write synthetic raw logs + ground truth: make generate EVENTS=n FORMAT=jsonl SEED=s OUT=dir
	@test -n "$(OUT)" || { echo "usage: make generate EVENTS=<n> FORMAT=<retailrocket|rees46|combined|jsonl> SEED=<s> OUT=<dir>" >&2; exit 2; }
	$(SPARK_PY) -m caec_spark_dev generate --events "$(or $(EVENTS),100000)" --format "$(or $(FORMAT),jsonl)" \
	  --seed "$(or $(SEED),1)" --output "$(OUT)" $(ARGS)

# make bench-spark [BENCH_SIZES=100k,1m] [BENCH_REPEAT=1] (default 100k,1m,10m, 3 rounds each, medians
# reported; 20k is a quick smoke size)
BENCH_SIZES ?= 100k,1m,10m
BENCH_REPEAT ?= 3
bench-spark: $(VENV)/spark/.synced ## Benchmark: Spark job vs its DuckDB twin vs a gap-only query at 100k/1M/10M events (wall, CPU, peak memory, events/s, ratios, issue-18 targets)
	cd $(ROOT) && $(SPARK_PY) -m caec_spark_dev.bench --out $(ROOT)/.out/bench --sizes "$(BENCH_SIZES)" --repeat "$(BENCH_REPEAT)"
