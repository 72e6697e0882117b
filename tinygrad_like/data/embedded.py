"""The small data sets and given weights of Grokking Deep Learning (Trask, early-access chapters 1-8)
and of Jay Alammar's two neural-network posts, as float64 numpy arrays.

The arrays are read-only, because the book updates weights in place (`weights[i] -= ...`) and a
shared constant must not change under other users: take `.copy()` (or pass it to `Tensor`, which
copies) before training. Weight matrices keep the book's layout, one row per receiving neuron
(`prediction = weights @ input`); the book's numpy code uses their transpose (`input.dot(W.T)`).
Where the book's text and code disagree, the code's values are kept and a comment says so.
"""
from typing import NamedTuple

import numpy as np


def _constant(values):
    array = np.array(values, dtype=np.float64)
    array.flags.writeable = False
    return array


# ---- Grokking Deep Learning, chapter 3: prediction ------------------------------------------------
# "A Simple Neural Network Making a Prediction": one weight, average toes per player as input.
CH3_NUMBER_OF_TOES = _constant([8.5, 9.5, 10, 9])
CH3_WEIGHT = 0.1

# "Making a Prediction with Multiple Inputs": the status at the beginning of each of the first 4
# games of a season (chapters 3 and 5).
TOES = _constant([8.5, 9.5, 9.9, 9.0])  # current number of toes
WLREC = _constant([0.65, 0.8, 0.8, 0.9])  # current games won (fraction)
NFANS = _constant([1.2, 1.3, 0.5, 1.0])  # fan count (millions)
BASEBALL_INPUTS = _constant(np.stack([TOES, WLREC, NFANS], axis=1))  # (games, [toes, wlrec, nfans])
CH3_MULTI_INPUT_WEIGHTS = _constant([0.1, 0.2, 0])

# "Making a Prediction with Multiple Outputs": one input (wlrec), outputs [hurt, win, sad]. The
# code's wlrec starts with 0.9, its worked table uses 0.65 (WLREC[0]).
CH3_MULTI_OUTPUT_WLREC = _constant([0.9, 0.8, 0.8, 0.9])
MULTI_OUTPUT_WEIGHTS = _constant([0.3, 0.2, 0.9])  # also chapter 5's start

# "Predicting with Multiple Inputs & Outputs" (also chapter 5's start): rows hurt?, win?, sad?;
# columns toes, %win, fans.
MULTI_IO_WEIGHTS = _constant([[0.1, 0.1, -0.3],
                              [0.1, 0.2, 0.0],
                              [0.0, 1.3, 0.1]])

# "Predicting on Predictions": input -> hidden (rows hid[0..2]) and hidden -> prediction (rows
# hurt?, win?, sad?).
CH3_INPUT_HIDDEN_WEIGHTS = _constant([[0.1, 0.2, -0.1],
                                      [-0.1, 0.1, 0.9],
                                      [0.1, 0.4, 0.1]])
CH3_HIDDEN_PREDICTION_WEIGHTS = _constant([[0.3, 1.1, -0.3],
                                           [0.1, 0.2, 0.0],
                                           [0.0, 1.3, 0.1]])


# ---- Grokking Deep Learning, chapter 4: one weight, one input, one goal -------------------------
class ScalarProblem(NamedTuple):
    """A chapter 4 example: start `weight`, `input`, `goal_pred`, the update's `step` (alpha for
    gradient descent, 1.0 where the book uses none; step_amount for hot and cold learning) and the
    number of `iterations` the book runs."""
    weight: float
    input: float
    goal_pred: float
    step: float
    iterations: int


# "Hot and Cold Learning" (first listing) and "Gradient Descent" on the first game: 8.5 toes, won
# (win_or_lose_binary [1]); lr / alpha 0.01. Chapter 5 compares its multi-input network with it.
CH4_FIRST_GAME = ScalarProblem(weight=0.1, input=8.5, goal_pred=1.0, step=0.01, iterations=1)
# "Hot and Cold Learning ... Perhaps the simplest form of learning": reaches 0.8 after 1101 steps.
CH4_HOT_AND_COLD = ScalarProblem(weight=0.5, input=0.5, goal_pred=0.8, step=0.001, iterations=1101)
# "Calculating Both direction and amount from error" and "Breaking Gradient Descent".
CH4_GRADIENT_DESCENT = ScalarProblem(weight=0.5, input=0.5, goal_pred=0.8, step=1.0, iterations=20)
# "Look Familiar?": a big first step, then an overshoot.
CH4_OVERSHOOT = ScalarProblem(weight=0.0, input=1.1, goal_pred=0.8, step=1.0, iterations=4)
# "Breaking Gradient Descent" with input 2: the predictions diverge.
CH4_DIVERGENCE = ScalarProblem(weight=0.5, input=2.0, goal_pred=0.8, step=1.0, iterations=20)
# "Alpha In Code": the same with alpha 0.1 converges.
CH4_ALPHA = ScalarProblem(weight=0.5, input=2.0, goal_pred=0.8, step=0.1, iterations=20)


# ---- Grokking Deep Learning, chapter 5: learning multiple weights --------------------------------
# Labels of the 4 baseball games ("Gradient Descent Learning with Multiple Outputs").
HURT = _constant([0.1, 0.0, 0.0, 0.1])  # fraction of the team hurt
WIN = _constant([1, 1, 0, 1])  # won (the book's win_or_lose_binary)
SAD = _constant([0.1, 0.0, 0.1, 0.2])  # sad
BASEBALL_TARGETS = _constant(np.stack([HURT, WIN, SAD], axis=1))  # (games, [hurt, win, sad])

