"""The figures Grokking Deep Learning prints in chapters 3-6, from our layer-built networks.

Every expectation is the book's published output (its text's Python 2 printout, or the chapter
notebook where the text has none), hard-coded here, never our own output.
"""
import numpy as np
import pytest

from tinygrad_like.book import ch3_prediction, ch4_gradient_descent, ch5_multiple, ch6_streetlight
from tinygrad_like.book._common import py2_str, truncated
from tinygrad_like.data import embedded as E


# ---- formatting ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, text", [(1.0, "1.0"), (0.3025, "0.3025"), (5.40820802026e-06, "5.40820802026e-06"),
                                         (-232452292.6, "-232452292.6"), (5.403406870693e16, "5.40340687069e+16"),
                                         (0.8500000000000001, "0.85"), (-3.0, "-3.0")])
def test_py2_str_is_python2_str_of_a_float(value, text):
    assert py2_str(value) == text


def test_truncated_cuts_rather_than_rounds():
    assert truncated(0.72199) == "0.721"
    assert truncated(1.0) == "1.0"


# ---- chapter 3 ----------------------------------------------------------------------------------------
def test_ch3_predictions():
    ours = ch3_prediction.figures()
    assert py2_str(ours["one input"]) == "0.85"
    assert py2_str(ours["multiple inputs"]) == "0.98"
    assert [py2_str(v) for v in ours["multiple outputs"]] == ["0.195", "0.13", "0.585"]
    assert [py2_str(v) for v in ours["multiple inputs & outputs"]] == ["0.555", "0.98", "0.965"]
    assert [py2_str(v) for v in ours["predicting on predictions (hidden)"]] == ["0.86", "0.295", "1.23"]
    assert [py2_str(v) for v in ours["predicting on predictions"]] == ["0.2135", "0.145", "0.5065"]
    np.testing.assert_allclose(ours["predicting on predictions"], [0.2135, 0.145, 0.5065], rtol=1e-15)


# ---- chapter 4 ----------------------------------------------------------------------------------------
def test_ch4_hot_and_cold():
    lines = ch4_gradient_descent.lines(ch4_gradient_descent.hot_and_cold())
    assert len(lines) == 1101
    assert lines[:2] == ["Error:0.3025 Prediction:0.25", "Error:0.30195025 Prediction:0.2505"]
    assert lines[-2:] == ["Error:2.50000000033e-07 Prediction:0.7995", "Error:1.07995057925e-27 Prediction:0.8"]


def test_ch4_hot_and_cold_with_a_big_step_oscillates():
    lines = ch4_gradient_descent.lines(ch4_gradient_descent.hot_and_cold(step_amount=10, iterations=5))
    assert lines == ["Error:0.3025 Prediction:0.25", "Error:19.8025 Prediction:5.25"] * 2 + ["Error:0.3025 Prediction:0.25"]


@pytest.mark.parametrize("problem, head, tail", [
    (E.CH4_GRADIENT_DESCENT,
     ["Error:0.3025 Prediction:0.25", "Error:0.17015625 Prediction:0.3875", "Error:0.095712890625 Prediction:0.490625"],
     ["Error:1.7092608064e-05 Prediction:0.79586567925", "Error:9.61459203602e-06 Prediction:0.796899259437",
      "Error:5.40820802026e-06 Prediction:0.797674444578"]),
    (E.CH4_DIVERGENCE,
     ["Error:0.04 Prediction:1.0", "Error:0.36 Prediction:0.2", "Error:3.24 Prediction:2.6"],
     ["Error:6.67087267987e+14 Prediction:-25828031.8", "Error:6.00378541188e+15 Prediction:77484098.6",
      "Error:5.40340687069e+16 Prediction:-232452292.6"]),
    (E.CH4_ALPHA,
     ["Error:0.04 Prediction:1.0", "Error:0.0144 Prediction:0.92", "Error:0.005184 Prediction:0.872"],
     ["Error:1.14604719983e-09 Prediction:0.800033853319", "Error:4.12576991939e-10 Prediction:0.800020311991",
      "Error:1.48527717099e-10 Prediction:0.800012187195"]),
], ids=["gradient descent", "input 2 diverges", "alpha 0.1"])
def test_ch4_gradient_descent_prints_the_books_lines(problem, head, tail):
    lines = ch4_gradient_descent.lines(ch4_gradient_descent.gradient_descent(problem))
    assert len(lines) == 20
    assert lines[:3] == head and lines[-3:] == tail


