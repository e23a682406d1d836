# somnus: top-level driver. CMake does the building; this file names the tasks.
#   make          library + CLI (build/release)
#   make test     ASan/UBSan build with -Werror, whole suite; then the optimized suite
#   make bench    benchmarks on the optimized build
#   make demo     the paper's experiment on the default config
#   make lint     clang-format --dry-run, cppcheck, clang-tidy
MAKEFLAGS += --no-print-directory
JOBS ?= $(shell nproc)
BUILD ?= build/release
ASAN ?= build/asan
CMAKE_FLAGS ?=

.PHONY: all deps test test-release bench demo docs lint format clean

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
	clang-format --dry-run --Werror src/*.c src/*.h src/cli/*.c src/cli/*.h include/somnus/*.h tests/*.c tests/*.h bench/*.c
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --inline-suppr \
	  --suppress=missingIncludeSystem -I include src src/cli
	clang-tidy -p $(BUILD) --quiet src/*.c src/cli/*.c

format:
	clang-format -i src/*.c src/*.h src/cli/*.c src/cli/*.h include/somnus/*.h tests/*.c tests/*.h bench/*.c

clean:
	rm -rf build
