"""The registry of timed workloads, in report order."""
from benchmarks import deep_narrow, inference, mnist_batch, mnist_sample, streetlight, wide
from benchmarks import cnn, conv_forward, lenet
from benchmarks import babi_rnn, char_lstm

WORKLOADS = {module.WORKLOAD.name: module.WORKLOAD
             for module in (streetlight, mnist_batch, mnist_sample, deep_narrow, wide, inference,
                            cnn, lenet, conv_forward, char_lstm, babi_rnn)}
