"""A WGAN-GP training loop: a critic whose loss includes a penalty on its own input gradient.

The critic D scores samples; WGAN trains it to score real samples high and generated ones low, and
keeps it 1-Lipschitz with the gradient penalty of Gulrajani et al. (2017):

    loss_D = mean D(fake) - mean D(real) + 10 * mean (|grad_x D(x_hat)| - 1)^2

at points x_hat between real and fake samples. The penalty is a function of a gradient, so the
critic's update needs the gradient of a gradient: autograd.grad(..., create_graph=True) records the
backward pass, and loss_D.backward() differentiates through it into the critic's weights. The
generator G (a shift and a scale of Gaussian noise) learns to move its samples onto the real data,
a Gaussian centred at (2, -1). The critic's estimate of the Wasserstein distance, -(loss_D without
the penalty), rises while the critic learns, then falls with the distance between the two means.

Run: python examples/gradient_penalty.py (about two seconds).
"""
import sys
from pathlib import Path

try:
    import tinygrad_like  # noqa: F401
except ImportError:  # running from a source checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import tinygrad_like as tl  # noqa: E402
from tinygrad_like import autograd, nn, optim  # noqa: E402

REAL_MEAN = np.array([2.0, -1.0])
PENALTY_WEIGHT = 10.0


def gradient_penalty(critic, real, fake):
    """mean (|grad D(x_hat)| - 1)^2 at random points x_hat between real and fake samples, recorded
    so that it can be differentiated with respect to the critic's weights."""
    mix = tl.rand(real.shape[0], 1)
    points = (mix * real + (1 - mix) * fake).detach().requires_grad_()
    (gradient,) = autograd.grad(critic(points).sum(), points, create_graph=True)
    norms = (gradient * gradient).sum(1).sqrt()
    return ((norms - 1) ** 2).mean()


def main(steps=300, critic_steps=5, batch=64):
    tl.manual_seed(0)
    rng = np.random.default_rng(0)
    critic = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
    generator = nn.Linear(2, 2)  # fake = noise @ W.T + b
    critic_optimizer = optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))
    generator_optimizer = optim.Adam(generator.parameters(), lr=5e-3, betas=(0.5, 0.9))

    def real_batch():
        return tl.tensor(REAL_MEAN + 0.5 * rng.standard_normal((batch, 2)), dtype=tl.float32)

    print(" step   Wasserstein estimate   penalty   |generator mean - real mean|")
    for step in range(steps + 1):
        for _ in range(critic_steps):
            real, fake = real_batch(), generator(tl.randn(batch, 2)).detach()
            distance = critic(real).mean() - critic(fake).mean()
            penalty = gradient_penalty(critic, real, fake)
            critic_optimizer.zero_grad()
            (PENALTY_WEIGHT * penalty - distance).backward()  # through the recorded gradient, into the weights
            critic_optimizer.step()
        if step % 50 == 0:
            gap = np.linalg.norm(generator.bias.numpy() - REAL_MEAN)
            print(f"{step:5d}   {distance.item():20.4f}   {penalty.item():7.4f}   {gap:28.4f}")
        generator_optimizer.zero_grad()
        (-critic(generator(tl.randn(batch, 2))).mean()).backward()
        generator_optimizer.step()


if __name__ == "__main__":
    main()
