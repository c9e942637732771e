"""The optimizer registry.

Each entry names an optimizer, its hyperparameters (names as in torch.optim, with defaults and
allowed ranges), its update rule in the lecture's notation, and how to build it. torch is imported
only when an optimizer is built, so ``--list-optimizers`` and scenario validation stay fast.

Where torch has the algorithm, the entry builds the torch.optim class itself (with its fastest exact
implementation: ``foreach``/``fused`` where available). The lecture's own forms that torch lacks
(GD, Polyak, Nesterov, Newton) are torch.optim.Optimizer subclasses in :mod:`sgd_tui.core.optim.lecture`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from sgd_tui.core.errors import ParamError
from sgd_tui.core.params import Param, check_values

__all__ = ["OptimizerInfo", "OPTIMIZERS", "MODERN", "get_optimizer", "validate_hyperparameters"]

# ----------------------------------------------------------------------------- shared params
LR = lambda default: Param("lr", "float", default, "learning rate α", low=0.0, label="learning rate")  # noqa: E731
MOMENTUM = lambda default=0.0: Param(  # noqa: E731
    "momentum", "float", default, "momentum factor β", low=0.0, label="momentum value"
)
WEIGHT_DECAY = lambda default=0.0: Param(  # noqa: E731
    "weight_decay", "float", default, "weight decay λ (adds λw to the gradient)", low=0.0, label="weight_decay value"
)
MAXIMIZE = Param("maximize", "bool", False, "maximize the objective instead of minimizing it")
EPS = lambda default: Param("eps", "float", default, "term added to the denominator", low=0.0, label="epsilon value")  # noqa: E731
BETAS = Param(
    "betas", "pair", (0.9, 0.999), "(β1, β2): decay rates of the moment estimates",
    low=0.0, high=1.0, high_open=True, label="beta parameters",
)
AMSGRAD = Param("amsgrad", "bool", False, "AMSGrad: divide by the running maximum of v̂")


@dataclass(frozen=True)
class OptimizerInfo:
    """One optimizer of the registry."""

    name: str
    title: str
    params: tuple[Param, ...]
    rule: str  # the update rule in the lecture's notation (shown in the app)
    build: Callable[..., Any]  # build(torch_params, hyper, hessian=None) -> torch.optim.Optimizer
    help: str = ""
    full_batch: bool = False  # always uses the whole training set (gd, newton)
    needs_hessian: bool = False
    needs_closure: bool = False  # evaluates the gradient itself (nesterov's look-ahead)
    needs_matrices: bool = False  # steps hidden weight matrices (muon): not on 2-D objectives
    checks: tuple[Callable[[dict], str | None], ...] = field(default=())

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}


def _nesterov_check(h: dict) -> str | None:
    if h.get("nesterov") and (h.get("momentum", 0.0) <= 0 or h.get("dampening", 0.0) != 0):
        return "Nesterov momentum requires a momentum and zero dampening"
    return None


# ----------------------------------------------------------------------------- builders
# torch.optim classes with a fused kernel (one kernel for all parameters), by device type
_FUSED = {
    "SGD": ("cpu", "cuda", "mps"),
    "Adam": ("cpu", "cuda", "mps"),
    "AdamW": ("cpu", "cuda", "mps"),
    "Adagrad": ("cpu",),
}


_TINY = 64  # a vector of at most this many numbers is a point, not a model


def _torch_fast_flags(torch_params: list, cls_name: str = "SGD") -> dict:
    """The fastest exact implementation of torch.optim ``cls_name`` for these parameters.

    A single point (2-D objectives: one vector of two numbers) or a batch of points ((n, 2) starts) keeps
    the plain single-tensor path. Models (many tensors, or one flat vector holding them all) use ``fused``
    where torch has a fused kernel for the device, else ``foreach`` on accelerators and the single-tensor
    loop on the CPU. Measured on a 2-core CPU, 1 thread, the lecture's 784-512-512-10 MLP,
    µs per step (fused / foreach / loop): SGD(momentum) 194/344/363, Adam 524/1370/1383,
    AdamW 508/990/915, Adagrad 528/1628/629, RMSprop -/644/657, NAdam -/1015/1002, Adamax -/523/516.
    """
    dev = torch_params[0].device.type
    if len(torch_params) == 1 and (torch_params[0].dim() > 1 or torch_params[0].numel() <= _TINY):
        return {"foreach": dev != "cpu"}
    if dev in _FUSED.get(cls_name, ()):
        return {"fused": True}
    return {"foreach": dev != "cpu"}


def _build_sgd(params, h, hessian=None):
    import torch  # lazy: torch

    return torch.optim.SGD(params, **h, **_torch_fast_flags(params, "SGD"))


def _build_torch(cls_name: str):
    def build(params, h, hessian=None):
        import torch  # lazy: torch

        cls = getattr(torch.optim, cls_name)
        return cls(params, **h, **_torch_fast_flags(params, cls_name))

    build.__name__ = f"build_{cls_name}"
    return build


def _build_lecture(cls_name: str):
    def build(params, h, hessian=None):
        from sgd_tui.core.optim import lecture as lecture_optim  # lazy: torch

        cls = getattr(lecture_optim, cls_name)
        if cls_name == "Newton":
            return cls(params, hessian=hessian, **h)
        return cls(params, **h)

    build.__name__ = f"build_{cls_name}"
    return build


# ----------------------------------------------------------------------------- the registry
_ENTRIES = [
    OptimizerInfo(
        "gd",
        "Gradient descent (full batch)",
        (LR(0.01),),
        "w_{t+1} = w_t - α_t ∇f(w_t) = w_t - α_t (1/N) Σ_i ∇f(w_t; ξ_i)",
        _build_lecture("GD"),
        help="the lecture's gradient descent: every step uses the whole training set",
        full_batch=True,
    ),
    OptimizerInfo(
        "sgd",
        "SGD (torch.optim.SGD)",
        (
            LR(0.01),
            MOMENTUM(),
            Param("dampening", "float", 0.0, "dampening τ for momentum", low=0.0, high=1.0, label="dampening value"),
            WEIGHT_DECAY(),
            Param("nesterov", "bool", False, "torch's Nesterov momentum (g + μ b)"),
            MAXIMIZE,
        ),
        "b_t = μ b_{t-1} + (1-τ) g_t;  w_{t+1} = w_t - α_t b_t   (g_t = ∇f(w_t; ξ_t), b_1 = g_1)",
        _build_sgd,
        help="stochastic / mini-batch SGD as torch implements it (momentum on the gradient)",
        checks=(_nesterov_check,),
    ),
    OptimizerInfo(
        "polyak",
        "Polyak's heavy-ball momentum",
        (LR(0.01), MOMENTUM(0.9)),
        "w_{t+1} = w_t - α_t ∇f(w_t; ξ_t) + β (w_t - w_{t-1})",
        _build_lecture("Polyak"),
        help="the lecture's form; equals torch SGD with the same momentum and dampening 0",
    ),
    OptimizerInfo(
        "nesterov",
        "Nesterov's momentum (look-ahead gradient)",
        (LR(0.01), MOMENTUM(0.9)),
        "w_{t+1} = w_t - α_t ∇f(w_t + β (w_t - w_{t-1}); ξ_t) + β (w_t - w_{t-1})",
        _build_lecture("Nesterov"),
        help="the lecture's form: the gradient is taken after applying momentum",
        needs_closure=True,
    ),
    OptimizerInfo(
        "newton",
        "Newton's method",
        (
            Param("lr", "float", 1.0, "damping η of the Newton step", low=0.0, low_open=True, label="learning rate"),
            Param(
                "nonconvex", "str", "abs", "rule when the Hessian is not positive definite",
                choices=("abs", "clip", "none"),
            ),
            Param(
                "min_curvature", "float", 1e-6, "smallest eigenvalue used by the abs/clip rules",
                low=0.0, low_open=True, label="min_curvature value",
            ),
        ),
        "w_{t+1} = w_t - η (∇²f(w_t))^{-1} ∇f(w_t)",
        _build_lecture("Newton"),
        help="second order; needs the Hessian, so only for objectives with few parameters",
        full_batch=True,
        needs_hessian=True,
    ),
    OptimizerInfo(
        "adam",
        "Adam (torch.optim.Adam)",
        (LR(0.001), BETAS, EPS(1e-8), WEIGHT_DECAY(), AMSGRAD, MAXIMIZE),
        "m_t = β1 m_{t-1} + (1-β1) g_t;  v_t = β2 v_{t-1} + (1-β2) g_t²;  "
        "m̂_t = m_t/(1-β1^t);  v̂_t = v_t/(1-β2^t);  w_{t+1} = w_t - α_t m̂_t/(√v̂_t + ε)",
        _build_torch("Adam"),
        help="adaptive moment estimation; amsgrad=true uses max(v̂) (AMSGrad)",
    ),
    OptimizerInfo(
        "amsgrad",
        "AMSGrad (torch.optim.Adam, amsgrad=True)",
        (LR(0.001), BETAS, EPS(1e-8), WEIGHT_DECAY(), MAXIMIZE),
        "as Adam, with v̂max_t = max(v̂max_{t-1}, v̂_t);  w_{t+1} = w_t - α_t m̂_t/(√v̂max_t + ε)",
        lambda params, h, hessian=None: _build_torch("Adam")(params, {**h, "amsgrad": True}),
        help="Adam with the running maximum of the second moment",
    ),
    OptimizerInfo(
        "adamw",
        "AdamW (torch.optim.AdamW)",
        (LR(0.001), BETAS, EPS(1e-8), WEIGHT_DECAY(0.01), AMSGRAD, MAXIMIZE),
        "as Adam, with decoupled weight decay: w ← w - α λ w before the Adam step",
        _build_torch("AdamW"),
        help="Adam with decoupled weight decay",
    ),
    OptimizerInfo(
        "rmsprop",
        "RMSprop (torch.optim.RMSprop)",
        (
            LR(0.01),
            Param("alpha", "float", 0.99, "smoothing constant", low=0.0, label="alpha value"),
            EPS(1e-8),
            WEIGHT_DECAY(),
            MOMENTUM(),
            Param("centered", "bool", False, "normalise by the estimated variance of the gradient"),
            MAXIMIZE,
        ),
        "v_t = α v_{t-1} + (1-α) g_t²;  w_{t+1} = w_t - lr g_t/(√v_t + ε)",
        _build_torch("RMSprop"),
        help="divides the gradient by a running root mean square",
    ),
    OptimizerInfo(
        "adagrad",
        "Adagrad (torch.optim.Adagrad)",
        (
            LR(0.01),
            Param("lr_decay", "float", 0.0, "learning rate decay", low=0.0, label="lr_decay value"),
            WEIGHT_DECAY(),
            Param(
                "initial_accumulator_value", "float", 0.0, "initial value of the sum of squares",
                low=0.0, label="initial_accumulator_value value",
            ),
            EPS(1e-10),
            MAXIMIZE,
        ),
        "s_t = s_{t-1} + g_t²;  w_{t+1} = w_t - α g_t/(√s_t + ε)",
        _build_torch("Adagrad"),
        help="per-coordinate step sizes from the sum of squared gradients",
    ),
    OptimizerInfo(
        "adamax",
        "Adamax (torch.optim.Adamax)",
        (LR(0.002), BETAS, EPS(1e-8), WEIGHT_DECAY(), MAXIMIZE),
        "m_t = β1 m_{t-1} + (1-β1) g_t;  u_t = max(β2 u_{t-1}, |g_t| + ε);  w_{t+1} = w_t - α m_t/((1-β1^t) u_t)",
        _build_torch("Adamax"),
        help="Adam with the infinity norm",
    ),
    OptimizerInfo(
        "nadam",
        "NAdam (torch.optim.NAdam)",
        (LR(0.002), BETAS, EPS(1e-8), WEIGHT_DECAY(), MAXIMIZE),
        "Adam with Nesterov momentum (Dozat 2016)",
        _build_torch("NAdam"),
        help="Adam with a Nesterov look-ahead on the first moment",
    ),
    OptimizerInfo(
        "adadelta",
        "Adadelta (torch.optim.Adadelta)",
        (
            Param("lr", "float", 1.0, "coefficient scaling the delta", low=0.0, label="learning rate"),
            Param("rho", "float", 0.9, "decay of the running averages", low=0.0, high=1.0, label="rho value"),
            EPS(1e-6),
            WEIGHT_DECAY(),
            MAXIMIZE,
        ),
        "v_t = ρ v + (1-ρ) g²;  Δ_t = √(u+ε)/√(v_t+ε) g;  u_t = ρ u + (1-ρ) Δ²;  w_{t+1} = w_t - lr Δ_t",
        _build_torch("Adadelta"),
        help="step sizes from running averages of squared gradients and updates",
    ),
]

def _build_modern(cls_name: str):
    def build(params, h, hessian=None):
        from sgd_tui.core.optim import modern  # lazy: torch

        h = {("warmup_steps" if k == "gamma_warmup" else k): v for k, v in h.items()}
        return getattr(modern, cls_name)(params, **h)

    build.__name__ = f"build_{cls_name}"
    return build


_UNIT = lambda name, default, what: Param(name, "float", default, what, low=0.0, high=1.0, high_open=True,  # noqa: E731
                                          label=f"{name} value")
# gamma_warmup, not the reference's warmup_steps: that name is the run's warm-up schedule key (one run table)
_WARMUP = Param("gamma_warmup", "int", 0, "steps over which γ ramps up linearly from γ/warmup to γ (the "
                "reference code's warmup_steps)", low=0, high=10**9, label="gamma_warmup value")
# The optimizers of 2021-24 (core.optim.modern, each from its paper)
_ENTRIES += [
    OptimizerInfo(
        "lion",
        "Lion (Chen et al. 2023)",
        (LR(1e-4), Param("betas", "pair", (0.9, 0.99), "(β1, β2): β1 interpolates the update, β2 the momentum",
                         low=0.0, high=1.0, high_open=True, label="beta parameters"), WEIGHT_DECAY(), MAXIMIZE),
        "c_t = β1 m_{t-1} + (1-β1) g_t;  w_{t+1} = w_t - α (sign(c_t) + λ w_t);  m_t = β2 m_{t-1} + (1-β2) g_t",
        _build_modern("Lion"),
        help="sign updates: every coordinate moves by exactly α (its geometry is the ℓ∞ ball); use a 3-10x "
             "smaller lr than AdamW's",
    ),
    OptimizerInfo(
        "sam",
        "SAM, sharpness-aware minimization (Foret et al. 2021)",
        (LR(0.01), Param("rho", "float", 0.05, "radius ρ of the ascent step ε̂ = ρ g/‖g‖", low=0.0, label="rho value"),
         Param("base", "str", "sgd", "the base optimizer that steps with the gradient at w + ε̂", choices=("sgd", "adam")),
         MOMENTUM(), BETAS, WEIGHT_DECAY()),
        "ε̂_t = ρ ∇f(w_t)/‖∇f(w_t)‖;  g_t = ∇f(w_t + ε̂_t);  w_{t+1} = base step from w_t with g_t",
        _build_modern("SAM"),
        help="two gradients a step: at w, then at the worst nearby point w + ε̂; the base (sgd: momentum; "
             "adam: betas) steps with the second",
        needs_closure=True,
    ),
    OptimizerInfo(
        "schedulefree_sgd",
        "Schedule-free SGD (Defazio et al. 2024)",
        (LR(0.01), _UNIT("momentum", 0.9, "β: the gradient point y = (1-β) z + β x"), WEIGHT_DECAY(), _WARMUP),
        "y_t = (1-β) z_t + β x_t;  z_{t+1} = z_t - γ ∇f(y_t);  x_{t+1} = (1-c_{t+1}) x_t + c_{t+1} z_{t+1}, "
        "c_{t+1} = γ²/Σγ²  (w = x: evaluated at the average)",
        _build_modern("ScheduleFreeSGD"),
        help="no schedule: x averages the SGD iterates z, the gradient is taken between them (y); the "
             "run's parameters and every evaluation are x",
        needs_closure=True,
    ),
    OptimizerInfo(
        "schedulefree_adamw",
        "Schedule-free AdamW (Defazio et al. 2024)",
        (LR(0.0025), BETAS, EPS(1e-8), WEIGHT_DECAY(), _WARMUP),
        "as schedule-free SGD with β = β1 and z_{t+1} = z_t - γ (g_t/(√v̂_t + ε) + λ y_t),  v_t = β2 v_{t-1} + "
        "(1-β2) g_t²  (w = x)",
        _build_modern("ScheduleFreeAdamW"),
        help="schedule-free with Adam's per-coordinate scaling; the run's parameters and evaluations are x",
        needs_closure=True,
    ),
]

_ENTRIES.append(OptimizerInfo(
    "muon",
    "Muon (Jordan et al. 2024; torch.optim.Muon) + AdamW",
    (LR(0.02), _UNIT("momentum", 0.95, "momentum μ of the hidden matrices' update"),
     Param("nesterov", "bool", True, "Nesterov momentum: orthogonalise g + μ(b - g) instead of b"), WEIGHT_DECAY(),
     Param("ns_steps", "int", 5, "Newton-Schulz iterations", low=1, high=20, label="ns_steps value"),
     Param("adjust_lr_fn", "str", "original", "original: α·√max(1, rows/cols); match_rms_adamw: α·0.2·√max(rows, cols)",
           choices=("original", "match_rms_adamw")),
     Param("adamw_lr", "float", 0.001, "AdamW's lr for the first and last layers and the biases", low=0.0,
           label="adamw_lr value"),
     Param("adamw_betas", "pair", (0.9, 0.95), "AdamW's (β1, β2)", low=0.0, high=1.0, high_open=True,
           label="adamw_betas value"),
     Param("adamw_weight_decay", "float", 0.0, "AdamW's decoupled weight decay", low=0.0,
           label="adamw_weight_decay value")),
    "b_t = μ b_{t-1} + (1-μ) g_t;  O_t = NewtonSchulz(g_t + μ(b_t - g_t)) ≈ U Vᵀ;  W ← W - α O_t  "
    "(hidden matrices; the rest: AdamW)",
    _build_modern("MuonHybrid"), needs_matrices=True,
    help="orthogonalised momentum for the hidden weight matrices (every 2-D weight but the first and last "
         "layer's), AdamW for the rest; needs a network with two or more hidden layers",
))

OPTIMIZERS: dict[str, OptimizerInfo] = {e.name: e for e in _ENTRIES}
# the 2021-24 ones (core.optim.modern): raced in fair-race and modern-optimizers, not in optimizer-race
MODERN = ("lion", "sam", "schedulefree_sgd", "schedulefree_adamw", "muon")


def get_optimizer(name: str) -> OptimizerInfo:
    try:
        return OPTIMIZERS[name]
    except KeyError:
        raise ParamError(
            f"unknown optimizer {name!r}: must be one of " + ", ".join(OPTIMIZERS)
        ) from None


def validate_hyperparameters(name: str, values: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Check hyperparameters of optimizer ``name``.

    Returns (resolved values with defaults filled in, errors) where each error is (key, message);
    key is "" for an error about a combination.
    """
    info = get_optimizer(name)
    resolved, errors = check_values(info.params, values, f"{name} has no hyperparameter")
    if not errors:
        for check in info.checks:
            msg = check(resolved)
            if msg:
                errors.append(("", msg))
    return resolved, errors
