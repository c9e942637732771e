r"""The lecture's step-size theory on the local quadratic model of a 2-D objective.

Near a point w₀, f(w) ≈ f(w₀) + ∇f(w₀)ᵀ(w − w₀) + ½ (w − w₀)ᵀ H (w − w₀), H = ∇²f(w₀), with eigenvalues
λmin ≤ λmax and condition number κ = λmax/λmin. The model is *exact* for a quadratic (``quadratic``,
``booth``) and for linear regression with the MSE loss (no penalty or the l2 one); elsewhere it is
*local*. In the eigenbasis of H every first-order method below acts on each coordinate x (error to the
model's minimum along an eigenvector with eigenvalue λ) as a linear recurrence with the characteristic
polynomial z² − T z + D; the iteration contracts iff both roots lie in the unit disc (Jury:
|D| < 1 and |T| < 1 + D), and the rate is ρ = max over λ of the largest root modulus.

* Gradient descent, x_{t+1} = (1 − αλ) x_t:  T = 1 − αλ, D = 0. Stable iff 0 < αλmax < 2; the best
  constant step α* = 2/(λmin + λmax) gives ρ* = (κ − 1)/(κ + 1).
* Polyak's heavy ball, x_{t+1} = x_t − αλ x_t + β (x_t − x_{t−1}):  T = 1 + β − αλ, D = β. Stable iff
  0 ≤ β < 1 and 0 < αλ < 2(1 + β); α* = 4/(√λmax + √λmin)², β* = ((√κ − 1)/(√κ + 1))², ρ* = √β*.
  torch's SGD with momentum μ and dampening τ is the same recurrence with β = μ and α = lr·(1 − τ)
  (its buffer b_t = μ b_{t−1} + (1 − τ) g_t carries −(w_t − w_{t−1})/lr), weight decay wd adds wd to
  every eigenvalue.
* The lecture's Nesterov, x_{t+1} = x_t − αλ (x_t + β (x_t − x_{t−1})) + β (x_t − x_{t−1}):
  T = (1 + β)(1 − αλ), D = β(1 − αλ). With u = 1 − αλ Jury gives (1 + β)u < 1 + βu ⇔ αλ > 0 and
  −(1 + β)u < 1 + βu ⇔ αλ < (2 + 2β)/(1 + 2β). The best tuning on a quadratic (Lessard, Recht and
  Packard 2016) is α* = 4/(3λmax + λmin), β* = (√(3κ+1) − 2)/(√(3κ+1) + 2), ρ* = 1 − 2/√(3κ+1).
* torch's ``SGD(nesterov=True)`` (dampening 0): b_t = μ b_{t−1} + g_t, w_t = w_{t−1} − γ (g_t + μ b_t),
  with g_t = λ w_{t−1} per eigen-coordinate. Substituting b_t:
  w_t = (1 − γλ(1 + μ)) w_{t−1} − γμ² b_{t−1},  b_t = λ w_{t−1} + μ b_{t−1}, i.e. the state matrix
  [[1 − γλ(1 + μ), −γμ²], [λ, μ]] with trace T = (1 + μ)(1 − γλ) and determinant
  D = μ(1 − γλ(1 + μ)) + γλμ² = μ(1 − γλ). The same polynomial as the lecture's form with α = γ,
  β = μ (torch's iterate is the lecture's look-ahead point, a change of variables), hence the same
  limit γλmax < (2 + 2μ)/(1 + 2μ) and the same optimum; only the first step (b_1 = g_1) differs.
* Newton with damping η on the model: x_{t+1} = (1 − η) x_t in every direction: stable iff 0 < η < 2,
  exact in one step at η = 1.
* Adaptive methods (Adam, RMSprop, Adagrad, ...) rescale each coordinate by their own statistics: no
  closed form applies. We report the effective per-coordinate step of the last update, −Δw_i/g_i
  (what α would have made plain GD take that step).

A method is *stable* when ρ < 1, *oscillating* when stable but some eigen-direction's dominant root
is a negative real number (the iterate flips sign every step: GD's zig-zag once αλ > 1), and
*unstable* when ρ ≥ 1. Pure numbers only (numpy, no torch at import): the UI and the headless summary
draw them.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

__all__ = [
    "LocalModel", "Dynamics", "Theory", "eigen_2x2", "model_from_hessian", "local_model", "model_kind",
    "char_poly", "spectral_radius", "rate", "classify", "limit_alpha_lambda", "lambda_limit", "optimum", "dynamics",
    "theory_of", "theory_of_runner", "effective_step", "METHODS",
]

METHODS = ("gd", "heavy_ball", "nesterov", "newton", "adaptive", "none")
_EXACT_SURFACES = ("quadratic", "booth")


# ============================================================================ the local quadratic model
@dataclass(frozen=True)
class LocalModel:
    """The Hessian at ``point``, its eigenvalues λmin ≤ λmax and κ; ``kind`` is "exact" or "local"."""

    point: tuple[float, float]
    hessian: tuple[tuple[float, float], tuple[float, float]]
    lam_min: float
    lam_max: float
    kind: str
    finite: bool = True

    @property
    def condition(self) -> float:
        """κ = λmax/λmin; inf when λmin ≤ 0 (no condition number: not a minimum's neighbourhood)."""
        return self.lam_max / self.lam_min if self.lam_min > 0 else math.inf

    @property
    def negative(self) -> bool:
        """An eigenvalue below 0: a saddle (or a maximum); the closed forms do not apply."""
        return self.lam_min < 0

    @property
    def warning(self) -> str | None:
        if not self.finite:
            return "the point or its Hessian is not finite: no model"
        if self.lam_max < 0:
            return f"both eigenvalues negative (λmax = {self.lam_max:.4g}): a maximum; the closed forms do not apply"
        if self.lam_min < 0:
            return f"negative eigenvalue λmin = {self.lam_min:.4g}: a saddle; the closed forms do not apply"
        if self.lam_min == 0:
            return "λmin = 0: flat along one direction; κ is infinite"
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"point": list(self.point), "hessian": [list(r) for r in self.hessian], "kind": self.kind,
                "lambda_min": self.lam_min, "lambda_max": self.lam_max, "condition": self.condition,
                "negative_eigenvalue": self.negative, "warning": self.warning}


