# `concept` then `explain --target LAYER:direction:C.npy` on the W = 16 seed fixture:
#   cmake -DCLI=... -DNPY_COMPARE=... -DNPY_MAKE=... -DDATA=<tests/data/forward/seed16>
#         -DWORK_DIR=<dir> -P concept.cmake
# Checks that
#   1. c = mean latent(with) - mean latent(without) for the default layer dropout2: with = the
#      first sample, without = the second, so c equals the difference of their dropout2 outputs
#      computed by `predict` (and by the numpy reference);
#   2. explaining the concept direction gives finite, non-zero input-shaped relevance, for
#      dropout2 (the matching pair) and conv2 (the pair the CLI test list names);
#   3. --layer conv2 --pre-activation gives a (1, 64) vector too.
cmake_minimum_required(VERSION 3.20)
include(${CMAKE_CURRENT_LIST_DIR}/cli_common.cmake)

cli_fresh_dir(${WORK_DIR})
set(w ${DATA}/weights.h5)
cli_run(0 ${NPY_MAKE} slice ${DATA}/input.npy ${WORK_DIR}/with.npy 0 1)
cli_run(0 ${NPY_MAKE} slice ${DATA}/input.npy ${WORK_DIR}/without.npy 1 2)
cli_run(0 ${NPY_MAKE} slice ${DATA}/dropout2.out.npy ${WORK_DIR}/latent_with.npy 0 1)
cli_run(0 ${NPY_MAKE} slice ${DATA}/dropout2.out.npy ${WORK_DIR}/latent_without.npy 1 2)

cli_run(0 ${CLI} concept --weights ${w} --with ${WORK_DIR}/with.npy --without ${WORK_DIR}/without.npy
        --out ${WORK_DIR}/c.npy --precision double)
cli_run(0 ${NPY_COMPARE} --shape ${WORK_DIR}/c.npy 1,64)
cli_compare(${WORK_DIR}/c.npy ${WORK_DIR}/latent_with.npy --minus ${WORK_DIR}/latent_without.npy --any-shape
            --max-rel 1e-9)

foreach(precision float double)
  foreach(layer dropout2 conv2)
    set(out ${WORK_DIR}/r_${layer}_${precision}.npy)
    cli_run(0 ${CLI} explain --weights ${w} --input ${DATA}/input.npy --method lrp.epsilon
            --target ${layer}:direction:${WORK_DIR}/c.npy --out ${out} --precision ${precision})
    cli_check_shape(${out} 3,16,16,1)
  endforeach()
endforeach()

cli_run(0 ${CLI} concept --weights ${w} --with ${WORK_DIR}/with.npy --without ${DATA}/input.npy
        --layer conv2 --pre-activation --out ${WORK_DIR}/c_pre.npy)
cli_run(0 ${NPY_COMPARE} --shape ${WORK_DIR}/c_pre.npy 1,64)
cli_run(0 ${CLI} explain --weights ${w} --input ${DATA}/input.npy --method gradient
        --target conv2:direction:${WORK_DIR}/c_pre.npy --out ${WORK_DIR}/g.npy)
cli_check_shape(${WORK_DIR}/g.npy 3,16,16,1)
message(STATUS "concept: c matches the reference latent difference; direction targets explain")
