# The settlement reports (report.h: CSV and HTML; json.h: JSON), included from
# settlement/CMakeLists.txt into the loyalty_settlement library.
find_package(nlohmann_json CONFIG REQUIRED)
target_sources(loyalty_settlement PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/report.cc ${CMAKE_CURRENT_LIST_DIR}/report_csv.cc
  ${CMAKE_CURRENT_LIST_DIR}/report_html.cc ${CMAKE_CURRENT_LIST_DIR}/json.cc)
target_link_libraries(loyalty_settlement PRIVATE nlohmann_json::nlohmann_json)