def eigen_2x2(a: float, b: float, d: float) -> tuple[float, float]:
    """(λmin, λmax) of the symmetric [[a, b], [b, d]]: λ = m ± r, m = (a + d)/2, r = √(((a − d)/2)² + b²);
    λmin = det/λmax when that avoids the cancellation in m − r."""
    m, r = 0.5 * (a + d), math.hypot(0.5 * (a - d), b)
    hi, lo = m + r, m - r
    if hi > 0 and lo > 0:
        lo = (a * d - b * b) / hi
    return lo, hi


def model_from_hessian(H, point: tuple[float, float], kind: str = "local") -> LocalModel:
    (a, b), (c, d) = [[float(v) for v in row] for row in H]
    b = 0.5 * (b + c)
    pt = (float(point[0]), float(point[1]))
    ok = all(math.isfinite(v) for v in (a, b, d, *pt))
    lo, hi = eigen_2x2(a, b, d) if ok else (math.nan, math.nan)
    return LocalModel(pt, ((a, b), (b, d)), lo, hi, kind, ok)


def model_kind(objective: str, options: dict[str, Any]) -> str:
    """ "exact" for a quadratic surface or linear regression with MSE (no penalty or l2), else "local"."""
    if objective in _EXACT_SURFACES:
        return "exact"
    if objective == "linear_regression" and options.get("loss", "mse") == "mse" \
            and options.get("regularization", "none") in ("none", "l2"):
        return "exact"
    return "local"


def local_model(problem, point: tuple[float, float] | None = None, objective: str | None = None,
                options: dict[str, Any] | None = None) -> LocalModel:
    """The model of a 2-D problem (core.problems) at ``point`` (default: its current parameters), with the
    problem's own Hessian (analytic for surfaces, autograd on the full training set for regressions)."""
    pt = problem.point() if point is None else point
    name = objective or getattr(getattr(problem, "surface", None), "name", None) or getattr(problem, "name", "")
    opts = options if options is not None else getattr(problem, "options", {})
    if not (math.isfinite(pt[0]) and math.isfinite(pt[1])):
        return LocalModel((float(pt[0]), float(pt[1])), ((math.nan,) * 2,) * 2, math.nan, math.nan,
                          model_kind(name, opts), False)
    try:
        H = problem.hessian_at(*pt)
    except (OverflowError, ValueError):  # a huge point: Python's ** overflows
        H = ((math.inf, 0.0), (0.0, math.inf))
    return model_from_hessian(H, pt, model_kind(name, opts))


