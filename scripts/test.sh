#!/bin/sh
# Builds synth twice (release with -Werror, and ASan+UBSan) and runs the whole
# CTest suite in both: unit, integration against the lab and real peers, and
# the fuzz seed corpora. With clang present, a short libFuzzer run per parser.
set -eu
cd "$(dirname "$0")/.."
JOBS=$(nproc 2>/dev/null || echo 2)

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSYNTH_WERROR=ON >/dev/null
cmake --build build -j"$JOBS"
ctest --test-dir build --output-on-failure -j"$JOBS" -LE bench

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSYNTH_SANITIZE=ON -DSYNTH_WERROR=ON >/dev/null
cmake --build build-asan -j"$JOBS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j"$JOBS" -LE bench

if command -v clang >/dev/null 2>&1; then
    CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DSYNTH_FUZZ=ON \
        -DSYNTH_SANITIZE=ON -DFUZZ_SECONDS="${SYNTH_FUZZ_SECONDS:-15}" >/dev/null
    cmake --build build-fuzz -j"$JOBS"
    ctest --test-dir build-fuzz --output-on-failure -L fuzz
fi
