# Config and resource loading: sources and tests (see CMakeLists.txt).
