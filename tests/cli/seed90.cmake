# The trained W = 90 seed model (examples/connectome/data/, made by examples/connectome/train/):
#   cmake -DCLI=... -DNPY_COMPARE=... -DNPY_MAKE=... -DDATA=<examples/connectome/data>
#         -DWORK_DIR=<dir> -P seed90.cmake
#   1. predict on the first two held-out connectomes, float and double: the probabilities and the
#      reconstruction match the numpy Keras forward in data/heldout_reference/;
#   2. explain every held-out sample's class-1 logit with epsilon_gamma_box (bounds [-1, 1], the
#      inputs' range) and the block region of the reconstruction with gradient;
#   3. concept (class-1 minus class-0 samples) and the concept direction explained.
cmake_minimum_required(VERSION 3.20)
include(${CMAKE_CURRENT_LIST_DIR}/cli_common.cmake)

cli_fresh_dir(${WORK_DIR})
set(w ${DATA}/seed90.h5)
set(ref ${DATA}/heldout_reference)
cli_run(0 ${NPY_MAKE} slice ${DATA}/heldout_x.npy ${WORK_DIR}/x2.npy 0 2)
foreach(precision float double)
  if(precision STREQUAL "float")
    set(max_rel 1e-5)
  else()
    set(max_rel 1e-10)
  endif()
  set(out ${WORK_DIR}/predict_${precision})
  cli_run(0 ${CLI} predict --weights ${w} --input ${WORK_DIR}/x2.npy --out-dir ${out} --precision ${precision})
  cli_compare(${out}/output.npy ${ref}/output.npy --max-rel ${max_rel})
  cli_compare(${out}/autoencoder.npy ${ref}/autoencoder.npy --max-rel ${max_rel})
endforeach()

set(x --weights ${w} --input ${DATA}/heldout_x.npy)
cli_run(0 ${CLI} explain ${x} --method lrp.composite --composite epsilon_gamma_box --low -1 --high 1
        --target output:index:1 --out ${WORK_DIR}/egb.npy --report)
if(NOT CLI_STDOUT MATCHES "conv1 +zbox\\(-1, 1\\)")
  message(FATAL_ERROR "--report: no z-box line for conv1:\n${CLI_STDOUT}")
endif()
cli_check_shape(${WORK_DIR}/egb.npy 8,90,90,1)
cli_run(0 ${CLI} explain ${x} --method gradient --target autoencoder:mask:${DATA}/block_mask.npy
        --out ${WORK_DIR}/region.npy)
cli_check_shape(${WORK_DIR}/region.npy 8,90,90,1)

cli_run(0 ${CLI} concept --weights ${w} --with ${DATA}/concept_with.npy --without ${DATA}/concept_without.npy
        --out ${WORK_DIR}/c.npy)
cli_check_shape(${WORK_DIR}/c.npy 1,64)
cli_run(0 ${CLI} explain ${x} --method lrp.epsilon --epsilon 0.1 --target dropout2:direction:${WORK_DIR}/c.npy
        --out ${WORK_DIR}/concept.npy)
cli_check_shape(${WORK_DIR}/concept.npy 8,90,90,1)
message(STATUS "seed90: predict matches the reference; explain and concept run")
