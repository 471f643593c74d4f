#pragma once
/// \file
/// Every Keras class innspect has a layer for: the one list that names them all, used where a
/// Keras class is known only by its name (reading a file's model_config). Adding a layer adds
/// one line here.

#include <span>
#include <string_view>

#include "innspect/layers/activation.hpp"
#include "innspect/layers/batch_normalization.hpp"
#include "innspect/layers/conv1d.hpp"
#include "innspect/layers/conv1d_transpose.hpp"
#include "innspect/layers/bidirectional.hpp"
#include "innspect/layers/conv2d.hpp"
#include "innspect/layers/conv2d_transpose.hpp"
#include "innspect/layers/dense.hpp"
#include "innspect/layers/dropout.hpp"
#include "innspect/layers/keras_schema.hpp"
#include "innspect/layers/gru.hpp"
#include "innspect/layers/lstm.hpp"
#include "innspect/layers/masking.hpp"
#include "innspect/layers/merge.hpp"
#include "innspect/layers/permute.hpp"
#include "innspect/layers/pooling.hpp"
#include "innspect/layers/prelu.hpp"
#include "innspect/layers/repeat_vector.hpp"
#include "innspect/layers/pooling1d.hpp"
#include "innspect/layers/reshape.hpp"
#include "innspect/layers/resampling.hpp"
#include "innspect/layers/resampling1d.hpp"
#include "innspect/layers/simple_rnn.hpp"
#include "innspect/layers/time_distributed.hpp"

namespace innspect {

inline constexpr const KerasSchema* keras_classes[] = {
    &dense_schema,
    &conv2d_schema,
    &conv2d_transpose_schema,
    &batch_normalization_schema,
    &max_pooling2d_schema,
    &average_pooling2d_schema,
    &global_average_pooling2d_schema,
    &global_max_pooling2d_schema,
    &up_sampling2d_schema,
    &zero_padding2d_schema,
    &cropping2d_schema,
    &activation_schema,
    &relu_schema,
    &leaky_relu_schema,
    &elu_schema,
    &softmax_schema,
    &reshape_schema,
    &flatten_schema,
    &dropout_schema,
    &spatial_dropout2d_schema,
    &add_schema,
    &subtract_schema,
    &average_schema,
    &maximum_schema,
    &concatenate_schema,
    &repeat_vector_schema,
    &permute_schema,
    &prelu_schema,
    &conv1d_schema,
    &conv1d_transpose_schema,
    &max_pooling1d_schema,
    &average_pooling1d_schema,
    &global_average_pooling1d_schema,
    &global_max_pooling1d_schema,
    &up_sampling1d_schema,
    &zero_padding1d_schema,
    &cropping1d_schema,
    &lstm_schema,
    &gru_schema,
    &simple_rnn_schema,
    &bidirectional_schema,
    &time_distributed_schema,
    &masking_schema,
};

/// The schema of Keras class `name`, or nullptr when innspect has no such layer.
inline const KerasSchema* find_keras_class(std::string_view name) {
    for (const KerasSchema* s : keras_classes)
        if (s->keras_class == name) return s;
    return nullptr;
}

}  // namespace innspect
