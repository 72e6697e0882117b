"""babi-rnn: the book's chapter 12 linear RNN, one bAbI sentence per step, float64.

embed (V, 10), recurrent (10, 10) starting as the identity, start (10,) zeros, decoder (10, V);
h_0 = start, prediction_t = softmax(h_{t-1} @ decoder), h_t = h_{t-1} @ recurrent + embed[word_t];
loss = the summed cross-entropy of the sentence / its length, SGD with alpha 0.001. The matrices are
tiny (10 x 10, 10 x 82): the step is framework overhead, a few dozen small operations.

The numpy version is the book's code (its softmax, predict, backprop and weight updates), with one
change: the book files the deltas of `start`, `recurrent` and the embedding rows one or two steps
off (its `layers[k]['hidden_delta']` is the gradient of the state before step k,
`layers[k-1]['hidden']`; start takes layer 0's, which has one product with recurrent.T too many,
and is updated in place before the decoder's and recurrent's updates read it). Those updates are
not the gradient, which the correctness guard compares, so here they take the deltas of the right
steps (layers[1] for start, updated last; layers[k + 2] for step k's embedding row and recurrent).
The operations, and so the timing, are the book's.

Data: the first 1000 lines of bAbI task 1 (`qa1_single-supporting-fact_train.txt`), tokens as the
book's (`line.lower().replace("\\n", "").split(" ")[1:]`, then the first word dropped), with a
sorted vocabulary; when bAbI is not found, sentences of the same shape from a fixed grammar.
"""
from dataclasses import dataclass

import numpy as np

from benchmarks import harness
from benchmarks.harness import Runner, Setup, Workload

EMBED_SIZE = 10
ALPHA = 0.001
LINES = 1000
NAMES = ("mary", "john", "daniel", "sandra")
PLACES = ("bathroom.", "hallway.", "office.", "garden.", "kitchen.", "bedroom.")


@dataclass
class SentenceSetup(Setup):
    """Setup of sentences: x holds the word indices padded with -1, y the lengths. The weights are float64."""

    @property
    def dtype(self):
        return np.dtype(np.float64)


def _sentences(count):
    """Token lists of the book's chapter 12 (first LINES lines of bAbI task 1), or made up when it is absent."""
    try:
        from tinygrad_like.data import load_babi, word_tokens
        lines = [line.raw for line in load_babi(1, "train").lines[:LINES]]
    except FileNotFoundError:
        rng = np.random.RandomState(0)
        lines = []
        for i in range(LINES):
            name, place = NAMES[rng.randint(len(NAMES))], PLACES[rng.randint(len(PLACES))]
            lines.append(f"{i % 15 + 1} Where is {name.title()}? \t{place[:-1]}\t1" if i % 3 == 2 else
                         f"{i % 15 + 1} {name.title()} moved to the {place}")
        from tinygrad_like.data import word_tokens
    tokens = [word_tokens(line)[1:] for line in lines]
    return [sentence[1:] for sentence in tokens[:count]], tokens


def setup(seed, n_samples=None):
    from tinygrad_like.data import Vocabulary
    sentences, tokens = _sentences(n_samples or LINES)
    vocab = Vocabulary(tokens)
    longest = max(len(s) for s in sentences)
    x = np.full((len(sentences), longest), -1, np.int64)
    for i, sentence in enumerate(sentences):
        x[i, :len(sentence)] = vocab.encode(sentence)
    rng = np.random.RandomState(1)  # the book: np.random.seed(1)
    embed = (rng.rand(len(vocab), EMBED_SIZE) - 0.5) * 0.1
    decoder = (rng.rand(EMBED_SIZE, len(vocab)) - 0.5) * 0.1
    params = [embed, np.eye(EMBED_SIZE), np.zeros(EMBED_SIZE), decoder]  # the book's layout
    return SentenceSetup(params=params, x=x, y=np.array([len(s) for s in sentences]), batch=1, lr=ALPHA, seed=seed)


def _sentence(setup, start):
    return setup.x[start, :setup.y[start]]


