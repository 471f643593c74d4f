#pragma once
/// \file
/// How a Keras 3 weight file addresses a model's layers (io::Keras3Layer): made from a model's
/// config by io::keras3_plan() (io/keras_json.hpp), used by io::load_keras_weights()
/// (io/keras_h5.hpp). No dependency.

#include <string>
#include <vector>

namespace innspect::io {

/// How a Keras 3 weight file addresses a model's layers, for load_keras_weights(): in the model's
/// order, by class. Keras 3 names a layer's group after its class, de-duplicated per class inside
/// its model (`layers/dense`, `layers/dense_1`, ...; Keras 2.13-2.14 counted each layer with
/// weights twice, so there `dense`, `dense_2`, ...); the n-th group of a class with weights, in
/// that number order, holds the n-th layer of that class.
struct Keras3Layer {
    std::string name;                ///< Keras layer name
    std::string keras_class;         ///< "Dense"; a nested model: "Functional", "Sequential" or "Model"
    std::vector<std::string> roles;  ///< roles of vars/0, vars/1, ...; empty: the C++ layer's roles, in order
    std::vector<Keras3Layer> layers; ///< a nested model's layers, in its order
};

}  // namespace innspect::io
