# One innspect-connectome run and its checks:
#   cmake -DEXPECT_EXIT=<code> [-DSTDERR_MATCH=<regex>] [-DSTDOUT_MATCH=<regex>]
#         [-DNPY_COMPARE=<npy-compare> -DOUT=<file.npy> -DSHAPE=<d0,d1,...>]
#         [-DEXPECTED=<reference.npy> -DMAX_REL=<m>] [-DWORK_DIR=<dir>] -P run.cmake -- <command> <args...>
# WORK_DIR is emptied first. With SHAPE, OUT must have that shape and be finite and not all zero;
# with EXPECTED, |OUT - EXPECTED| <= MAX_REL * max|EXPECTED|.
cmake_minimum_required(VERSION 3.20)
include(${CMAKE_CURRENT_LIST_DIR}/cli_common.cmake)

if(NOT DEFINED EXPECT_EXIT)
  set(EXPECT_EXIT 0)
endif()
if(DEFINED WORK_DIR)
  cli_fresh_dir(${WORK_DIR})
endif()
cli_args_after_dashdash(command)
cli_run(${EXPECT_EXIT} ${command})
if(DEFINED STDERR_MATCH AND NOT CLI_STDERR MATCHES "${STDERR_MATCH}")
  message(FATAL_ERROR "stderr does not match '${STDERR_MATCH}':\n${CLI_STDERR}")
endif()
if(DEFINED STDOUT_MATCH AND NOT CLI_STDOUT MATCHES "${STDOUT_MATCH}")
  message(FATAL_ERROR "stdout does not match '${STDOUT_MATCH}':\n${CLI_STDOUT}")
endif()
if(DEFINED SHAPE)
  cli_check_shape(${OUT} ${SHAPE})
endif()
if(DEFINED EXPECTED)
  cli_compare(${OUT} ${EXPECTED} --max-rel ${MAX_REL})
endif()
message(STATUS "ok (exit ${EXPECT_EXIT})\n${CLI_STDERR}")
