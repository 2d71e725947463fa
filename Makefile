# Thin wrapper around CMake so the quick start is two commands:
#   make demo   install what is missing, build, run the default scenario
#   make test   install what is missing, build, run the whole test suite
BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 300
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps test-deps build demo test test-sanitize test-tsan check-costs baseline fuzz clean

all: build

deps:
	@sh cmake/deps.sh

test-deps:
	@sh cmake/deps.sh test

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	./$(BUILD)/capsim run scenarios/default.yaml

test: test-deps build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The same suite under AddressSanitizer and UndefinedBehaviorSanitizer.
test-sanitize: test-deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSIM_ASAN=ON \
		-DSIM_UBSAN=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		AG_TEST_SCALE=0.25 AG_LOAD_RSS_MAX_MIB=1024 \
		ctest --output-on-failure -j $(JOBS)

# The threads under ThreadSanitizer: the agent core's (the server,
# calibrate and live runs driven over loopback, the server under load,
# slow clients and re-attach churn, at a quarter of the load) and the run layer's pool
# (run, sweep and check on several threads, tests/jobs.sh).  (Criterion's
# runner cannot start under TSAN -- its shared arena collides with TSAN's
# memory layout -- so the unit tests run under ASan+UBSan above.)
test-tsan: test-deps
	@cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSIM_TSAN=ON \
		>/dev/null
	@cmake --build $(TSAN_BUILD) -j $(JOBS) --target capsim ag_load
	cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1 \
		AG_TEST_SCALE=0.25 AG_LOAD_RSS_MAX_MIB=1024 \
		ctest --output-on-failure -R 'agent_serve|agent_live|agent_calibrate|agent_load|agent_slow|agent_reattach|^jobs$$'

# Every fuzz target under libFuzzer for FUZZ_SECONDS each (clang; its own
# build in $(FUZZ_BUILD)); what adds coverage is merged into
# tests/fuzz/corpus/.  FUZZ_TARGETS="scenario net" picks some.
# docs/fuzzing.md says more.
fuzz: test-deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) JOBS=$(JOBS) sh fuzz/run.sh long $(FUZZ_BUILD)

# The cost gate alone, and rewriting its baseline after an intended change.
check-costs: build
	./$(BUILD)/capsim check scenarios/*.yaml --baseline scenarios/baseline.json \
		--tolerance 0 --both-directions

baseline: build
	./$(BUILD)/capsim check scenarios/*.yaml --write-baseline scenarios/baseline.json

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)
