# CMake functions that turn Keras model files into C++ targets, with the program innspect-keras
# (tools/innspect-keras/). Included by innspect's own CMakeLists.txt (build tree, add_subdirectory,
# FetchContent) and by the installed innspectConfig.cmake; both provide the program as the
# executable target innspect::innspect-keras when innspect was built with nlohmann-json and HDF5.
#
#   innspect_add_keras_model(TARGET FILE... [NAME name] [NAMESPACE ns] [UNTIL layer])
#
#     An INTERFACE library TARGET carrying the generated header <TARGET.hpp> (in the build tree),
#     which declares `template <class T> using name = innspect::Model<T, ...>;` (name defaults to
#     TARGET) for the model FILE... describe (several files: one model, in model order), with
#     only what `layer` needs when UNTIL is given. The header is regenerated when a FILE changes.
#     Relative FILE paths are relative to the calling CMakeLists.txt.
#
#       innspect_add_keras_model(seed_model data/seed90.h5 NAME Seed90 NAMESPACE app)
#       target_link_libraries(app PRIVATE seed_model innspect::hdf5 innspect::keras)
#       # or, with the loading code compiled once: ... seed_model innspect::keras_compiled)
#       // app.cpp: #include <seed_model.hpp>   app::Seed90<float> net;
#
#   innspect_add_keras_cli(TARGET FILE... [NAME name] [NAMESPACE ns] [UNTIL layer])
#
#     An executable TARGET with predict / explain / summary for that model (see below).

include_guard(GLOBAL)

function(innspect_add_keras_model target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "NAME;NAMESPACE;UNTIL" "")
  if(NOT arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "innspect_add_keras_model(${target}): no Keras model FILE given")
  endif()
  if(NOT TARGET innspect::innspect-keras)
    message(FATAL_ERROR "innspect_add_keras_model(${target}): the program innspect-keras is not available "
                        "(innspect was built without nlohmann-json or HDF5)")
  endif()
  set(name ${target})
  if(arg_NAME)
    set(name ${arg_NAME})
  endif()

  set(files "")
  foreach(f IN LISTS arg_UNPARSED_ARGUMENTS)
    get_filename_component(f "${f}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND files "${f}")
  endforeach()
  set(options --name ${name})
  if(arg_NAMESPACE)
    list(APPEND options --namespace ${arg_NAMESPACE})
  endif()
  if(arg_UNTIL)
    list(APPEND options --until ${arg_UNTIL})
  endif()

  set(dir "${CMAKE_CURRENT_BINARY_DIR}/innspect_keras/${target}")
  set(header "${dir}/${target}.hpp")
  # In the build tree the program is built first (a dependency on its real target); an installed
  # one is simply run.
  set(tool_dependency "")
  get_target_property(tool_target innspect::innspect-keras ALIASED_TARGET)
  if(tool_target)
    set(tool_dependency ${tool_target})
  endif()
  file(MAKE_DIRECTORY "${dir}")
  add_custom_command(
    OUTPUT "${header}"
    COMMAND $<TARGET_FILE:innspect::innspect-keras> header ${files} ${options} -o "${header}"
    DEPENDS ${files} ${tool_dependency}
    COMMENT "innspect-keras: generating ${target}.hpp (${name}) from ${arg_UNPARSED_ARGUMENTS}"
    VERBATIM)
  add_custom_target(${target}_generate DEPENDS "${header}")
  add_library(${target} INTERFACE)
  target_include_directories(${target} INTERFACE "${dir}")
  target_link_libraries(${target} INTERFACE innspect::innspect)
  # Dependencies of an interface library are followed by whatever links it: the header exists
  # before any of them compiles.
  add_dependencies(${target} ${target}_generate)
endfunction()

# innspect_add_keras_cli(TARGET FILE... [NAME name] [NAMESPACE ns] [UNTIL layer])
#
#   An executable TARGET: the command line of innspect::cli::main (innspect/cli/main.hpp) for the
#   model FILE... describe, declared by innspect_add_keras_model (target TARGET_model, regenerated
#   when a FILE changes):
#
#     TARGET predict --weights F --input X.npy --out-dir D [--precision float|double]
#     TARGET explain --weights F --input X.npy --method M --target LAYER[:SELECTION] --out R.npy [...]
#     TARGET summary
#
#   --weights takes the file the model was generated from or any file with the same architecture
#   (.h5, .keras, .weights.h5); a file with a config is checked against the declaration first.
#   Needs the innspect::cli target (innspect built with nlohmann-json and HDF5).
#
#     innspect_add_keras_cli(ae_cli data/ae.keras NAME Autoencoder)
function(innspect_add_keras_cli target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "NAME;NAMESPACE;UNTIL" "")
  if(NOT arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "innspect_add_keras_cli(${target}): no Keras model FILE given")
  endif()
  if(NOT TARGET innspect::cli)
    message(FATAL_ERROR "innspect_add_keras_cli(${target}): innspect::cli is not available "
                        "(innspect was built without nlohmann-json or HDF5)")
  endif()
  set(name ${target}_model_t)
  if(arg_NAME)
    set(name ${arg_NAME})
  endif()
  set(ns innspect_cli_models)
  if(arg_NAMESPACE)
    set(ns ${arg_NAMESPACE})
  endif()
  set(model_options NAME ${name} NAMESPACE ${ns})
  if(arg_UNTIL)
    list(APPEND model_options UNTIL ${arg_UNTIL})
  endif()
  innspect_add_keras_model(${target}_model ${arg_UNPARSED_ARGUMENTS} ${model_options})

  set(main "${CMAKE_CURRENT_BINARY_DIR}/innspect_keras/${target}/${target}_main.cpp")
  file(CONFIGURE OUTPUT "${main}" CONTENT
"// Generated by innspect_add_keras_cli(${target}): the command line of innspect::cli::main for the
// model declared in ${target}_model.hpp (innspect-keras header).
#include <${target}_model.hpp>

#include <innspect/cli/main.hpp>

int main(int argc, char** argv) { return innspect::cli::main<${ns}::${name}>(argc, argv, \"${target}\"); }
" @ONLY)
  add_executable(${target} "${main}")
  target_link_libraries(${target} PRIVATE ${target}_model innspect::cli)
endfunction()
