"""Two-dimensional test surfaces with exact gradients and Hessians.

Every formula is written once, with plain arithmetic and :func:`_fn` for transcendental functions, so
the same code evaluates on Python floats (the fast path the engine uses, ~µs per step), on NumPy
arrays (the app's contour grid) and on torch tensors (the tests check the analytic gradient and
Hessian against autograd). Squares are written ``x * x``: ``x ** 2`` on a huge Python float raises
OverflowError instead of returning inf.

This module does not import torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from sgd_tui.core.theory.central_flow import edge_valley_central_flow

__all__ = ["Surface", "SURFACES", "make_surface"]


def _fn(name: str, v: Any) -> Any:
    """math.<name> on floats, numpy.<name> on arrays, Tensor.<name> on torch tensors."""
    if isinstance(v, (float, int)):
        return getattr(math, name)(v)
    mod = type(v).__module__
    if mod.startswith("torch"):
        return getattr(v, name)()
    import numpy as np  # lazy: numpy

    return getattr(np, name)(v)


@dataclass
class Surface:
    """A 2-D objective f(x, y) with its gradient and Hessian."""

    name: str
    f: Callable[[Any, Any], Any]
    grad: Callable[[Any, Any], tuple[Any, Any]]
    hess: Callable[[Any, Any], tuple[tuple[Any, Any], tuple[Any, Any]]]
    minima: list[tuple[float, float]]
    min_value: float
    start: tuple[float, float]
    bounds: tuple[tuple[float, float], tuple[float, float]]
    # a map applied to the point before each gradient (edge_valley's floor on |x|); None: the point as it is
    project: Callable[[float, float], tuple[float, float]] | None = None
    # GD's central flow in closed form, (start, lr, steps, every) -> CentralFlow (edge_valley); None: not known
    central_flow: Callable[..., Any] | None = None

    def value(self, x: float, y: float) -> float:
        """f at a point, as a Python float; inf where it overflows."""
        try:
            return float(self.f(x, y))
        except (OverflowError, ValueError):
            return math.inf

    def value_and_grad(self, x: float, y: float) -> tuple[float, float, float]:
        try:
            gx, gy = self.grad(x, y)
            return float(self.f(x, y)), float(gx), float(gy)
        except (OverflowError, ValueError):
            return math.inf, math.nan, math.nan


# ----------------------------------------------------------------------------- the surfaces
def quadratic(condition: float = 10.0, angle: float = 0.0) -> Surface:
    """f = ½ (u² + κ v²), (u, v) the coordinates rotated by `angle` degrees. Eigenvalues 1 and κ."""
    th = math.radians(angle)
    c, s = math.cos(th), math.sin(th)
    k = condition
    # H = R diag(1, κ) Rᵀ with R = [[c, -s], [s, c]]
    a = c * c + k * s * s
    b = (1.0 - k) * c * s
    d = s * s + k * c * c

    def f(x, y):
        return 0.5 * (a * x * x + 2.0 * b * x * y + d * y * y)

    def grad(x, y):
        return a * x + b * y, b * x + d * y

    def hess(x, y):
        return (a + 0.0 * x, b + 0.0 * x), (b + 0.0 * x, d + 0.0 * x)

    return Surface("quadratic", f, grad, hess, [(0.0, 0.0)], 0.0, (-4.0, 3.0), ((-5.0, 5.0), (-5.0, 5.0)))


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Surface:
    """f = (a - x)² + b (y - x²)²; minimum (a, a²)."""

    def f(x, y):
        u, v = a - x, y - x * x
        return u * u + b * v * v

    def grad(x, y):
        v = y - x * x
        return -2.0 * (a - x) - 4.0 * b * x * v, 2.0 * b * v

    def hess(x, y):
        hxx = 2.0 - 4.0 * b * (y - x * x) + 8.0 * b * x * x
        hxy = -4.0 * b * x
        return (hxx, hxy), (hxy, 2.0 * b + 0.0 * x)

    return Surface("rosenbrock", f, grad, hess, [(a, a * a)], 0.0, (-1.5, 2.0), ((-2.0, 2.0), (-1.0, 3.0)))


def beale() -> Surface:
    """f = (1.5 - x + xy)² + (2.25 - x + xy²)² + (2.625 - x + xy³)²; minimum (3, 0.5)."""
    cs = (1.5, 2.25, 2.625)

    def f(x, y):
        total = 0.0
        for i, c in enumerate(cs, start=1):
            t = c - x + x * y**i
            total = total + t * t
        return total

    def grad(x, y):
        gx = gy = 0.0
        for i, c in enumerate(cs, start=1):
            t = c - x + x * y**i
            gx = gx + 2.0 * t * (y**i - 1.0)
            gy = gy + 2.0 * t * (i * x * y ** (i - 1))
        return gx, gy

    def hess(x, y):
        hxx = hxy = hyy = 0.0
        for i, c in enumerate(cs, start=1):
            t = c - x + x * y**i
            tx = y**i - 1.0
            ty = i * x * y ** (i - 1)
            txy = i * y ** (i - 1)
            tyy = i * (i - 1) * x * y ** (i - 2) if i >= 2 else 0.0 * x
            hxx = hxx + 2.0 * tx * tx
            hxy = hxy + 2.0 * (ty * tx + t * txy)
            hyy = hyy + 2.0 * (ty * ty + t * tyy)
        return (hxx, hxy), (hxy, hyy)

    return Surface("beale", f, grad, hess, [(3.0, 0.5)], 0.0, (1.0, 1.5), ((-4.5, 4.5), (-4.5, 4.5)))


def himmelblau() -> Surface:
    """f = (x² + y - 11)² + (x + y² - 7)²; four minima with f = 0."""

    def f(x, y):
        u, v = x * x + y - 11.0, x + y * y - 7.0
        return u * u + v * v

    def grad(x, y):
        u, v = x * x + y - 11.0, x + y * y - 7.0
        return 4.0 * x * u + 2.0 * v, 2.0 * u + 4.0 * y * v

    def hess(x, y):
        u, v = x * x + y - 11.0, x + y * y - 7.0
        hxx = 4.0 * u + 8.0 * x * x + 2.0
        hxy = 4.0 * x + 4.0 * y
        hyy = 2.0 + 4.0 * v + 8.0 * y * y
        return (hxx, hxy), (hxy, hyy)

    minima = [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]
    return Surface("himmelblau", f, grad, hess, minima, 0.0, (0.0, 0.0), ((-5.0, 5.0), (-5.0, 5.0)))


def rastrigin(A: float = 10.0) -> Surface:
    """f = 2A + Σ (x_i² - A cos 2πx_i); global minimum 0 at the origin, many local minima."""
    w = 2.0 * math.pi

    def f(x, y):
        return 2.0 * A + x * x - A * _fn("cos", w * x) + y * y - A * _fn("cos", w * y)

    def grad(x, y):
        return 2.0 * x + A * w * _fn("sin", w * x), 2.0 * y + A * w * _fn("sin", w * y)

    def hess(x, y):
        return (2.0 + A * w * w * _fn("cos", w * x), 0.0 * x), (0.0 * x, 2.0 + A * w * w * _fn("cos", w * y))

    return Surface("rastrigin", f, grad, hess, [(0.0, 0.0)], 0.0, (2.3, 3.1), ((-5.12, 5.12), (-5.12, 5.12)))


def saddle() -> Surface:
    """f = x² + y⁴/4 - y²/2: a saddle at the origin, minima (0, ±1) with f = -1/4."""

    def f(x, y):
        y2 = y * y
        return x * x + 0.25 * y2 * y2 - 0.5 * y2

    def grad(x, y):
        return 2.0 * x, y * y * y - y

    def hess(x, y):
        return (2.0 + 0.0 * x, 0.0 * x), (0.0 * x, 3.0 * y * y - 1.0)

    return Surface("saddle", f, grad, hess, [(0.0, 1.0), (0.0, -1.0)], -0.25, (-2.0, 1e-3), ((-2.5, 2.5), (-1.6, 1.6)))


def booth() -> Surface:
    """f = (x + 2y - 7)² + (2x + y - 5)²; minimum (1, 3)."""

    def f(x, y):
        u, v = x + 2.0 * y - 7.0, 2.0 * x + y - 5.0
        return u * u + v * v

    def grad(x, y):
        u, v = x + 2.0 * y - 7.0, 2.0 * x + y - 5.0
        return 2.0 * u + 4.0 * v, 4.0 * u + 2.0 * v

    def hess(x, y):
        z = 0.0 * x
        return (10.0 + z, 8.0 + z), (8.0 + z, 10.0 + z)

    return Surface("booth", f, grad, hess, [(1.0, 3.0)], 0.0, (-6.0, -6.0), ((-10.0, 10.0), (-10.0, 10.0)))


def six_hump_camel() -> Surface:
    """f = (4 - 2.1x² + x⁴/3) x² + xy + (-4 + 4y²) y²; two global minima f ≈ -1.0316, four local."""

    def f(x, y):
        x2, y2 = x * x, y * y
        return (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (-4.0 + 4.0 * y2) * y2

    def grad(x, y):
        x2 = x * x
        return 8.0 * x - 8.4 * x2 * x + 2.0 * x2 * x2 * x + y, x - 8.0 * y + 16.0 * y * y * y

    def hess(x, y):
        x2 = x * x
        return (8.0 - 25.2 * x2 + 10.0 * x2 * x2, 1.0 + 0.0 * x), (1.0 + 0.0 * x, -8.0 + 48.0 * y * y)

    minima = [(0.0898420131, -0.7126564030), (-0.0898420131, 0.7126564030)]
    return Surface("six_hump_camel", f, grad, hess, minima, -1.0316284535, (-1.5, 0.8), ((-2.0, 2.0), (-1.1, 1.1)))


def edge_valley(c: float = 0.001, x_floor: float = 1e-6) -> Surface:
    """f = ½(1 + y)x² − c·y: the curvature along x is 1 + y (the Hessian is [[1 + y, x], [x, 0]]), and the
    slope −c pulls y up, so the sharpness grows while x is small, until the optimizer's own stability limit
    makes x oscillate and grow, ½x² > c, and y comes back down: every optimizer's edge of stability in 2-D.
    No minimum (f → −∞ along x = 0 as y → ∞).

    Below its limit an optimizer shrinks x geometrically, and in floating point x reaches 0 (or a subnormal
    from which it takes thousands of steps to regrow): exactly at 0 the iteration never leaves the line
    x = 0, however unstable. ``x_floor`` keeps |x| ≥ x_floor before every gradient (x = 0 goes to
    +x_floor), a stand-in for the tiny perturbations a real network always has; 0 turns it off."""

    def f(x, y):
        return 0.5 * (1.0 + y) * x * x - c * y

    def grad(x, y):
        return (1.0 + y) * x, 0.5 * x * x - c + 0.0 * y

    def hess(x, y):
        return (1.0 + y, x + 0.0 * y), (x + 0.0 * y, 0.0 * x)

    def project(x: float, y: float) -> tuple[float, float]:
        return (math.copysign(x_floor, x) if abs(x) < x_floor else x), y

    def flow(start, lr: float, steps: int, every: int = 1):
        return edge_valley_central_flow(c, start, lr, steps, every)

    return Surface("edge_valley", f, grad, hess, [], -math.inf, (1.0, 0.0), ((-1.5, 1.5), (-1.0, 32.0)),
                   project if x_floor > 0 else None, flow)


def catapult(r_floor: float = 1e-4) -> Surface:
    """f = ½(uv − 1)²: the two-layer linear model uv fitting 1 (Lewkowycz et al. 2020). Its minima form the
    hyperbola uv = 1, where the Hessian [[v², 2uv − 1], [2uv − 1, u²]] has eigenvalues 0 and u² + v²: the
    curvature falls towards u = v (2 at (1, 1)). GD with η·λ0 < 2 converges near its start (lazy); with
    2 < η·λ0 < 4 the loss spikes and GD settles on a flatter part of the hyperbola (the catapult); beyond,
    it diverges. ``r_floor`` keeps |uv − 1| ≥ r_floor before every gradient (moving the point along the
    gradient of uv), so an unstable minimum cannot hold GD by exact cancellation (r = 0 exactly in
    floating point); 0 turns it off. The minima are not isolated: none is marked; f* = 0."""

    def f(x, y):
        r = x * y - 1.0
        return 0.5 * r * r

    def grad(x, y):
        r = x * y - 1.0
        return r * y, r * x

    def hess(x, y):
        off = 2.0 * x * y - 1.0
        return (y * y, off), (off, x * x)

    def project(x: float, y: float) -> tuple[float, float]:
        r, n = x * y - 1.0, x * x + y * y
        if abs(r) >= r_floor or n == 0.0:
            return x, y
        d = (math.copysign(r_floor, r) - r) / n
        return x + d * y, y + d * x

    return Surface("catapult", f, grad, hess, [], 0.0, (2.5, 0.1), ((-3.0, 3.0), (-3.0, 3.0)),
                   project if r_floor > 0 else None)


SURFACES: dict[str, Callable[..., Surface]] = {
    "quadratic": quadratic,
    "rosenbrock": rosenbrock,
    "beale": beale,
    "himmelblau": himmelblau,
    "rastrigin": rastrigin,
    "saddle": saddle,
    "booth": booth,
    "six_hump_camel": six_hump_camel,
    "edge_valley": edge_valley,
    "catapult": catapult,
}


def make_surface(name: str, **options: Any) -> Surface:
    return SURFACES[name](**options)