# ============================================================================ recurrences (vectorised)
def char_poly(method: str, alpha, beta, lam):
    """(T, D) of z² − T z + D for one eigenvalue (numpy broadcasting over α, β, λ)."""
    a_l = np.multiply(alpha, lam)
    if method == "gd":
        return 1.0 - a_l, np.zeros_like(a_l)
    if method == "heavy_ball":
        T = 1.0 + beta - a_l
        return T, np.broadcast_to(np.asarray(beta, dtype=float), np.shape(T))
    if method == "nesterov":
        u = 1.0 - a_l
        return (1.0 + beta) * u, beta * u
    raise ValueError(f"no characteristic polynomial for method {method!r}")


def spectral_radius(T, D):
    """Largest |z| over the roots of z² − T z + D: (|T| + √(T² − 4D))/2 for real roots, √D for complex."""
    T, D = np.asarray(T, dtype=float), np.asarray(D, dtype=float)
    disc = T * T - 4.0 * D
    # a double root (the optimum's) has disc = 0 exactly; rounding leaves ~1e-16, whose square root would
    # be a 1e-8 error: values within the rounding error of T² and 4D count as 0
    disc = np.where(np.abs(disc) <= 8.0 * np.finfo(float).eps * (T * T + 4.0 * np.abs(D)), 0.0, disc)
    with np.errstate(invalid="ignore"):
        return np.where(disc >= 0, 0.5 * (np.abs(T) + np.sqrt(np.maximum(disc, 0.0))), np.sqrt(np.abs(D)))


def rate(method: str, alpha, beta, eigenvalues) -> Any:
    """ρ(α, β) = max over the eigenvalues of the largest root modulus (broadcast over α and β)."""
    out = None
    for lam in eigenvalues:
        r = spectral_radius(*char_poly(method, alpha, beta, lam))
        out = r if out is None else np.maximum(out, r)
    return out


def classify(method: str, alpha: float, beta: float, eigenvalues) -> str:
    """stable (ρ < 1) / oscillating (stable, and a direction's dominant root is negative real) / unstable."""
    if alpha <= 0 or not eigenvalues:
        return "unstable"
    if float(rate(method, alpha, beta, eigenvalues)) >= 1.0:
        return "unstable"
    for lam in eigenvalues:
        T, D = (float(v) for v in char_poly(method, alpha, beta, lam))
        if T * T - 4.0 * D >= 0 and T < 0:
            return "oscillating"
    return "stable"


def limit_alpha_lambda(method: str, beta: float = 0.0) -> float | None:
    """The method's bound on α·λmax (stable below it): 2, 2(1 + β), (2 + 2β)/(1 + 2β); None if no α works."""
    if method == "gd":
        return 2.0
    if method == "heavy_ball":
        return 2.0 * (1.0 + beta) if 0.0 <= beta < 1.0 else None
    if method == "nesterov":  # for β > 1 also αλmin > 1 − 1/β (from |D| < 1)
        return (2.0 + 2.0 * beta) / (1.0 + 2.0 * beta) if beta >= 0.0 else None
    if method == "newton":
        return 2.0
    return None


def lambda_limit(optimizer: str, hyper: dict[str, Any], lr: float) -> float | None:
    """The largest λmax at which ``optimizer`` with ``hyper`` and step ``lr`` is stable on a quadratic:
    limit_alpha_lambda / (lr·scale) − shift (2/α for GD, 2(1+β)/α for heavy ball, ...); None for adaptive
    methods, Newton (no step-size limit on λ) and maximize."""
    method, beta, scale, shift, _ = method_of(optimizer, hyper)
    c = limit_alpha_lambda(method, beta) if method in ("gd", "heavy_ball", "nesterov") else None
    if c is None or lr <= 0 or scale <= 0:
        return None
    return c / (lr * scale) - shift


def optimum(method: str, lam_min: float, lam_max: float) -> tuple[float, float | None, float] | None:
    """(α*, β*, ρ*) of the closed forms (β* None for GD); None unless 0 < λmin ≤ λmax."""
    if not (0.0 < lam_min <= lam_max):
        return None
    k = lam_max / lam_min
    if method == "gd":
        return 2.0 / (lam_min + lam_max), None, (k - 1.0) / (k + 1.0)
    if method == "heavy_ball":
        sk = math.sqrt(k)
        beta = ((sk - 1.0) / (sk + 1.0)) ** 2
        return 4.0 / (math.sqrt(lam_max) + math.sqrt(lam_min)) ** 2, beta, math.sqrt(beta)
    if method == "nesterov":
        s = math.sqrt(3.0 * k + 1.0)
        return 4.0 / (3.0 * lam_max + lam_min), (s - 2.0) / (s + 2.0), 1.0 - 2.0 / s
    if method == "newton":
        return 1.0, None, 0.0
    return None


