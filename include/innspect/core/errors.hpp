#pragma once
/// \file
/// The one exception hierarchy of innspect. Every message names the layer (or file) involved,
/// what was expected and what was found, so a user can act on it without a debugger.

#include <stdexcept>
#include <string>

namespace innspect {

/// Base of every exception thrown by innspect.
struct error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// A tensor, weight array or file holds a shape other than the one required.
struct shape_error : error {
    using error::error;
};

/// A value is out of its domain: NaN/Inf, a negative epsilon, alpha - beta != 1, an index out of range.
struct value_error : error {
    using error::error;
};

/// A layer or tap name that the model does not have.
struct name_error : error {
    using error::error;
};

/// A file could not be read or written, or its content is malformed.
struct io_error : error {
    using error::error;
};

}  // namespace innspect
