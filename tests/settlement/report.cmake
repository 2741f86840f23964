# The report suite (settlement/report.h, settlement/json.h), included from
# tests/settlement/CMakeLists.txt. No database.
#
# report_test also writes a sample report into artifacts/ of the build tree; the
# report_chromium test then opens it in headless Chromium, checks the DOM and the console,
# and leaves the screenshot artifacts/report.png there (a build artifact, not committed).
set(REPORT_ARTIFACTS_DIR ${CMAKE_CURRENT_BINARY_DIR}/artifacts)
loyalty_test(report_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/report_test.cc
  LIBS loyalty::settlement)
target_compile_definitions(report_test PRIVATE
  LOYALTY_REPORT_ARTIFACTS_DIR="${REPORT_ARTIFACTS_DIR}")
set_tests_properties(report_test PROPERTIES FIXTURES_SETUP settlement_report)

find_program(CHROMIUM_EXECUTABLE NAMES chromium chromium-browser)
add_test(NAME report_chromium
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/chromium_check.sh
    ${REPORT_ARTIFACTS_DIR}/report.html ${REPORT_ARTIFACTS_DIR}/report.png
    "Summary" "Bilateral matrix" "Net positions" "Payment instructions" "Settlement lines"
    "Liability roll-forward" "Reconciliation")
set_tests_properties(report_chromium PROPERTIES
  FIXTURES_REQUIRED settlement_report
  TIMEOUT 300
  ENVIRONMENT "CHROMIUM=${CHROMIUM_EXECUTABLE}")
