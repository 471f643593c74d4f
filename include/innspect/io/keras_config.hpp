#pragma once
/// \file
/// Everything for Keras model files in one include: reading a model_config
/// (io/keras_json.hpp), the architecture check (io/architecture.hpp) and loading a file with
/// its architecture checked (io/keras_model.hpp). Needs HDF5 and nlohmann-json.

#include "innspect/io/architecture.hpp"
#include "innspect/io/keras_json.hpp"
#include "innspect/io/keras_model.hpp"
