# Sessions, storage, streams, models, tools and the server: sources and tests.
list(APPEND AGENT_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/bus.c
  ${CMAKE_CURRENT_SOURCE_DIR}/stream.c
  ${CMAKE_CURRENT_SOURCE_DIR}/store.c
  ${CMAKE_CURRENT_SOURCE_DIR}/model.c
  ${CMAKE_CURRENT_SOURCE_DIR}/tools.c
  ${CMAKE_CURRENT_SOURCE_DIR}/agent.c
  ${CMAKE_CURRENT_SOURCE_DIR}/serve.c
  ${CMAKE_CURRENT_SOURCE_DIR}/net.c
  ${CMAKE_CURRENT_SOURCE_DIR}/proc.c
  ${CMAKE_CURRENT_SOURCE_DIR}/live.c
  ${CMAKE_CURRENT_SOURCE_DIR}/calibrate.c)

list(APPEND AGENT_TESTS
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/test_bus.c
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/test_stream.c
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/test_store.c
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/test_model.c
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/test_agent.c)

# The server over loopback, driven through `capsim agent serve`; the
# capsim target is defined by the top-level CMakeLists.txt.
if(SIM_TESTS)
  add_test(NAME agent_serve
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tests/serve.sh
            $<TARGET_FILE:capsim> ${CMAKE_CURRENT_SOURCE_DIR}/tests)
  # capsim calibrate against the scripted core: figures within the bounds
  # the scripted model sets, and its exit codes.
  add_test(NAME agent_calibrate
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tests/calibrate.sh
            $<TARGET_FILE:capsim> ${CMAKE_SOURCE_DIR})
  add_test(NAME agent_live
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tests/live.sh
            $<TARGET_FILE:capsim>)
  set_tests_properties(agent_live PROPERTIES TIMEOUT 120
    FAIL_REGULAR_EXPRESSION "ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:")
  set_tests_properties(agent_calibrate PROPERTIES TIMEOUT 120
    FAIL_REGULAR_EXPRESSION "ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:")
endif()

# The load client the reliability tests drive the server with.
if(SIM_TESTS)
  add_executable(ag_load ${CMAKE_CURRENT_SOURCE_DIR}/tests/load.c)
  target_link_libraries(ag_load PRIVATE capsim_agent)
endif()

# Reliability: load, crashes, re-attach churn, slow clients, limits and a
# full disk (docs/reliability.md).  Each stays near a minute or under.
if(SIM_TESTS)
  add_test(NAME agent_load
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tests/load.sh
            $<TARGET_FILE:capsim> $<TARGET_FILE:ag_load>)
  set_tests_properties(agent_load PROPERTIES TIMEOUT 180
    FAIL_REGULAR_EXPRESSION "ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:")
endif()
if(SIM_TESTS)
  add_test(NAME agent_limits
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tests/limits.sh
            $<TARGET_FILE:capsim>)
  add_test(NAME agent_slow
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tests/slow.sh
            $<TARGET_FILE:capsim> $<TARGET_FILE:ag_load>)
  set_tests_properties(agent_limits agent_slow PROPERTIES TIMEOUT 120
    FAIL_REGULAR_EXPRESSION "ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:")
endif()
if(SIM_TESTS)
  add_test(NAME agent_diskfull
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tests/diskfull.sh
            $<TARGET_FILE:capsim> ${CMAKE_SOURCE_DIR})
  set_tests_properties(agent_diskfull PROPERTIES TIMEOUT 120
    FAIL_REGULAR_EXPRESSION "ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:")
endif()
if(SIM_TESTS)
  add_test(NAME agent_crash
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tests/crash.sh
            $<TARGET_FILE:capsim>)
  add_test(NAME agent_reattach
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tests/reattach.sh
            $<TARGET_FILE:capsim>)
  set_tests_properties(agent_crash agent_reattach PROPERTIES TIMEOUT 120
    FAIL_REGULAR_EXPRESSION "ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:")
endif()
