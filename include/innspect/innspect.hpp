#pragma once
/// \file
/// Umbrella header: everything innspect offers without optional dependencies.
/// (Keras HDF5 loading: innspect/io/keras_h5.hpp with the innspect::hdf5 target.)

#include "innspect/core/concepts.hpp"
#include "innspect/core/errors.hpp"
#include "innspect/core/fixed_string.hpp"
#include "innspect/core/layer_info.hpp"
#include "innspect/core/layer_kind.hpp"
#include "innspect/core/linear_params.hpp"
#include "innspect/core/model.hpp"
#include "innspect/core/shape.hpp"
#include "innspect/core/tensor.hpp"
#include "innspect/core/trace.hpp"
#include "innspect/core/weights.hpp"
#include "innspect/kernels/im2col.hpp"
#include "innspect/layers/activation.hpp"
#include "innspect/layers/activation_functions.hpp"
#include "innspect/layers/conv2d.hpp"
#include "innspect/layers/conv2d_transpose.hpp"
#include "innspect/layers/conv_options.hpp"
#include "innspect/layers/dense.hpp"
#include "innspect/layers/dropout.hpp"
#include "innspect/layers/reshape.hpp"
