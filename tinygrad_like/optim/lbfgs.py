"""L-BFGS with PyTorch's algorithm: the two-loop recursion over a limited curvature history, a fixed step
or a strong-Wolfe line search (the bracketing and zooming of Schmidt's minFunc), and PyTorch's stopping
tests, so that trajectories match torch.optim.LBFGS."""
import math

import numpy as np

from tinygrad_like.engine import mark_modified
from tinygrad_like.grad_mode import enable_grad
from tinygrad_like.optim.optimizer import Optimizer


class LBFGS(Optimizer):
    """step(closure) runs up to max_iter quasi-Newton iterations, re-evaluating the loss and gradients with
    `closure` (which zeroes the gradients, computes the loss, calls backward and returns the loss).

    All parameters are treated as one flat vector, so there is a single parameter group; the state
    (history included) is kept under the first parameter, as PyTorch keeps it."""

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                 history_size=100, line_search_fn=None):
        if lr < 0:
            raise ValueError(f"LBFGS: lr must be >= 0, got {lr}")
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(f"LBFGS: line_search_fn must be None or 'strong_wolfe', got {line_search_fn!r}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change, history_size=history_size,
                                      line_search_fn=line_search_fn))
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    # ---- the parameters as one vector ----------------------------------------------------------------
    def _flat_grad(self):
        return np.concatenate([p.grad._data.ravel() if p.grad is not None else np.zeros(p._data.size, p._data.dtype)
                               for p in self._params])

    def _move(self, step_size, direction):
        """p = p + step_size * direction, in place, each parameter its slice of the flat vector."""
        offset = 0
        for p in self._params:
            p._data += step_size * direction[offset:offset + p._data.size].reshape(p._data.shape)
            offset += p._data.size
        mark_modified(*[p._data for p in self._params])

    def _restore(self, values):
        for p, value in zip(self._params, values):
            p._data[...] = value
        mark_modified(*[p._data for p in self._params])

    def _evaluate_at(self, closure, start, step_size, direction):
        """The loss and flat gradient at start + step_size * direction; the parameters are left at start."""
        self._move(step_size, direction)
        with enable_grad():
            loss = float(closure())
        flat_grad = self._flat_grad()
        self._restore(start)
        return loss, flat_grad

    # ---- the algorithm -----------------------------------------------------------------------------
    def step(self, closure):
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        with enable_grad():
            original_loss = closure()
        loss = float(original_loss)
        evaluations = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        converged = np.abs(flat_grad).max() <= tolerance_grad
        if converged:
            return original_loss

        # carried over from the previous call
        direction, step_size = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        h_diag, prev_flat_grad, prev_loss = state.get("H_diag"), state.get("prev_flat_grad"), state.get("prev_loss")

        iteration = 0
        while iteration < max_iter:
            iteration += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:  # no curvature yet: steepest descent
                direction = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                h_diag = 1
            else:
                y = flat_grad - prev_flat_grad  # the gradient's change over the last step s
                s = direction * step_size
                ys = y.dot(s)
                if ys > 1e-10:  # only a pair with positive curvature keeps the inverse Hessian positive definite
                    # the newest history_size pairs, in new lists (a state dict taken earlier keeps its own)
                    size = group["history_size"]
                    old_dirs, old_stps = (old_dirs + [y])[-size:], (old_stps + [s])[-size:]
                    ro = (ro + [1.0 / ys])[-size:]
                    h_diag = ys / y.dot(y)  # the initial inverse Hessian is h_diag * I
                direction, state["al"] = _two_loop(-flat_grad, old_dirs, old_stps, ro, h_diag)
            prev_flat_grad = flat_grad  # never changed in place: each evaluation gathers a new array
            prev_loss = loss
            # the first step is at most lr in the 1-norm; later ones trust the curvature and try lr
            step_size = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr if state["n_iter"] == 1 else lr
            slope = flat_grad.dot(direction)  # the directional derivative
            if slope > -tolerance_change:  # not a descent direction (to tolerance): stop
                break

            if group["line_search_fn"] == "strong_wolfe":
                start = [p._data.copy() for p in self._params]
                loss, flat_grad, step_size, line_evaluations = _strong_wolfe(
                    lambda t: self._evaluate_at(closure, start, t, direction), step_size, direction, loss,
                    flat_grad, slope, max_ls=max_eval - evaluations)
                self._move(step_size, direction)
                converged = np.abs(flat_grad).max() <= tolerance_grad
            else:
                self._move(step_size, direction)
                line_evaluations = 0
                if iteration != max_iter:  # the last iteration's loss is left for the next call to compute
                    with enable_grad():
                        loss = float(closure())
                    flat_grad = self._flat_grad()
                    converged = np.abs(flat_grad).max() <= tolerance_grad
                    line_evaluations = 1
            evaluations += line_evaluations
            state["func_evals"] += line_evaluations

            if iteration == max_iter or evaluations >= max_eval or converged:
                break
            if np.abs(direction * step_size).max() <= tolerance_change:  # the parameters stopped moving
                break
            if abs(loss - prev_loss) < tolerance_change:  # the loss stopped changing
                break

        state.update(d=direction, t=step_size, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=h_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return original_loss


def _two_loop(q, old_dirs, old_stps, ro, h_diag):
    """The L-BFGS direction H q for the inverse-Hessian estimate H of the history (y_i = old_dirs,
    s_i = old_stps, ro_i = 1 / y_i.s_i) over the initial h_diag * I; also the first loop's coefficients."""
    alphas = [None] * len(old_dirs)
    for i in reversed(range(len(old_dirs))):
        alphas[i] = old_stps[i].dot(q) * ro[i]
        q = q - alphas[i] * old_dirs[i]
    r = q * h_diag
    for i in range(len(old_dirs)):
        beta = old_dirs[i].dot(r) * ro[i]
        r = r + (alphas[i] - beta) * old_stps[i]
    return r, alphas


def _cubic_minimum(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimizer of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clipped to `bounds`
    (by default the interval between the points); the interval's middle if the cubic has no minimum."""
    low, high = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 * d1 - g1 * g2
    if d2_square < 0:
        return (low + high) / 2
    d2 = math.sqrt(d2_square)
    if x1 <= x2:
        position = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        position = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(position, low), high)


def _strong_wolfe(evaluate, t, d, f, g, slope, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """A step t along d with sufficient decrease, f(t) <= f + c1 t slope, and a small slope,
    |g(t).d| <= c2 |slope|; `evaluate(t)` returns (loss, flat gradient) at t. First the step grows
    until a minimum is bracketed, then the bracket shrinks by safeguarded cubic interpolation.
    Returns the loss, gradient and t of the best point found and the number of evaluations."""
    d_norm = np.abs(d).max()
    f_new, g_new = evaluate(t)
    evaluations = 1
    slope_new = g_new.dot(d)

    # bracketing: each point is (t, loss, gradient, slope)
    previous = (0, f, g, slope)
    done = False
    iteration = 0
    while iteration < max_ls:
        new = (t, f_new, g_new, slope_new)
        if f_new > f + c1 * t * slope or (iteration > 1 and f_new >= previous[1]):
            bracket = [previous, new]  # the loss went up: a minimum lies between
            break
        if abs(slope_new) <= -c2 * slope:
            bracket = [new]  # both conditions hold
            done = True
            break
        if slope_new >= 0:
            bracket = [previous, new]  # the slope turned: a minimum lies between
            break
        # still going down: extrapolate, between a little and ten times further
        t_next = _cubic_minimum(previous[0], previous[1], previous[3], t, f_new, slope_new,
                                bounds=(t + 0.01 * (t - previous[0]), t * 10))
        previous, t = new, t_next
        f_new, g_new = evaluate(t)
        evaluations += 1
        slope_new = g_new.dot(d)
        iteration += 1
    if iteration >= max_ls:  # out of evaluations while still going down
        bracket = [(0, f, g, slope), (t, f_new, g_new, slope_new)]

    # zoom: shrink the bracket around the minimum; `low` indexes its point of lower loss
    insufficient_progress = False
    low, high = (0, 1) if bracket[0][1] <= bracket[-1][1] else (1, 0)
    while not done and iteration < max_ls:
        (t_a, f_a, _, slope_a), (t_b, f_b, _, slope_b) = bracket
        if abs(t_b - t_a) * d_norm < tolerance_change:  # the bracket is too small to matter
            break
        t = _cubic_minimum(t_a, f_a, slope_a, t_b, f_b, slope_b)
        ends = (t_a, t_b)
        # a trial point too close to an end makes little progress: after two in a row (or one at or
        # beyond an end), move it to a tenth of the bracket's width inside
        margin = 0.1 * (max(ends) - min(ends))
        if min(max(ends) - t, t - min(ends)) < margin:
            if insufficient_progress or t >= max(ends) or t <= min(ends):
                t = max(ends) - margin if abs(t - max(ends)) < abs(t - min(ends)) else min(ends) + margin
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        f_new, g_new = evaluate(t)
        evaluations += 1
        slope_new = g_new.dot(d)
        iteration += 1
        new = (t, f_new, g_new, slope_new)
        if f_new > f + c1 * t * slope or f_new >= bracket[low][1]:
            bracket[high] = new  # not better than the low end: it becomes the high end
            low, high = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
        else:
            if abs(slope_new) <= -c2 * slope:
                done = True
            elif slope_new * (bracket[high][0] - bracket[low][0]) >= 0:
                bracket[high] = bracket[low]  # the minimum lies on the other side of the new point
            bracket[low] = new
    t, f_new, g_new, _ = bracket[low]
    return f_new, g_new, t, evaluations
