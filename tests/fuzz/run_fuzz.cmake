# Runs the libFuzzer front-end target for MAX_TIME seconds over the seed directories that
# exist. Called by ctest (fuzz_frontend_smoke):
#   cmake -DFUZZER=... -DWORK_DIR=... -DSEED_DIRS="a;b" -DMAX_TIME=20 [-DDICT=...] -P run_fuzz.cmake
if(NOT EXISTS "${FUZZER}")
  message(FATAL_ERROR "fuzzer binary not found: ${FUZZER} (build target fuzz_frontend)")
endif()
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}/corpus" "${WORK_DIR}/artifacts")

set(dirs "${WORK_DIR}/corpus")
foreach(d IN LISTS SEED_DIRS)
  if(IS_DIRECTORY "${d}")
    list(APPEND dirs "${d}")
  else()
    message(STATUS "seed directory not found (skipped): ${d}")
  endif()
endforeach()

set(args -max_total_time=${MAX_TIME} -timeout=10 -rss_limit_mb=2048 -max_len=65536
         -print_final_stats=1 -artifact_prefix=${WORK_DIR}/artifacts/)
if(DICT AND EXISTS "${DICT}")
  list(APPEND args -dict=${DICT})
endif()

execute_process(COMMAND "${FUZZER}" ${args} ${dirs}
                RESULT_VARIABLE rc
                OUTPUT_VARIABLE out
                ERROR_VARIABLE err)
string(LENGTH "${err}" err_len)
if(err_len GREATER 6000)
  math(EXPR start "${err_len} - 6000")
  string(SUBSTRING "${err}" ${start} 6000 err)
endif()
message("${out}${err}")
if(NOT rc EQUAL 0)
  file(GLOB crashes "${WORK_DIR}/artifacts/*")
  message(FATAL_ERROR "fuzz_frontend failed (exit ${rc}); reproducers: ${crashes}\n"
                      "Replay with: ${FUZZER} <file>; add it to tests/fuzz/regressions/")
endif()