# "Gradient Descent Learning with Multiple Inputs": start weights for TOES/WLREC/NFANS -> WIN;
# alpha 0.01 ("Let's Watch Several Steps of Learning"), 0.3 ("Freezing One Weight"). The first
# listing's wlrec starts with 0.9, but its worked numbers (delta 0.14) use WLREC's 0.65.
CH5_MULTI_INPUT_WEIGHTS = _constant([0.1, 0.2, -0.1])
# "Gradient Descent Learning with Multiple Outputs": this example's own wlrec (alpha 0.1).
CH5_MULTI_OUTPUT_WLREC = _constant([0.9, 1.0, 1.0, 0.9])


# ---- Grokking Deep Learning, chapter 6: the streetlight problem ---------------------------------
# "Creating a Matrix or Two in Python": one row per observed streetlight, one column per light.
STREETLIGHTS = _constant([[1, 0, 1],
                          [0, 1, 1],
                          [0, 0, 1],
                          [1, 1, 1],
                          [0, 1, 1],
                          [1, 0, 1]])
WALK_VS_STOP = _constant([0, 1, 0, 1, 1, 0])  # 1 walk, 0 stop: the middle light
# "Building Our Neural Network" / "Learning the whole dataset!": start weights, alpha 0.1.
CH6_WEIGHTS = _constant([0.5, 0.48, -0.7])

# "Learning Indirect Correlation" / "Our First 'Deep' Neural Network": no single light correlates
# with walking (walk = left light XOR middle light); the 3-layer network learns it (np.random.seed(1),
# alpha 0.2, hidden_size 4, 60 iterations).
DEEP_STREETLIGHTS = _constant(STREETLIGHTS[:4])
DEEP_WALK_VS_STOP = _constant([[1], [1], [0], [0]])


# ---- Jay Alammar, "A Visual and Interactive Guide to the Basics of Neural Networks" -------------
# "Start here": three houses, area (sq ft) and price ($; the error table uses $1000 units).
HOUSE_AREAS = _constant([2104, 1600, 2400])
HOUSE_PRICES = _constant([399900, 329900, 369000])
HOUSE_PRICE_PER_SQFT = 0.180  # the average price per sq ft in $1000, the first weight

# "And Then There Were Two": ten houses, columns area (sq ft) and bathrooms; prices in $.
HOUSES_AREA_BATHROOMS = _constant([[2104, 3], [1600, 3], [2400, 3], [1416, 2], [3000, 4],
                                   [1985, 4], [1534, 3], [1427, 3], [1380, 3], [1494, 3]])
HOUSES_PRICES = _constant([399900, 329900, 369000, 232000, 539900, 299900, 314900, 198999, 212000, 242500])
# "Classification": the same ten houses labelled by a friend, 1 Good, 0 Bad.
HOUSES_GOOD = _constant([1, 1, 1, 0, 0, 1, 0, 1, 1, 1])

# "Classification": the post's softmax table, (input, output) pairs as printed. Outputs are cut to
# 2-3 digits, mostly truncated (softmax([0, 1]) = [0.269, 0.731] shows as [0.26, 0.73]), so they are
# within 0.01; the row printed as softmax([1, 0, 1]) shows softmax([0, 1, 2]) = [0.090, 0.245, 0.665]
# (softmax([1, 0, 1]) = [0.422, 0.155, 0.422]).
SOFTMAX_TABLE = tuple((_constant(x), _constant(y)) for x, y in [
    ([1], [1]),
    ([1, 1], [0.5, 0.5]),
    ([0, 1], [0.26, 0.73]),
    ([2, 4], [0.11, 0.88]),
    ([5, 10], [0.007, 0.993]),
    ([1, 0, 1], [0.09, 0.24, 0.66]),
    ([1, 2, 4], [0.04, 0.11, 0.84]),
])


# ---- Jay Alammar, "A Visual And Interactive Look at Basic Neural Network Math" ------------------
# "Sigmoid": the trained weights for [Age, Sex] (as load_titanic's features) and the bias, from
# gradient descent on the first 600 of the 891 rows, "with an accuracy of 73.20%".
TITANIC_POST_WEIGHTS = _constant([-0.016852, 0.704039])
TITANIC_POST_BIAS = -0.116309
TITANIC_POST_TRAIN_ROWS = 600


__all__ = [
    "CH3_NUMBER_OF_TOES", "CH3_WEIGHT", "TOES", "WLREC", "NFANS", "BASEBALL_INPUTS", "CH3_MULTI_INPUT_WEIGHTS",
    "CH3_MULTI_OUTPUT_WLREC", "MULTI_OUTPUT_WEIGHTS", "MULTI_IO_WEIGHTS", "CH3_INPUT_HIDDEN_WEIGHTS",
    "CH3_HIDDEN_PREDICTION_WEIGHTS",
    "ScalarProblem", "CH4_FIRST_GAME", "CH4_HOT_AND_COLD", "CH4_GRADIENT_DESCENT", "CH4_OVERSHOOT",
    "CH4_DIVERGENCE", "CH4_ALPHA",
    "HURT", "WIN", "SAD", "BASEBALL_TARGETS", "CH5_MULTI_INPUT_WEIGHTS", "CH5_MULTI_OUTPUT_WLREC",
    "STREETLIGHTS", "WALK_VS_STOP", "CH6_WEIGHTS", "DEEP_STREETLIGHTS", "DEEP_WALK_VS_STOP",
    "HOUSE_AREAS", "HOUSE_PRICES", "HOUSE_PRICE_PER_SQFT", "HOUSES_AREA_BATHROOMS", "HOUSES_PRICES",
    "HOUSES_GOOD", "SOFTMAX_TABLE",
    "TITANIC_POST_WEIGHTS", "TITANIC_POST_BIAS", "TITANIC_POST_TRAIN_ROWS",
]
