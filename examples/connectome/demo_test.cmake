# CTest script of `innspect-connectome demo` (test demo.run, label demo; examples/CMakeLists.txt):
#   cmake -DCLI=<innspect-connectome> -DWORK_DIR=<empty dir> -P demo_test.cmake
# 1. `demo --samples 2 --out-dir WORK_DIR/out` (default --data: the repository's data/) exits 0,
#    writes sample_0.png, sample_1.png, class_overview.png (PNG signatures) and summary.txt, and the
#    summary (also on stdout) has every section: predictions, the block share, the AOPC table;
#    progress went to stderr.
# 2. `demo --data WORK_DIR/no_such_dir` exits 1 with a message naming that directory.

foreach(v CLI WORK_DIR)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "demo_test.cmake: -D${v}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(out ${WORK_DIR}/out)

execute_process(COMMAND ${CLI} demo --samples 2 --out-dir ${out}
                WORKING_DIRECTORY ${WORK_DIR}
                RESULT_VARIABLE rc OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "demo exited with ${rc}\nstdout:\n${stdout}\nstderr:\n${stderr}")
endif()

set(png_signature "89504e470d0a1a0a")
foreach(f sample_0.png sample_1.png class_overview.png)
  if(NOT EXISTS ${out}/${f})
    message(FATAL_ERROR "demo did not write ${out}/${f}\nstderr:\n${stderr}")
  endif()
  file(READ ${out}/${f} head LIMIT 8 HEX)
  if(NOT head STREQUAL png_signature)
    message(FATAL_ERROR "${out}/${f} is no PNG (starts with ${head})")
  endif()
endforeach()
if(EXISTS ${out}/sample_2.png)
  message(FATAL_ERROR "demo --samples 2 wrote ${out}/sample_2.png")
endif()
if(NOT EXISTS ${out}/summary.txt)
  message(FATAL_ERROR "demo did not write ${out}/summary.txt")
endif()
file(READ ${out}/summary.txt summary)

foreach(re
    "on 2 held-out sample"
    "architecture: 12 layers match|load:"
    "accuracy [0-9]/2"
    "latent unit [0-9]+: its conv2 pre-activation"
    "stopped at the latent code"
    "sample 1 \\(S +[-+][0-9.]+, sum R +[-+][0-9.]+\\): +[0-9]+ [-+][0-9.]+"
    "concept score c\\.latent per sample: [-+][0-9.]+ [-+][0-9.]+"
    "block share: mean [0-9]+\\.[0-9]% = [0-9]+\\.[0-9]x the block's 5\\.6% of the matrix"
    "LRP-epsilon \\(0\\.1\\) \\[heatmaps\\] +-?[0-9]+\\.[0-9]+"
    "LRP-alpha2beta1 +-?[0-9]+\\.[0-9]+"
    "gradient +-?[0-9]+\\.[0-9]+"
    "input x gradient +-?[0-9]+\\.[0-9]+"
    "random \\(mean of 10\\) +-?[0-9]+\\.[0-9]+"
    "Runtime: [0-9.]+ s")
  if(NOT summary MATCHES "${re}")
    message(FATAL_ERROR "summary.txt does not match '${re}':\n${summary}")
  endif()
endforeach()
if(summary MATCHES "nan|inf")
  message(FATAL_ERROR "summary.txt holds a nan or inf:\n${summary}")
endif()
if(NOT stdout STREQUAL summary)
  message(FATAL_ERROR "stdout differs from summary.txt:\n${stdout}")
endif()
if(NOT stderr MATCHES "\\[2/2\\] heatmaps of sample 1")
  message(FATAL_ERROR "no progress on stderr:\n${stderr}")
endif()

# A missing data directory: exit 1, the path in the message.
execute_process(COMMAND ${CLI} demo --data ${WORK_DIR}/no_such_dir --out-dir ${WORK_DIR}/out2
                RESULT_VARIABLE rc OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
if(NOT rc EQUAL 1 OR NOT stderr MATCHES "data directory '[^']*no_such_dir' does not exist")
  message(FATAL_ERROR "demo --data <missing>: exit ${rc} (expected 1), stderr:\n${stderr}")
endif()
message(STATUS "demo: ok\n${summary}")
