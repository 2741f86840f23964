# cmake -DDOC=docs/partner-integration.md -DOUT_DIR=... -P guide_example.cmake
# Writes the guide's first example (section 1.3: its `CMakeLists.txt` and `main.cc` code
# blocks) to OUT_DIR as they stand in the guide, so tests build and run exactly what a
# partner's engineer copies.
foreach(var DOC OUT_DIR)
  if(NOT ${var})
    message(FATAL_ERROR "${var} is not set")
  endif()
endforeach()
file(READ "${DOC}" doc)

# The fenced block of language `lang` right after the line "`name`:".
function(extract name lang out_file)
  set(head "`${name}`:\n\n```${lang}\n")
  string(FIND "${doc}" "${head}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${DOC}: no ${lang} block after `${name}`:")
  endif()
  string(LENGTH "${head}" head_len)
  math(EXPR from "${at} + ${head_len}")
  string(SUBSTRING "${doc}" ${from} -1 rest)
  string(FIND "${rest}" "\n```" end)
  if(end EQUAL -1)
    message(FATAL_ERROR "${DOC}: the ${name} block is not closed")
  endif()
  string(SUBSTRING "${rest}" 0 ${end} body)
  file(WRITE "${out_file}.tmp" "${body}\n")
  # Rewrite only on change, so a build does not recompile an unchanged example.
  execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${out_file}.tmp" "${out_file}")
  file(REMOVE "${out_file}.tmp")
endfunction()

file(MAKE_DIRECTORY "${OUT_DIR}")
extract("CMakeLists.txt" cmake "${OUT_DIR}/CMakeLists.txt")
extract("main.cc" cpp "${OUT_DIR}/main.cc")
