# Runs the libFuzzer front-end target for MAX_TIME seconds over the seed directories that
# exist. Called by ctest (fuzz_frontend_smoke):
#   cmake -DFUZZER=... -DWORK_DIR=... -DSEED_DIRS="a;b" -DMAX_TIME=20 [-DDICT=...] -P run_fuzz.cmake
# With -DCANCELCHECK=<exe> -DSPEC_DIR=<dir>, first writes one `cancelcheck check <spec> --json`
# document per spec under SPEC_DIR into WORK_DIR/seeds and fuzzes from those too (fuzz_json).
if(NOT EXISTS "${FUZZER}")
  message(FATAL_ERROR "fuzzer binary not found: ${FUZZER} (build target fuzz_frontend)")
endif()
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}/corpus" "${WORK_DIR}/artifacts")

set(dirs "${WORK_DIR}/corpus")
if(CANCELCHECK AND SPEC_DIR)
  file(MAKE_DIRECTORY "${WORK_DIR}/seeds")
  file(GLOB_RECURSE specs "${SPEC_DIR}/*.spec")
  set(n 0)
  foreach(spec IN LISTS specs)
    math(EXPR n "${n} + 1")
    get_filename_component(stem "${spec}" NAME_WE)
    # Exit codes 0/1/4 (pass, violation, incomplete) all write a document; 2 writes one too.
    execute_process(COMMAND "${CANCELCHECK}" check "${spec}" --all -q --no-progress
                            --time-limit 10 --json "${WORK_DIR}/seeds/${n}_${stem}.json"
                    OUTPUT_QUIET ERROR_QUIET)
  endforeach()
  file(GLOB seeds "${WORK_DIR}/seeds/*.json")
  list(LENGTH seeds seed_count)
  if(seed_count EQUAL 0)
    message(FATAL_ERROR "no seed documents were written by ${CANCELCHECK}")
  endif()
  message(STATUS "wrote ${seed_count} seed document(s) from ${SPEC_DIR}")
  list(APPEND dirs "${WORK_DIR}/seeds")
endif()
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
  if(NOT REGRESSIONS)
    set(REGRESSIONS tests/fuzz/regressions/)
  endif()
  get_filename_component(fuzzer_name "${FUZZER}" NAME)
  message(FATAL_ERROR "${fuzzer_name} failed (exit ${rc}); reproducers: ${crashes}\n"
                      "Replay with: ${FUZZER} <file>; add it to ${REGRESSIONS}")
endif()
