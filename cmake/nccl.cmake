# NCCL for --distributed on GPUs. With a CUDA LibTorch (Torch_DIR) the core is built with
# MLPIFY_WITH_NCCL and uses c10d's ProcessGroupNCCL. With Debian's CPU LibTorch the NCCL code
# cannot link or run, so it is compiled (never linked) against LibTorch's own c10d headers
# and the CUDA toolkit's nccl.h when those are present: the GPU path is type-checked on every
# build and cannot rot unseen.
find_path(MLPIFY_NCCL_INCLUDE_DIR nccl.h
  HINTS ENV NCCL_HOME ENV NCCL_ROOT ENV CUDA_HOME
  PATHS /usr/local/cuda /usr
  PATH_SUFFIXES include)

if(TORCH_CUDA_LIBRARIES OR TARGET torch_cuda)
  if(NOT MLPIFY_NCCL_INCLUDE_DIR)
    message(FATAL_ERROR "CUDA LibTorch found but no nccl.h: set NCCL_HOME (pip wheels: site-packages/nvidia/nccl)")
  endif()
  target_compile_definitions(mlpify_core PRIVATE MLPIFY_WITH_NCCL USE_C10D_NCCL)
  target_include_directories(mlpify_core PRIVATE ${MLPIFY_NCCL_INCLUDE_DIR})
  # c10d's NCCL headers call NCCL inline, and the linker does not take symbols from libtorch_cuda's
  # own dependencies: the library itself (pip's nvidia-nccl ships only libnccl.so.2).
  find_library(MLPIFY_NCCL_LIBRARY NAMES nccl libnccl.so.2
    HINTS ENV NCCL_HOME ENV NCCL_ROOT ENV CUDA_HOME PATHS /usr/local/cuda /usr PATH_SUFFIXES lib lib64)
  if(MLPIFY_NCCL_LIBRARY)
    target_link_libraries(mlpify_core PUBLIC ${MLPIFY_NCCL_LIBRARY})
  endif()
  set(MLPIFY_WITH_NCCL_SUMMARY "on (nccl.h in ${MLPIFY_NCCL_INCLUDE_DIR})")
  return()
endif()

find_path(MLPIFY_C10D_NCCL_HEADER_DIR torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp HINTS ${TORCH_INCLUDE_DIRS})
if(MLPIFY_NCCL_INCLUDE_DIR AND MLPIFY_C10D_NCCL_HEADER_DIR)
  # The one generated header Debian's package leaves out (it only says the CUDA part is a shared library).
  set(shim ${PROJECT_BINARY_DIR}/nccl-check-shim)
  file(WRITE ${shim}/c10/cuda/impl/cuda_cmake_macros.h "#pragma once\n#define C10_CUDA_BUILD_SHARED_LIBS\n")
  # The headers alone must compile together first (a CUDA toolkit too new or old for this
  # LibTorch skips the check instead of failing the build; MLPify's own code is what is checked).
  include(CheckCXXSourceCompiles)
  set(CMAKE_REQUIRED_INCLUDES ${shim} ${MLPIFY_NCCL_INCLUDE_DIR} ${TORCH_INCLUDE_DIRS})
  set(CMAKE_REQUIRED_DEFINITIONS -DUSE_C10D_NCCL)
  set(CMAKE_REQUIRED_QUIET ON)
  set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY) # compile only: nothing here can link
  check_cxx_source_compiles("#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
int main() { return 0; }" MLPIFY_C10D_NCCL_HEADERS_COMPILE)
  unset(CMAKE_REQUIRED_INCLUDES)
  unset(CMAKE_REQUIRED_DEFINITIONS)
  unset(CMAKE_REQUIRED_QUIET)
  unset(CMAKE_TRY_COMPILE_TARGET_TYPE)
endif()
if(MLPIFY_NCCL_INCLUDE_DIR AND MLPIFY_C10D_NCCL_HEADER_DIR AND MLPIFY_C10D_NCCL_HEADERS_COMPILE)
  add_library(mlpify_nccl_compile_check OBJECT ${PROJECT_SOURCE_DIR}/core/train/distributed.cpp)
  target_compile_definitions(mlpify_nccl_compile_check PRIVATE MLPIFY_WITH_NCCL USE_C10D_NCCL)
  target_include_directories(mlpify_nccl_compile_check PRIVATE ${PROJECT_SOURCE_DIR} ${shim} ${MLPIFY_NCCL_INCLUDE_DIR})
  target_include_directories(mlpify_nccl_compile_check SYSTEM PRIVATE ${TORCH_INCLUDE_DIRS})
  target_link_libraries(mlpify_nccl_compile_check PRIVATE nlohmann_json::nlohmann_json)
  set(MLPIFY_WITH_NCCL_SUMMARY "off (CPU LibTorch); its code compile-checked against ${MLPIFY_NCCL_INCLUDE_DIR}/nccl.h")
else()
  set(MLPIFY_WITH_NCCL_SUMMARY "off (CPU LibTorch; no nccl.h or its headers do not compile with this LibTorch: not compile-checked)")
endif()
