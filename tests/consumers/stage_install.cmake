# CTest fixture: stage a fresh install of the build tree into PREFIX and check its layout.
#   cmake -DBUILD_DIR=<innspect build> -DPREFIX=<stage dir> [-DCONFIG=<cfg>] [-DWITH_HDF5=ON] -P stage_install.cmake
cmake_minimum_required(VERSION 3.20)
foreach(var BUILD_DIR PREFIX)
  if(NOT ${var})
    message(FATAL_ERROR "stage_install.cmake: ${var} is not set")
  endif()
endforeach()

file(REMOVE_RECURSE "${PREFIX}")
set(config_args "")
if(CONFIG)
  set(config_args --config "${CONFIG}")
endif()
execute_process(
  COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}" ${config_args}
          --component innspect_Development
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${rc})")
endif()

set(expected
  share/cmake/innspect/innspectConfig.cmake
  share/cmake/innspect/innspectConfigVersion.cmake
  share/cmake/innspect/innspectTargets.cmake
  share/cmake/innspect/innspectKeras.cmake
  share/doc/innspect/LICENSE
  include/innspect/core/tensor.hpp)
if(WITH_HDF5)
  list(APPEND expected share/cmake/innspect/innspectHdf5Targets.cmake)
endif()
foreach(file IN LISTS expected)
  if(NOT EXISTS "${PREFIX}/${file}")
    message(FATAL_ERROR "the staged install lacks ${file}")
  endif()
endforeach()

# The version file: 0.1 accepted, 1.0 refused, and (header-only, ARCH_INDEPENDENT) a consumer
# with another pointer size accepted.
function(check_version wanted sizeof_void_p expect_ok)
  set(PACKAGE_FIND_NAME innspect)
  set(PACKAGE_FIND_VERSION ${wanted})
  string(REPLACE "." ";" parts "${wanted}")
  list(GET parts 0 PACKAGE_FIND_VERSION_MAJOR)
  list(GET parts 1 PACKAGE_FIND_VERSION_MINOR)
  set(PACKAGE_FIND_VERSION_PATCH 0)
  set(PACKAGE_FIND_VERSION_COUNT 2)
  set(CMAKE_SIZEOF_VOID_P ${sizeof_void_p})
  include("${PREFIX}/share/cmake/innspect/innspectConfigVersion.cmake")
  if(PACKAGE_VERSION_COMPATIBLE AND NOT PACKAGE_VERSION_UNSUITABLE)
    set(ok TRUE)
  else()
    set(ok FALSE)
  endif()
  if(NOT ok STREQUAL expect_ok)
    message(FATAL_ERROR "innspectConfigVersion.cmake (version ${PACKAGE_VERSION}): asked for ${wanted} "
                        "with sizeof(void*) = ${sizeof_void_p}, accepted = ${ok}, expected ${expect_ok}")
  endif()
endfunction()
check_version(0.1 8 TRUE)
check_version(0.1 4 TRUE)
check_version(1.0 8 FALSE)

message(STATUS "staged innspect into ${PREFIX}")