# ---- chapter 5 (the chapter 5 notebook's printout, Python 3 repr) ---------------------------------------
def _iterations(history):
    return [(float(p[0, 0]), e, float(d[0, 0]), w[0].tolist(), wd[0].tolist()) for p, e, d, w, wd in history]


def test_ch5_multiple_inputs_three_iterations():
    ours = _iterations(ch5_multiple.multiple_inputs()[0])
    assert ours[0] == (0.8600000000000001, 0.01959999999999997, -0.1399999999999999, [0.1, 0.2, -0.1],
                       [-1.189999999999999, -0.09099999999999994, -0.16799999999999987])
    assert ours[1][:4] == (0.9637574999999999, 0.0013135188062500048, -0.036242500000000066, [0.1119, 0.20091, -0.09832])
    # Weights to the last bit; the third prediction differs from the notebook's pure-Python sum in
    # its last bit (a BLAS dot product uses fused multiply-adds), so it is compared to 13 digits.
    assert ours[2][3] == [0.11498061250000001, 0.20114557625, -0.09788509000000001]
    np.testing.assert_allclose(ours[2][:3], [0.9906177228125002, 8.802712522307997e-05, -0.009382277187499843],
                               rtol=1e-13)


@pytest.mark.parametrize("freeze", ["grad", "parameter"])
def test_ch5_freezing_one_weight(freeze):
    history, weights = ch5_multiple.freezing_one_weight(freeze)
    ours = _iterations(history)
    assert [row[:4] for row in ours] == [
        (0.8600000000000001, 0.01959999999999997, -0.1399999999999999, [0.1, 0.2, -0.1]),
        (0.9382250000000001, 0.003816150624999989, -0.06177499999999991, [0.1, 0.2273, -0.04960000000000005]),
        (0.97274178125, 0.000743010489422852, -0.027258218750000007, [0.1, 0.239346125, -0.02736100000000008])]
    assert all(row[4][0] == 0 for row in ours)
    assert weights[0, 0] == 0.1


def test_ch5_frozen_parameter_is_not_optimised_but_is_saved():
    model = ch5_multiple.PartlyFrozenLinear([[0.1, 0.2, -0.1]])
    assert [name for name, p in model.named_parameters() if p.requires_grad] == ["trainable"]
    assert set(model.state_dict()) == {"frozen", "trainable"}


def test_ch5_multiple_outputs():
    weights, weight_deltas = ch5_multiple.multiple_outputs()
    assert weights == [0.293825, 0.25655, 0.868475]
    assert weight_deltas == [0.061750000000000006, -0.5655, 0.3152500000000001]


def test_ch5_multiple_inputs_and_outputs():
    assert ch5_multiple.multiple_inputs_outputs() == [[0.061325, 0.0970425, -0.30546],
                                                      [0.1017, 0.20013, 0.00023999999999999887],
                                                      [-0.07352500000000001, 1.2943775, 0.08962]]


# ---- chapter 6 ----------------------------------------------------------------------------------------
def test_ch6_single_layer_all_lights():
    lines = ["Error:" + py2_str(e) for e in ch6_streetlight.single_layer_all_lights()]
    assert len(lines) == 40
    assert lines[:2] == ["Error:2.6561231104", "Error:0.962870177672"]
    assert lines[-2:] == ["Error:0.000614343567483", "Error:0.000533736773285"]


def test_ch6_streetlight_deep_network():
    printed, _ = ch6_streetlight.deep()
    assert ["%.12g" % e for e in printed] == ["0.634231159844", "0.358384076763", "0.0830183113303",
                                               "0.0064670549571", "0.000329266900075", "1.50556226651e-05"]


def test_ch6_single_light_converges_geometrically():
    # the text prints no figures for it; the prediction is exactly -0.2 * 0.8 ** k
    history = ch6_streetlight.single_layer_one_light()
    np.testing.assert_allclose([p for _, p in history], [-0.2 * 0.8 ** k for k in range(20)], rtol=1e-12)


@pytest.mark.parametrize("module", [ch3_prediction, ch4_gradient_descent, ch5_multiple, ch6_streetlight])
def test_every_row_of_the_demo_matches(module):
    for row in module.rows():
        assert row.match.startswith("yes"), row
