#pragma once
// The sensors example's LSTM autoencoder, declared with the Keras names of
// examples/sensors/data/sensors.h5 (trained and exported by examples/sensors/train/train.py):
//
//   signals          Input((64, 8))                    64 time steps × 8 sensor channels
//   encoder          LSTM(32, go_backwards=True)       → the bottleneck: 32 units
//   repeat           RepeatVector(64)
//   decoder          LSTM(32, return_sequences=True)
//   reconstruction   TimeDistributed(Dense(8))         → the reconstruction (64, 8)

#include <innspect/innspect.hpp>

namespace innspect::sensors {

inline constexpr int steps = 64, channels = 8, units = 32;

template <class T>
using SensorsModel = Model<T, Input<steps, channels>,                                      //
                           LSTM<"encoder", units, Recurrent{.go_backwards = true}>,        //
                           RepeatVector<"repeat", steps>,                                  //
                           LSTM<"decoder", units, Recurrent{.return_sequences = true}>,    //
                           TimeDistributed<"reconstruction", Dense<"dense", channels>>>;

}  // namespace innspect::sensors
