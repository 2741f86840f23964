# cmake -DBUILD_DIR=... -DWORK_DIR=... -DCONSUMER_SOURCE=... -P consumer_test.cmake
# Installs the SDK component of BUILD_DIR into WORK_DIR/prefix, then configures, builds
# and runs the consumer project (tests/sdk/consumer) against that prefix only.
foreach(var BUILD_DIR WORK_DIR CONSUMER_SOURCE)
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
