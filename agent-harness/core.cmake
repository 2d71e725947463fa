# Config and resource loading: sources and tests (see CMakeLists.txt).
# resource.c signs S3 requests (AWS Signature Version 4) with OpenSSL's
# SHA-256 and HMAC (Debian libssl-dev); CMakeLists.txt links libcrypto.

list(APPEND AGENT_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/config.c
  ${CMAKE_CURRENT_SOURCE_DIR}/resource.c)
list(APPEND AGENT_TESTS
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/test_config.c
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/test_resource.c)
