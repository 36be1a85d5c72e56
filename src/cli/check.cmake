# healthgap_check: the `check` subcommand (one-shot health-vs-API comparison). Included from
# src/cli/CMakeLists.txt; tests/cli includes it too when the cli folder does not (yet).
add_library(healthgap_check ${CMAKE_CURRENT_LIST_DIR}/check.cc)
target_link_libraries(healthgap_check
  PUBLIC healthgap_common healthgap_config healthgap_probe CLI11::CLI11
  PRIVATE healthgap_eval healthgap_engine)
