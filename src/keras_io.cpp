// The compiled part of innspect's Keras I/O (CMake target innspect::keras_compiled): the
// model-independent entry points that io/keras_json.hpp, io/architecture.hpp, io/keras_h5.hpp
// and io/keras_model.hpp only declare under INNSPECT_KERAS_COMPILED (io/keras_compiled.hpp),
// defined here once. INNSPECT_KERAS3 (from innspect::keras3, when the library is built with it)
// decides whether `.keras` archives are read, as it does for header-only users.

#if !defined(INNSPECT_KERAS_COMPILED)
#error \
    "src/keras_io.cpp is built with INNSPECT_KERAS_COMPILED (the innspect::keras_compiled target defines it)"
#endif
#define INNSPECT_KERAS_COMPILING

#include <innspect/io/keras_config.hpp>
