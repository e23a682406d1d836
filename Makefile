# somnus: top-level driver. CMake does the building; this file names the tasks.
#   make          library + CLI (build/release)
#   make test     ASan/UBSan build with -Werror, whole suite; then the optimized suite
#   make bench    benchmarks on the optimized build
#   make demo     the paper's experiment on the default config
#   make lint     clang-format --dry-run, cppcheck, clang-tidy, the layer check
MAKEFLAGS += --no-print-directory
JOBS ?= $(shell nproc)
BUILD ?= build/release
ASAN ?= build/asan
CMAKE_FLAGS ?=

LINT_C = $(wildcard src/*/*.c src/*/*/*.c)
LINT_H = $(wildcard src/*/*.h src/*/*/*.h include/somnus/*/*.h include/somnus/*.h)

.PHONY: all deps test test-release bench demo docs lint format clean python-install

all: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

deps:
	@scripts/install-deps.sh --check 2>/dev/null || scripts/install-deps.sh

test: deps
	@cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSOMNUS_SANITIZE=ON -DSOMNUS_WERROR=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(ASAN) -j $(JOBS)
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory test-release

test-release: all
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# make python-install [VENV=.venv]: the Python package and libsomnus.so into a virtual
# environment (offline; docs/python.md).
VENV ?= .venv
python-install: all
	@scripts/install-python.sh $(VENV) $(BUILD)

bench: all
	$(BUILD)/somnus_bench

demo: all
	@scripts/demo.sh $(BUILD)/somnus

docs: all
	@python3 -c "import sys; t=open('docs/config.md').read(); i=t.index('\x60\x60\x60\n'); open('docs/config.md','w').write(t[:i])"
	@{ echo '```'; $(BUILD)/somnus config --list; echo '```'; } >> docs/config.md
	@echo "docs/config.md regenerated"

lint: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	clang-format --dry-run --Werror $(LINT_C) $(LINT_H) tests/*.c tests/*.h bench/*.c
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --inline-suppr \
	  --suppress=missingIncludeSystem -I include -I src src
	clang-tidy -p $(BUILD) --quiet $(LINT_C)
	@cmake --build $(BUILD) -j $(JOBS) >/dev/null
	python3 scripts/check-layers.py --objects $(BUILD)

format:
	clang-format -i $(LINT_C) $(LINT_H) tests/*.c tests/*.h bench/*.c

clean:
	rm -rf build

# make fuzz: builds the libFuzzer targets fuzz/fuzz_*.c with clang (ASan + UBSan) into
# $(FUZZ_BUILD) and runs each for FUZZ_SECONDS, one after the other on one core.
# New inputs go to $(FUZZ_BUILD)/corpus/<reader>, failures to $(FUZZ_BUILD)/crashes/;
# the committed seeds fuzz/corpus/<reader> are read, never written. docs/fuzzing.md
# (why sonata runs forked, going on after crashes and timeouts, without per-input leak
# checks, and only lists its failures: libhdf5 itself crashes on some corrupt files).
FUZZ_BUILD ?= build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
.PHONY: fuzz
fuzz: deps
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DSOMNUS_FUZZ=ON -DSOMNUS_TESTS=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_all
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/crashes; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  opts=; [ -f fuzz/dict/$$t.dict ] && opts=-dict=fuzz/dict/$$t.dict; \
	  fail='crash leak oom timeout'; \
	  if [ $$t = sonata ]; then opts="-fork=1 -ignore_timeouts=1 -ignore_crashes=1 -detect_leaks=0"; fail=; fi; \
	  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/fuzz/lsan.supp \
	  $(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	    -max_len=65536 -print_final_stats=1 $$opts -artifact_prefix=$(FUZZ_BUILD)/crashes/$$t- \
	    $(FUZZ_BUILD)/corpus/$$t fuzz/corpus/$$t 2>&1 | grep -E '^(#[0-9]+ +DONE|#[0-9]+: cov|stat::|==[0-9]+==|SUMMARY|Test unit written)' || true; \
	  found=; for f in $$fail; do found="$$found $$(ls $(FUZZ_BUILD)/crashes/$$t-$$f-* 2>/dev/null || true)"; done; \
	  if [ -n "$$(echo $$found)" ]; then echo "fuzz: $$t failed:$$found"; exit 1; fi; \
	  if [ $$t = sonata ] && ls $(FUZZ_BUILD)/crashes/sonata-* >/dev/null 2>&1; then \
	    echo "fuzz: sonata: inputs that crashed or hung (in libhdf5? see docs/fuzzing.md):"; \
	    ls $(FUZZ_BUILD)/crashes/sonata-*; fi; \
	done

# make soak: scripts/soak.sh (not in CI): 10^8 wake steps with 20% sleep, RSS sampled
# every 2 s, fails if memory grows; STEPS=N for a shorter run. See docs/soak.md.
.PHONY: soak
soak: all
	@scripts/soak.sh $(BUILD)/somnus