# ============================================================================ one optimizer at one point
@dataclass(frozen=True)
class Dynamics:
    """What the theory says about one optimizer with its current hyperparameters on a local model.

    ``alpha`` is the run's learning rate after the schedule (Newton: its damping η), ``beta`` its
    momentum. ``scale`` and ``shift`` map them onto the recurrence: α_rec = α·scale (torch's dampening:
    1 − τ), λ_rec = λ + shift (torch's weight decay). The meter is ``alpha_lambda_max`` (α_rec·λmax;
    Newton: η) against ``limit_alpha_lambda``; ``limit_alpha`` is the same limit in the run's own lr.
    ``alpha_opt``/``beta_opt``/``rate_opt`` are the closed-form optimum (in the run's lr), ``rate`` is ρ
    at the current (α, β); all None where no closed form applies (``applies`` False, ``note`` says why).
    """

    optimizer: str
    method: str  # one of METHODS
    form: str
    alpha: float | None
    beta: float | None
    scale: float = 1.0
    shift: float = 0.0
    applies: bool = False
    alpha_lambda_max: float | None = None
    limit_alpha_lambda: float | None = None
    limit_alpha: float | None = None
    alpha_opt: float | None = None
    beta_opt: float | None = None
    rate_opt: float | None = None
    rate: float | None = None
    stability: str | None = None  # stable | oscillating | unstable
    effective_step: tuple[float | None, float | None] | None = None
    note: str = ""


_FORMS = {
    "gd": "gradient descent: x ← (1 − αλ) x",
    "heavy_ball": "heavy ball: z² − (1 + β − αλ) z + β",
    "nesterov": "Nesterov: z² − (1 + β)(1 − αλ) z + β(1 − αλ)",
    "newton": "Newton: x ← (1 − η) x on the model",
    "adaptive": "adaptive: per-coordinate steps from the method's own statistics",
}


def method_of(optimizer: str, hyper: dict[str, Any]) -> tuple[str, float, float, float, str]:
    """(method, β, scale, shift, form) of a registered optimizer with these hyperparameters."""
    if optimizer == "gd":
        return "gd", 0.0, 1.0, 0.0, "GD: " + _FORMS["gd"]
    if optimizer == "polyak":
        return "heavy_ball", float(hyper.get("momentum", 0.0)), 1.0, 0.0, "Polyak " + _FORMS["heavy_ball"]
    if optimizer == "nesterov":
        return "nesterov", float(hyper.get("momentum", 0.0)), 1.0, 0.0, "lecture " + _FORMS["nesterov"]
    if optimizer == "newton":
        return "newton", 0.0, 1.0, 0.0, _FORMS["newton"]
    if optimizer == "sgd":
        if hyper.get("maximize"):
            return "none", 0.0, 1.0, 0.0, "maximize = true climbs the objective: no descent theory"
        mu, wd = float(hyper.get("momentum", 0.0)), float(hyper.get("weight_decay", 0.0))
        extra = f" (weight decay: λ + {wd:g})" if wd else ""
        if mu == 0.0:
            return "gd", 0.0, 1.0, wd, "torch SGD without momentum = GD: " + _FORMS["gd"] + extra
        if hyper.get("nesterov"):
            return "nesterov", mu, 1.0, wd, "torch SGD nesterov=True, same polynomial as " + _FORMS["nesterov"] + extra
        tau = float(hyper.get("dampening", 0.0))
        damp = f" with α = lr·(1 − τ) = lr·{1 - tau:g}" if tau else ""
        return "heavy_ball", mu, 1.0 - tau, wd, "torch SGD momentum = Polyak " + _FORMS["heavy_ball"] + damp + extra
    return "adaptive", 0.0, 1.0, 0.0, _FORMS["adaptive"]


def effective_step(delta, grad) -> tuple[float | None, float | None]:
    """−Δw_i/g_i per coordinate: the α plain GD would have needed for the last update (None where g_i = 0)."""
    out = []
    for d, g in zip(delta, grad):
        ok = g is not None and d is not None and math.isfinite(d) and math.isfinite(g) and abs(g) > 1e-300
        out.append(-d / g + 0.0 if ok else None)  # + 0.0: no "-0.0" for a step of zero
    return out[0], out[1]


