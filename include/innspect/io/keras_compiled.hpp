#pragma once
/// \file
/// Header-only or compiled: how the Keras I/O headers (io/keras_json.hpp, io/architecture.hpp,
/// io/keras_h5.hpp, io/keras_model.hpp) give their model-independent entry points — parsing a
/// model_config, comparing it with a C++ model's description, staging a weight file, loading
/// files into a model's weights.
///
///   header-only (default)       the headers define them `inline`: every program that loads a
///                               Keras file compiles the JSON parser, the architecture check and
///                               the HDF5 reader itself.
///   INNSPECT_KERAS_COMPILED     the headers only declare them; they are compiled once into the
///                               `innspect::keras_compiled` library (src/keras_io.cpp), which
///                               defines the macro for its users. io/keras_model.hpp then
///                               includes neither nlohmann-json nor the config readers, and a
///                               program's load_keras_model<Model> only describes its model.
///
/// The templates (load_keras_model<Model>, check_architecture<Model>, ...) are the same in both
/// modes: they describe the model (detail::collect_cpp_layers(), io::cpp_architecture<Model>())
/// and hand that plain data to the entry points. Whether `.keras` archives are read
/// (INNSPECT_KERAS3) is fixed when the library is built: the file-loading entry points live in
/// io/keras_model.hpp's inline namespace named for it, so a program built the other way fails to
/// link instead of loading differently.

#if defined(INNSPECT_KERAS_COMPILED)
#define INNSPECT_KERAS_INLINE
#define INNSPECT_KERAS_MODE_NS compiled
#else
#define INNSPECT_KERAS_INLINE inline
#define INNSPECT_KERAS_MODE_NS header_only
#endif
// The entry points live in `inline namespace INNSPECT_KERAS_MODE_NS`: a program whose translation
// units disagree (some link innspect::keras_compiled, some not) calls two distinct sets of
// functions, each consistent, instead of one function defined inline in some units and out of line
// in the library (an ODR violation the linker would resolve silently).
//
// The library's target also records the nlohmann-json version and JSON_DIAGNOSTICS setting it was
// built with (INNSPECT_KERAS_COMPILED_JSON_VERSION / _JSON_DIAGNOSTICS); io/keras_json.hpp, where
// the json values it shares with its users are declared, compares them after including
// nlohmann-json (this header may come first, before nlohmann-json is seen, so it cannot).

// The bodies are seen by header-only users and by the library's own source, which defines
// INNSPECT_KERAS_COMPILING before it includes the headers.
#if !defined(INNSPECT_KERAS_COMPILED) || defined(INNSPECT_KERAS_COMPILING)
#define INNSPECT_KERAS_DEFINITIONS 1
#else
#define INNSPECT_KERAS_DEFINITIONS 0
#endif