# ---- numpy: the book's code -----------------------------------------------------------------------
def numpy_runner(setup, deterministic):
    embed, recurrent, start, decoder = (p.copy() for p in setup.params)
    one_hot = np.eye(len(embed))
    alpha, starts = setup.lr, setup.batch_starts()
    sentences = [_sentence(setup, i).tolist() for i in range(len(setup.x))]  # the book's words2indices lists

    def softmax(x):
        e_x = np.exp(x - np.max(x))
        return e_x / e_x.sum(axis=0)

    def predict(sent):
        layers = list()
        layer = {}
        layer['hidden'] = start
        layers.append(layer)
        loss = 0
        for target_i in range(len(sent)):
            layer = {}
            layer['pred'] = softmax(layers[-1]['hidden'].dot(decoder))
            loss += -np.log(layer['pred'][sent[target_i]])
            layer['hidden'] = layers[-1]['hidden'].dot(recurrent) + embed[sent[target_i]]
            layers.append(layer)
        return layers, loss

    def step():
        nonlocal start, decoder, recurrent  # the book's globals, updated in place with -=
        sent = sentences[next(starts)]
        layers, loss = predict(sent)
        for layer_idx in reversed(range(len(layers))):
            layer = layers[layer_idx]
            target = sent[layer_idx - 1]
            if layer_idx > 0:
                layer['output_delta'] = layer['pred'] - one_hot[target]
                new_hidden_delta = layer['output_delta'].dot(decoder.transpose())
                if layer_idx == len(layers) - 1:
                    layer['hidden_delta'] = new_hidden_delta
                else:
                    layer['hidden_delta'] = new_hidden_delta + layers[layer_idx + 1]['hidden_delta'].dot(
                        recurrent.transpose())
            else:
                layer['hidden_delta'] = layers[layer_idx + 1]['hidden_delta'].dot(recurrent.transpose())
        # The book updates start (in place) here, with layers[0]['hidden_delta'], before the loop, whose layer 0
        # then reads the updated start as layers[0]['hidden']; and it takes layers[layer_idx]['hidden_delta'] and
        # layer['hidden_delta'] (= layers[layer_idx + 1]) below.
        for layer_idx, layer in enumerate(layers[1:]):
            decoder -= np.outer(layers[layer_idx]['hidden'], layer['output_delta']) * alpha / float(len(sent))
            if layer_idx + 2 < len(layers):  # the last state feeds no prediction: no gradient
                embed_idx = sent[layer_idx]
                embed[embed_idx] -= layers[layer_idx + 2]['hidden_delta'] * alpha / float(len(sent))
                recurrent -= np.outer(layers[layer_idx]['hidden'], layers[layer_idx + 2]['hidden_delta']) * alpha / \
                    float(len(sent))
        start -= layers[1]['hidden_delta'] * alpha / float(len(sent))
        return loss / len(sent)

    return Runner(step, harness.numpy_value, lambda: [p.copy() for p in (embed, recurrent, start, decoder)])


# ---- tinygrad_like and torch: the same user code --------------------------------------------------
# The book's four arrays as parameters, in its layout (the start state as a row, a batch of one), and its
# forward: h = h @ recurrent + embed[word]; the predictions of all steps as one product with decoder.
def _runner(setup, params, opt, sentences, F, cat, value, numpy_of):
    """The step of both frameworks on the book's four parameters `params`, each sentence as a tensor of word
    indices; `numpy_of` reads a parameter as a numpy array."""
    embed, recurrent, start, decoder = params
    starts = setup.batch_starts()

    def step():
        words = sentences[next(starts)]
        opt.zero_grad()
        rows = F.embedding(words, embed)
        hidden, states = start, []
        for t in range(len(words)):
            states.append(hidden)
            hidden = hidden @ recurrent + rows[t:t + 1]
        loss = F.cross_entropy(cat(states) @ decoder, words)
        loss.backward()
        opt.step()
        return loss

    return Runner(step, value, lambda: [numpy_of(p).reshape(q.shape).copy() for p, q in zip(params, setup.params)])


def tinygrad_like_runner(setup, deterministic):
    import tinygrad_like as tl
    from tinygrad_like import nn, optim
    from tinygrad_like.nn import functional as F

    params = [nn.Parameter(p.copy()) for p in _book_layout(setup.params)]
    opt = optim.SGD(params, lr=setup.lr)
    sentences = [tl.tensor(_sentence(setup, i)) for i in range(len(setup.x))]
    return _runner(setup, params, opt, sentences, F, tl.cat, harness.tinygrad_like_value, lambda p: p._data)


def torch_runner(setup, deterministic):
    torch = harness.torch_or_none()

    params = [torch.nn.Parameter(torch.from_numpy(p.copy())) for p in _book_layout(setup.params)]
    opt = torch.optim.SGD(params, lr=setup.lr)
    sentences = [torch.from_numpy(_sentence(setup, i).copy()) for i in range(len(setup.x))]
    return _runner(setup, params, opt, sentences, torch.nn.functional, torch.cat, harness.torch_value,
                   lambda p: p.detach().numpy())


def _book_layout(params):
    embed, recurrent, start, decoder = params
    return embed, recurrent, start.reshape(1, -1), decoder


WORKLOAD = Workload(
    name="babi-rnn",
    description="ch. 12 linear RNN on bAbI task 1: embedding 10, one sentence (4-6 words) per step, float64, "
                "cross-entropy / length, SGD(lr=0.001)",
    target=2.0,
    setup=setup,
    builders={"numpy": numpy_runner, "tinygrad_like": tinygrad_like_runner, "torch": torch_runner},
    steps=2000,
    guard_samples=20,
    guard_epochs=10,
)