def dynamics(model: LocalModel, optimizer: str, hyper: dict[str, Any], lr: float | None = None,
             last_delta=None, last_grad=None) -> Dynamics:
    """The theory for ``optimizer`` (a registry name) with ``hyper`` and its current ``lr`` (after the
    schedule; default hyper["lr"]) on ``model``. ``last_delta``/``last_grad``: the last update and the
    gradient it used, for the adaptive methods' effective step."""
    alpha = float(hyper.get("lr", 0.0) if lr is None else lr)
    method, beta, scale, shift, form = method_of(optimizer, hyper)
    eff = effective_step(last_delta, last_grad) if last_delta is not None and last_grad is not None else None
    base = dict(optimizer=optimizer, method=method, form=form, alpha=alpha,
                beta=beta if method in ("heavy_ball", "nesterov") else None, scale=scale, shift=shift)
    if method == "adaptive":
        return Dynamics(**base, effective_step=eff, note="no closed form: an adaptive method rescales each "
                        "coordinate; the effective step is −Δw_i/g_i of the last update")
    if method == "none" or not model.finite:
        return Dynamics(**base, note=form if method == "none" else model.warning or "")
    if method == "newton":
        st = "unstable" if not 0.0 < alpha < 2.0 else "oscillating" if alpha > 1.0 else "stable"
        note = "exact in one step on a quadratic at η = 1"
        if model.lam_min <= 0:
            note = (model.warning or "") + "; Newton's nonconvex rule decides the step"
        return Dynamics(**base, applies=model.lam_min > 0, alpha_lambda_max=alpha, limit_alpha_lambda=2.0,
                        limit_alpha=2.0, alpha_opt=1.0, rate_opt=0.0, rate=abs(1.0 - alpha), stability=st,
                        note=note)
    lam_min, lam_max = model.lam_min + shift, model.lam_max + shift
    a_rec = alpha * scale
    lim = limit_alpha_lambda(method, beta)
    if lam_max <= 0:
        return Dynamics(**base, note=model.warning or "λmax ≤ 0: no step size limit applies")
    positive = [lam for lam in (lam_min, lam_max) if lam > 0]
    out = dict(base, alpha_lambda_max=a_rec * lam_max, limit_alpha_lambda=lim,
               limit_alpha=None if lim is None else lim / (lam_max * scale) if scale > 0 else None,
               stability=classify(method, a_rec, beta, positive), effective_step=eff)
    notes = []
    if lim is None:
        notes.append(f"β = {beta:g} ≥ 1: no step size is stable")
    elif method == "nesterov" and beta > 1:
        notes.append(f"β = {beta:g} > 1: stable only if also αλmin > 1 − 1/β")
    if lam_min <= 0:
        return Dynamics(**out, note="; ".join([model.warning or "", "the limit uses λmax only", *notes]))
    opt = optimum(method, lam_min, lam_max)
    assert opt is not None
    a_opt, b_opt, r_opt = opt
    notes.append("exact: the model is the objective" if model.kind == "exact" else "local: valid near this point")
    return Dynamics(**out, applies=True, alpha_opt=a_opt / scale if scale > 0 else None,
                    beta_opt=b_opt, rate_opt=r_opt, rate=float(rate(method, a_rec, beta, (lam_min, lam_max))),
                    note="; ".join(notes))


@dataclass(frozen=True)
class Theory:
    """The model and the dynamics of one run at one point."""

    model: LocalModel
    dynamics: Dynamics

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self.dynamics)
        if d["effective_step"] is not None:
            d["effective_step"] = list(d["effective_step"])
        return {**self.model.to_dict(), **{k: v for k, v in d.items()}}


def theory_of(problem, optimizer: str, hyper: dict[str, Any], lr: float | None = None, point=None,
              previous=None, objective: str | None = None, options: dict[str, Any] | None = None) -> Theory:
    """Model + dynamics for a 2-D problem. ``previous``: the point before the last update (with the
    gradient the problem's parameters hold) for the adaptive methods' effective step."""
    model = local_model(problem, point, objective, options)
    delta = grad = None
    if previous is not None:
        pt = model.point
        delta = (pt[0] - previous[0], pt[1] - previous[1])
        g = problem.params[0].grad
        grad = None if g is None else tuple(g.detach().tolist())
    return Theory(model, dynamics(model, optimizer, hyper, lr, delta, grad))


def theory_of_runner(runner, previous=None) -> Theory:
    """The theory panel's numbers for an engine Runner on a 2-D objective, at its current point and lr."""
    spec = runner.spec
    return theory_of(runner.problem, spec.optimizer, getattr(runner, "hyper", spec.hyper), runner.lr, previous=previous,
                     objective=spec.objective, options=spec.objective_options)
