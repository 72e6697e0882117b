"""Jay Alammar's two posts: the figures they print, from our layer-built networks.

Expectations are the posts' published numbers (hard-coded); the least-squares solutions come
from numpy's lstsq, independent of our gradient descent.
"""
import numpy as np
import pytest

from tinygrad_like import gradcheck, nn
from tinygrad_like.book import alammar_houses, alammar_titanic
from tinygrad_like.tensor import Tensor


def test_price_per_square_foot_is_180_dollars():
    assert round(alammar_houses.price_per_sqft()) == 180


def test_the_error_table_for_weight_0_18():
    table = alammar_houses.error_table(0.18)
    assert [round(v) for v in table["prediction"]] == [379, 288, 432]
    assert [round(v) for v in table["error"]] == [21, 42, -63]
    assert [round(v) for v in table["squared"]] == [449, 1756, 3969]
    assert round(table["average"]) == 2058  # "Average: 2,058"


def test_gradient_descent_with_a_bias_reaches_the_least_squares_line():
    (weights, bias, mse), _ = alammar_houses.three_houses_with_bias()
    area = np.array([2104, 1600, 2400.])
    price = np.array([399.9, 329.9, 369.0])
    solution = np.linalg.lstsq(np.column_stack([area, np.ones(3)]), price, rcond=None)[0]
    np.testing.assert_allclose([weights[0], bias], solution, rtol=1e-8)
    assert mse < 799  # the post's challenge: "can you get an error value below 799?"
    assert mse == pytest.approx(447.29, abs=0.01)


def test_ten_houses_two_features_reach_least_squares():
    (weights, bias, mse), (w_ls, b_ls, mse_ls) = alammar_houses.ten_houses()
    np.testing.assert_allclose(list(weights) + [bias], list(w_ls) + [b_ls], rtol=1e-6)
    assert mse == pytest.approx(1406.0526, abs=1e-3)  # $1000 units: w 0.18613 /sqft, -10.012 /bathroom


@pytest.mark.parametrize("x, printed", [([1], [1]), ([1, 1], [0.5, 0.5]), ([0, 1], [0.26, 0.73]), ([2, 4], [0.11, 0.88]),
                                        ([5, 10], [0.007, 0.993]), ([1, 2, 4], [0.04, 0.11, 0.84])])
def test_softmax_table_within_the_posts_rounding(x, printed):
    np.testing.assert_allclose(alammar_houses.softmax_table_of(x), printed, atol=0.01)


def test_softmax_row_printed_for_1_0_1_is_softmax_of_1_2_3():
    printed = [0.09, 0.24, 0.66]
    np.testing.assert_allclose(alammar_houses.softmax_table_of([1, 2, 3]), printed, atol=0.01)
    assert not np.allclose(alammar_houses.softmax_table_of([1, 0, 1]), printed, atol=0.01)


def test_good_bad_classifier_trains_to_a_sensible_accuracy():
    accuracy, model, probabilities = alammar_houses.classifier()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)  # a softmax output
    assert accuracy >= 0.7  # 7 of the 10 houses are good: at least the majority rule


def test_sigmoid_of_minus_1_63():
    assert "%.11g" % alammar_titanic.sigmoid_example() == "0.16383036122"


def test_titanic_with_the_posts_weights_is_73_2_percent(titanic_train_csv):
    features, survived = alammar_titanic.load(titanic_train_csv)
    correct, total = alammar_titanic.accuracy(alammar_titanic.post_model(), features, survived)
    assert (correct, total) == (652, 891)
    assert round(correct / total * 100, 1) == 73.2


def test_titanic_trained_models_beat_the_posts_weights_on_held_out_rows(titanic_train_csv):
    ours = alammar_titanic.figures(titanic_train_csv)
    post_correct, n = ours["post weights"]["held-out"]
    assert n == 291
    assert ours["trained"]["held-out"][0] > post_correct
    assert ours["hidden ReLU"]["held-out"][0] > post_correct
    w_age, w_sex, _ = ours["trained weights"]
    assert w_sex > 0 and w_age < 0  # women and the young survived more often


def test_demo_rows_match(titanic_train_csv):
    for row in alammar_houses.rows() + alammar_titanic.rows(titanic_train_csv):
        assert row.status in ("yes", "n/a"), row


def test_without_train_csv_the_post_figure_is_skipped_not_counted_as_absent():
    sigmoid, accuracy = alammar_titanic.rows_without_data()
    assert sigmoid.status == "yes"  # needs no data
    assert accuracy.book == "73.2%" and accuracy.status == "skipped"


def test_sigmoid_model_gradients_pass_gradcheck():
    model = alammar_titanic.post_model()
    x = Tensor(np.array([[22.0, 0.0], [38.0, 1.0]]), requires_grad=True)
    assert gradcheck(lambda t: model(t), x)
    assert isinstance(model[1], nn.Sigmoid)
