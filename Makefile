# Makefile: the README's two commands (make run, make test) and the others.
#   make run [FILE=prog.valk]   install what is missing, build, start the REPL (or run FILE)
#   make test                   build and run every test suite; ends with "N passed, N failed"
#   make bench                  the benchmarks next to Lua 5.4, LuaJIT and Python (docs/PERFORMANCE.md)
#   make bench-http             the HTTP engine next to nghttpd under h2load (docs/HTTP.md)
#   make asan | make switch     the test suite built with sanitizers / with switch dispatch
#   make stress | make clang    ... in GC stress mode (Debug) / built with clang++
#   make mutate [N=100 SEED=1]  mutation testing: N planted bugs, how many the tests catch (docs/TESTING.md)
#     [ASAN=1]                  ... and each survivor tested again under ASan (build-asan-mutate)
#   make tsan                   the isolate and aio tests under ThreadSanitizer
#   make fuzz [FUZZ_SECONDS=60] the libFuzzer targets (reader, eval, str/format, json, unmarshal) for 60 s each (clang++)
#   make install [PREFIX=/usr/local] [DESTDIR=]   valk, its library folder, valk.1, docs, editor modes
#   make deb                    a Debian package of the same (CPack) in $(BUILD)/
BUILD ?= build
BUILD_TYPE ?= Release
CMAKE_FLAGS ?=
FILE ?=
FUZZ_SECONDS ?= 60
PREFIX ?= /usr/local

.PHONY: all run test build deps bench bench-http asan switch stress clang tsan mutate fuzz clean format install deb

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS) > /dev/null
	@cmake --build $(BUILD)

run: build
ifeq ($(strip $(FILE)),)
	@$(BUILD)/valk
else
	@$(BUILD)/valk $(FILE)
endif

test: build
	@scripts/run-tests.sh $(BUILD)

install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

deb: build
	@cd $(BUILD) && cpack -G DEB -D CPACK_PACKAGING_INSTALL_PREFIX=/usr > /dev/null && ls $(CURDIR)/$(BUILD)/valk_*.deb

bench-http: build
	@cmake --build $(BUILD) --target valk_http_hello
	@bench/http/run.sh $(BUILD)

asan:
	@$(MAKE) --no-print-directory test BUILD=build-asan BUILD_TYPE=RelWithDebInfo CMAKE_FLAGS="-DVALK_SANITIZE=ON"

switch:
	@$(MAKE) --no-print-directory test BUILD=build-switch CMAKE_FLAGS="-DVALK_SWITCH_DISPATCH=ON"

clang:
	@scripts/install-deps.sh --clang
	@$(MAKE) --no-print-directory test BUILD=build-clang CMAKE_FLAGS="-DCMAKE_CXX_COMPILER=clang++"

stress:
	@VALK_GC_STRESS=1 VALK_GC_VERIFY=1 $(MAKE) --no-print-directory test BUILD=build-debug BUILD_TYPE=Debug \
	  CMAKE_FLAGS="-DVALK_STRESS_RUN=ON $(CMAKE_FLAGS)"

# Only the tests where threads meet (worker isolates, the loop, the golden files that use them):
# the rest of the suite runs on one thread and is covered by make asan.
TSAN_TESTS = Isolate*:AioLoop*:Valk/Golden.Holds/isolates_*:Valk/Golden.Holds/aio_*:Valk/Golden.Holds/http_*
tsan: deps
	@cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVALK_TSAN=ON $(CMAKE_FLAGS) > /dev/null
	@cmake --build build-tsan --target valk_unit_tests
	@TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" build-tsan/valk_unit_tests --gtest_filter='$(TSAN_TESTS)' \
	  --gtest_brief=1

fuzz:
	@scripts/install-deps.sh --clang
	@cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
	  -DVALK_FUZZ=ON -DVALK_TESTS=OFF $(CMAKE_FLAGS) > /dev/null
	@cmake --build build-fuzz --target fuzz_reader fuzz_eval fuzz_format fuzz_json fuzz_unmarshal
	@scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS)

bench: build
	@scripts/install-deps.sh --bench
	@cmake -S . -B $(BUILD) -DVALK_BENCH=ON > /dev/null
	@cmake --build $(BUILD) --target valk_micro_bench
	@bench/run.sh $(BUILD)

N ?= 100
SEED ?= 1
MUTATE_FLAGS ?=
ASAN ?=
mutate: deps
	@scripts/mutate.py -n $(N) --seed $(SEED) --build build-mutate $(if $(ASAN),--asan-build build-asan-mutate) \
	  $(MUTATE_FLAGS)


format:
	@clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	@rm -rf build build-asan build-switch build-debug build-clang build-mutate build-asan-mutate build-fuzz build-tsan
