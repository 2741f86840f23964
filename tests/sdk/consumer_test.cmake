# cmake -DBUILD_DIR=... -DWORK_DIR=... -DCONSUMER_SOURCE=... -DGUIDE=... -P consumer_test.cmake
# Installs the SDK component of BUILD_DIR into WORK_DIR/prefix, then configures, builds
# and runs the consumer project (tests/sdk/consumer) against that prefix only; then does
# the same with the first example of the partner guide (GUIDE), as written there: without
# LOYALTY_API_KEY it must say so and exit 2, not crash. (sdk_cli_test runs the same
# example against a hub.)
foreach(var BUILD_DIR WORK_DIR CONSUMER_SOURCE GUIDE)
  if(NOT ${var})
    message(FATAL_ERROR "${var} is not set")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
endfunction()

run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix} --component partner_sdk)
foreach(f include/loyalty/partner_client.h include/loyalty/mocks/mock_partner_connection.h
          include/loyalty/bank_client.h include/loyalty/mocks/mock_bank_connection.h
          include/loyalty/v1/partner.grpc.pb.h lib/libloyalty_partner_sdk.a bin/loyalty
          lib/cmake/LoyaltyPartnerSdk/LoyaltyPartnerSdkConfig.cmake)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()
# Nothing of the source tree is visible: the prefix is the only place to look.
run(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE} -B ${WORK_DIR}/build
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build -j2)
run(${WORK_DIR}/build/till)
run(${WORK_DIR}/build/till_test)
message(STATUS "consumer built and ran against ${prefix}")

execute_process(COMMAND ${CMAKE_COMMAND} -DDOC=${GUIDE} -DOUT_DIR=${WORK_DIR}/guide
                        -P ${CMAKE_CURRENT_LIST_DIR}/guide_example.cmake
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "could not extract the guide's example from ${GUIDE}")
endif()
run(${CMAKE_COMMAND} -S ${WORK_DIR}/guide -B ${WORK_DIR}/guide/build
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/guide/build -j2)
execute_process(COMMAND ${CMAKE_COMMAND} -E env --unset=LOYALTY_API_KEY
                        ${WORK_DIR}/guide/build/my_till
                RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_VARIABLE out)
if(NOT rc STREQUAL "2" OR NOT err MATCHES "LOYALTY_API_KEY is not set")
  message(FATAL_ERROR "the guide's my_till without LOYALTY_API_KEY: exit '${rc}', "
                      "stderr '${err}', stdout '${out}' (want exit 2 and a message)")
endif()
message(STATUS "the guide's example built against ${prefix} and refused to run without a key")
