"""The networks of Grokking Deep Learning (Trask, chapters 3-15) and of Jay Alammar's two neural-network
posts, rebuilt from tinygrad_like layers, printing the figures the sources print.

One module per source section; each has `figures()` (our numbers), `rows()` (the demo's comparison
rows: the source's figure, ours, match) and `main()` (prints them as the source does):

- `ch3_prediction`        forward propagation with fixed weights
- `ch4_gradient_descent`  hot and cold learning, gradient descent on one weight, divergence, alpha
- `ch5_multiple`          gradient descent with several inputs / outputs, freezing a weight
- `ch5_mnist_weights`     a 784 -> 10 network on MNIST and its weights drawn as images
- `ch6_streetlight`       the streetlight problem: one layer, then the 3-4-1 ReLU network
- `ch8_mnist`             MNIST: the 3-layer net, dropout, mini-batches (the published tables)
- `ch9_mnist`             MNIST with tanh, softmax and dropout (the published table)
- `ch11_embeddings`       word embeddings: the sentiment net, filling in the blank, similar words, analogies
- `ch12_babi_rnn`         a linear RNN predicting the next word of bAbI sentences
- `ch13_framework`        the toy runs of the book's own autograd framework; its RNN cell on bAbI
- `ch14_lstm`             exploding gradients; character LSTM and RNN on Shakespeare
- `ch15_federated`        a spam classifier, federated averaging, secret-shared sums
- `alammar_houses`        house prices: one weight, a bias, two features; softmax; a classifier
- `alammar_titanic`       Titanic survival with a sigmoid: the post's weights, then trained ones

The chapter 11-15 modules take their data as arguments (bAbI and Shakespeare are found like MNIST; the
IMDB and Enron files come from the user), so their row functions say what they need: `rows_without_data()`,
`rows(lines)`, `rows_with_data(...)`.

`python -m tinygrad_like.book` runs them all and prints one table (see `__main__`).
"""
