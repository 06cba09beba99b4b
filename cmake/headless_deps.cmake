# The small libraries every build needs (nlohmann/json, CLI11, GoogleTest, zlib, Gloo's headers), from the system
# where it has them, else from MLPIFY_DEPS_DIR: a folder scripts/gpu-check.sh --pack fills from
# Debian's packages for a GPU server that has PyTorch but none of them (include/ for the headers,
# googletest/ for GoogleTest's sources, built here).
set(MLPIFY_DEPS_DIR "${PROJECT_SOURCE_DIR}/.gpu-deps" CACHE PATH "Headers and sources of the small dependencies, where the system lacks them")

# A header-only library's imported TARGET from HEADER under the folder's include/, where the
# system's PACKAGE (named for the message) is not installed.
function(mlpify_headers_from_deps target header package)
  find_path(dir_${package} ${header} PATHS ${MLPIFY_DEPS_DIR}/include NO_DEFAULT_PATH)
  if(NOT dir_${package})
    message(FATAL_ERROR "${header} not found: install ${package}, or fill ${MLPIFY_DEPS_DIR} (scripts/gpu-check.sh --pack)")
  endif()
  add_library(${target} INTERFACE IMPORTED GLOBAL)
  target_include_directories(${target} INTERFACE ${dir_${package}})
endfunction()

find_package(nlohmann_json 3 QUIET)
if(NOT nlohmann_json_FOUND)
  mlpify_headers_from_deps(nlohmann_json::nlohmann_json nlohmann/json.hpp nlohmann-json3-dev)
endif()
find_package(CLI11 QUIET)
if(NOT CLI11_FOUND)
  mlpify_headers_from_deps(CLI11::CLI11 CLI/CLI.hpp libcli11-dev)
endif()

find_package(ZLIB QUIET)
if(NOT ZLIB_FOUND)
  # The headers from the folder, the library the system runs everything with (libz.so.1).
  find_path(MLPIFY_ZLIB_DIR zlib.h PATHS ${MLPIFY_DEPS_DIR}/include NO_DEFAULT_PATH)
  find_library(MLPIFY_ZLIB_LIBRARY NAMES z libz.so.1)
  if(NOT MLPIFY_ZLIB_DIR OR NOT MLPIFY_ZLIB_LIBRARY)
    message(FATAL_ERROR "zlib not found: install zlib1g-dev, or fill ${MLPIFY_DEPS_DIR} (scripts/gpu-check.sh --pack)")
  endif()
  add_library(ZLIB::ZLIB UNKNOWN IMPORTED GLOBAL)
  set_target_properties(ZLIB::ZLIB PROPERTIES IMPORTED_LOCATION ${MLPIFY_ZLIB_LIBRARY}
                        INTERFACE_INCLUDE_DIRECTORIES ${MLPIFY_ZLIB_DIR})
endif()

# Gloo's headers: c10d's ProcessGroupGloo.hpp includes them, and PyTorch's wheels do not ship them
# (Gloo itself is compiled into libtorch_cpu; Debian's libgloo-dev has the headers).
add_library(mlpify_gloo_headers INTERFACE)
find_path(MLPIFY_GLOO_DIR gloo/algorithm.h PATHS ${TORCH_INCLUDE_DIRS} /usr/include /usr/local/include NO_DEFAULT_PATH)
if(NOT MLPIFY_GLOO_DIR)
  find_path(MLPIFY_GLOO_DEPS_DIR gloo/algorithm.h PATHS ${MLPIFY_DEPS_DIR}/include NO_DEFAULT_PATH)
  if(NOT MLPIFY_GLOO_DEPS_DIR)
    message(FATAL_ERROR "gloo/algorithm.h not found: install libgloo-dev, or fill ${MLPIFY_DEPS_DIR} (scripts/gpu-check.sh --pack)")
  endif()
  target_include_directories(mlpify_gloo_headers SYSTEM INTERFACE ${MLPIFY_GLOO_DEPS_DIR})
endif()

# GoogleTest: only for the tests (tests/CMakeLists.txt calls this).
macro(mlpify_find_gtest)
  find_package(GTest QUIET)
  if(NOT GTest_FOUND AND NOT TARGET GTest::gtest)
    if(NOT EXISTS ${MLPIFY_DEPS_DIR}/googletest/CMakeLists.txt)
      message(FATAL_ERROR "GoogleTest not found: install libgtest-dev, or fill ${MLPIFY_DEPS_DIR} (scripts/gpu-check.sh --pack)")
    endif()
    set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
    set(BUILD_GMOCK OFF CACHE BOOL "" FORCE)
    add_subdirectory(${MLPIFY_DEPS_DIR}/googletest ${PROJECT_BINARY_DIR}/googletest EXCLUDE_FROM_ALL)
    if(NOT TARGET GTest::gtest)
      add_library(GTest::gtest ALIAS gtest)
      add_library(GTest::gtest_main ALIAS gtest_main)
    endif()
  endif()
endmacro()
