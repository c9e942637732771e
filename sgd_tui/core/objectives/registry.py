"""The objective registry.

Three kinds of objective:

* ``surface``     a 2-D test function with exact gradient and Hessian (:mod:`sgd_tui.core.objectives.surfaces`);
* ``regression``  an empirical risk with exactly two parameters (a slope and an intercept), so the risk
                  is a 2-D surface the app can draw; trained on seeded synthetic data with batches;
* ``dataset``     a network trained on data: FashionMNIST with the lecture's MLP (:mod:`sgd_tui.core.objectives.fashion`),
                  a one-hidden-layer network fitting a 1-D curve (:mod:`sgd_tui.core.objectives.network`).

The registry holds only descriptions (no torch import). What callers need to know of an objective is
here, so none branches on its name: :meth:`ObjectiveInfo.build` turns an entry and its options into the
:class:`~sgd_tui.core.objectives.problem.Problem` the engine trains (importing torch then),
:meth:`ObjectiveInfo.train_size` says how many training examples a run sees, ``classes`` how many
classes a classifier has, ``default_batch`` the batch size a run takes when it sets none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from sgd_tui.core.errors import ParamError
from sgd_tui.core.params import Param, check_values

__all__ = ["ObjectiveInfo", "OBJECTIVES", "get_objective", "validate_options", "REG_PARAMS", "PRECISIONS"]

START = Param("start", "point", None, "starting point [x, y] (default: the objective's own)", optional=True)
NOISE = Param(
    "noise", "float", 0.0, "std of Gaussian noise added to the gradient (emulates stochastic gradients)",
    low=0.0, label="noise value",
)
REG_PARAMS = (
    Param(
        "regularization", "str", "none",
        "the lecture's λΩ(w): none, l1 = Σ|w_i|, l2 = ½‖w‖² (as weight decay), l2_norm = ‖w‖₂ (literal)",
        choices=("none", "l1", "l2", "l2_norm"),
    ),
    Param("reg_strength", "float", 1e-4, "λ, the regularization strength", low=0.0, label="reg_strength value"),
)
# FashionMNIST's arithmetic: what each choice means, as written in summary.json
PRECISIONS = {
    "f32": "float32: the lecture's numbers",
    "bf16": "bfloat16 autocast: changes the numbers (faster, not the lecture's float32 results)",
}
SAMPLES = Param("n_samples", "int", 200, "number of synthetic training examples", low=2, high=1_000_000, label="n_samples value")
DATA_SEED = Param("data_seed", "int", None, "seed of the synthetic data (default: the run's seed; fix it to "
                  "vary only the batches over a sweep's seeds)", low=0, optional=True, label="data_seed value")
FASHION_TRAIN_SIZE = 60_000  # FashionMNIST's training images


# The builders: (name, options, start, seed, device) -> Problem. Each imports torch only when called.
def _surface_problem(name: str, options: dict[str, Any], start, seed: int, device: str):
    from sgd_tui.core.objectives.problems_2d import SurfaceProblem  # lazy: torch

    return SurfaceProblem(name, options, start, seed, device)


def _regression_problem(name: str, options: dict[str, Any], start, seed: int, device: str):
    from sgd_tui.core.objectives.problems_2d import RegressionProblem  # lazy: torch

    return RegressionProblem(name, options, start, seed, device)


def _mlp_regression_problem(name: str, options: dict[str, Any], start, seed: int, device: str):
    from sgd_tui.core.objectives.network import MLPRegressionProblem  # a network has no start point  # lazy: torch

    return MLPRegressionProblem(options, seed=seed, device=device)


def _fashion_problem(name: str, options: dict[str, Any], start, seed: int, device: str):
    from sgd_tui.core.objectives.fashion import FashionProblem  # a network has no start point  # lazy: torch

    return FashionProblem(options, seed=seed, device=device)


@dataclass(frozen=True)
class ObjectiveInfo:
    name: str
    title: str
    kind: str  # surface | regression | dataset
    params: tuple[Param, ...]
    formula: str
    help: str = ""
    default_batch: Any = 1  # batch_size when a run does not set one
    problem: Callable[..., Any] = _surface_problem  # (name, options, start, seed, device) -> Problem
    size_option: str | None = None  # the option that sets the training-set size
    full_size: int | None = None  # the training-set size when that option is unset
    classes: int | None = None  # a classifier's classes (class_weights takes one number per class)

    def build(self, options: dict[str, Any], start=None, seed: int = 0, device: str = "cpu"):
        """This objective instantiated for one run with resolved ``options``: a Problem (imports torch;
        the dataset raises DataError when its files cannot be had)."""
        return self.problem(self.name, options, start, seed, device)

    def train_size(self, options: dict[str, Any]) -> int | None:
        """The training examples a run with these (resolved) options sees; None without a training set."""
        if not self.has_data:
            return None
        size = options.get(self.size_option) if self.size_option else None
        size = size or self.full_size
        return None if size is None else int(size)

    @property
    def is_2d(self) -> bool:
        return self.kind in ("surface", "regression")

    @property
    def has_data(self) -> bool:
        return self.kind in ("regression", "dataset")

    @property
    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)


def _surface(name: str, title: str, formula: str, *extra: Param, help: str = "") -> ObjectiveInfo:
    return ObjectiveInfo(name, title, "surface", (START, NOISE, *extra), formula, help, default_batch=1)


_ENTRIES = [
    _surface(
        "quadratic", "Ill-conditioned quadratic", "½(u² + κv²), (u, v) rotated by `angle`",
        Param("condition", "float", 10.0, "condition number κ (ratio of the Hessian's eigenvalues)", low=1.0,
              label="condition number"),
        Param("angle", "float", 0.0, "rotation of the valley in degrees", low=-180.0, high=180.0, label="angle"),
        help="eigenvalues 1 and κ; minimum 0 at the origin",
    ),
    _surface(
        "rosenbrock", "Rosenbrock's banana", "(a - x)² + b(y - x²)²",
        Param("a", "float", 1.0, "a (minimum at (a, a²))", label="a"),
        Param("b", "float", 100.0, "b (steepness of the valley)", low=0.0, label="b"),
        help="a curved narrow valley; minimum 0 at (a, a²)",
    ),
    _surface("beale", "Beale", "(1.5 - x + xy)² + (2.25 - x + xy²)² + (2.625 - x + xy³)²",
             help="flat plateaus and sharp ridges; minimum 0 at (3, 0.5)"),
    _surface("himmelblau", "Himmelblau", "(x² + y - 11)² + (x + y² - 7)²", help="four minima with value 0"),
    _surface("rastrigin", "Rastrigin", "20 + Σ (x_i² - 10 cos 2πx_i)",
             help="a bowl covered in local minima; global minimum 0 at the origin"),
    _surface("saddle", "Saddle", "x² + y⁴/4 - y²/2",
             help="a saddle point at the origin between minima (0, ±1); GD starting on the ridge stalls"),
    _surface("booth", "Booth", "(x + 2y - 7)² + (2x + y - 5)²", help="a tilted bowl; minimum 0 at (1, 3)"),
    _surface("six_hump_camel", "Six-hump camel", "(4 - 2.1x² + x⁴/3)x² + xy + (4y² - 4)y²",
             help="multi-modal: two global and four local minima"),
    _surface(
        "edge_valley", "Edge-of-stability valley", "½(1 + y)x² − c·y",
        Param("c", "float", 0.001, "the slope c pulling y (and with it the curvature 1 + y along x) up", low=0.0,
              label="c value"),
        Param("x_floor", "float", 1e-6, "|x| is kept at least this before every gradient, so x cannot underflow "
              "to 0 below the edge and never regrow (0: off)", low=0.0, high=0.1, label="x_floor value"),
        help="the curvature along x is 1 + y and grows until the optimizer's own stability limit stops it; "
             "no minimum",
    ),
    _surface(
        "catapult", "Catapult: the uv model", "½(uv − 1)²",
        Param("r_floor", "float", 1e-4, "|uv − 1| is kept at least this before every gradient, so GD cannot sit on "
              "an unstable minimum by exact cancellation (0: off)", low=0.0, high=0.1, label="r_floor value"),
        help="minima on the hyperbola uv = 1 with curvature u² + v²: a step above 2/λ0 catapults GD to a "
             "flatter minimum, above 4/λ0 it diverges",
    ),
    ObjectiveInfo(
        "linear_regression", "Linear regression risk", "regression",
        (
            START,
            SAMPLES,
            DATA_SEED,
            Param("noise", "float", 0.5, "std of the label noise", low=0.0, label="noise value"),
            Param("outliers", "float", 0.0, "fraction of examples made outliers", low=0.0, high=0.5,
                  label="outliers value"),
            Param("loss", "str", "mse", "the loss L", choices=("mse", "l1")),
            *REG_PARAMS,
        ),
        "R(w, b) = 1/N Σ L(w x_i + b, y_i) + λΩ(w, b)",
        help="y = w x + b on seeded synthetic data (true w = 2, b = -1); parameters (w, b)",
        default_batch="full", problem=_regression_problem, size_option="n_samples",
    ),
    ObjectiveInfo(
        "logistic_regression", "Logistic regression risk", "regression",
        (
            START,
            SAMPLES,
            DATA_SEED,
            Param("separation", "float", 1.0, "distance of each class mean from 0", low=0.0,
                  label="separation value"),
            Param("loss", "str", "cross_entropy", "the loss L", choices=("nll", "cross_entropy", "kl_div")),
            Param("class_weights", "floats", None, "weight per class [w0, w1] (cross_entropy, nll)", optional=True),
            Param("label_smoothing", "float", 0.0, "label smoothing (cross_entropy, kl_div)", low=0.0, high=1.0,
                  label="label_smoothing value"),
            *REG_PARAMS,
        ),
        "R(w, b) = 1/N Σ L(σ(w x_i + b), y_i) + λΩ(w, b)",
        help="two overlapping 1-D classes; parameters (w, b) of p(y=1|x) = σ(w x + b)",
        default_batch="full", problem=_regression_problem, size_option="n_samples", classes=2,
    ),
    ObjectiveInfo(
        "fashion_mnist", "FashionMNIST classifier", "dataset",
        (
            Param("model", "str", "mlp", "mlp = the lecture's 784-512-512-10; logistic = 784-10; "
                  "mlp_small = 784-64-10", choices=("mlp", "mlp_small", "logistic")),
            Param("loss", "str", "cross_entropy", "the loss L", choices=("cross_entropy", "nll", "kl_div", "mse")),
            Param("label_smoothing", "float", 0.0, "label smoothing (cross_entropy)", low=0.0, high=1.0,
                  label="label_smoothing value"),
            Param("class_weights", "floats", None, "weight per class (10 numbers; cross_entropy, nll)", optional=True),
            *REG_PARAMS,
            Param("data_dir", "text", None, "directory with FashionMNIST/raw/*.gz (see README)", optional=True),
            Param("train_subset", "int", None, "use only the first N training images", low=1, optional=True,
                  label="train_subset value"),
            Param("test_subset", "int", None, "use only the first N test images", low=1, optional=True,
                  label="test_subset value"),
            Param("eval_every_epoch", "bool", True, "evaluate on the test set after every epoch"),
            Param("precision", "str", "f32", "f32 = float32, the lecture's numbers; bf16 = the network under "
                  "bfloat16 autocast: faster where the hardware has bf16 units, but CHANGES THE NUMBERS "
                  "(losses, weights, accuracy differ from the lecture's)", choices=tuple(PRECISIONS)),
        ),
        "R(θ) = 1/N Σ CE(MLP_θ(x_i), y_i) + λΩ(θ)",
        help="the lecture's training script on FashionMNIST (60k train / 10k test images)",
        default_batch=64, problem=_fashion_problem, size_option="train_subset", full_size=FASHION_TRAIN_SIZE,
        classes=10,
    ),
    ObjectiveInfo(
        "mlp_regression", "1-D regression with a small network", "dataset",
        (
            Param("n_samples", "int", 64, "training points x_i, evenly spaced on [-1, 1]", low=2, high=10_000,
                  label="n_samples value"),
            Param("target", "str", "chebyshev", "the curve to fit: chebyshev = T_degree(x), sine = sin(π·frequency·x)",
                  choices=("chebyshev", "sine")),
            Param("degree", "int", 3, "degree d of the Chebyshev target T_d", low=0, high=50, label="degree value"),
            Param("frequency", "float", 1.0, "k of the sine target sin(πkx)", low=0.0, label="frequency value"),
            Param("noise", "float", 0.0, "std of the Gaussian label noise", low=0.0, label="noise value"),
            Param("hidden", "int", 32, "hidden units H of the network 1-H-1", low=1, high=4096, label="hidden value"),
            Param("depth", "int", 1, "hidden layers of H units (1: 1-H-1; 2: 1-H-H-1, which has a hidden matrix "
                  "for muon)", low=1, high=8, label="depth value"),
            Param("activation", "str", "tanh", "the hidden layer's activation σ", choices=("tanh", "relu")),
            Param("init_scale", "float", 1.0, "s: the initial weights are nn.Linear's times s (small s: a flat start "
                  "that training sharpens)", low=0.0, low_open=True, high=10.0, label="init_scale value"),
            *REG_PARAMS,
        ),
        "R(θ) = 1/(2N) Σ (W2 σ(W1 x_i + b1) + b2 - y_i)² + λΩ(θ)",
        help="a one-hidden-layer network fits a Chebyshev polynomial or a sine on [-1, 1] (½·MSE); "
             "small enough to show curvature and loss landscapes in seconds",
        default_batch="full", problem=_mlp_regression_problem, size_option="n_samples",
    ),
]

OBJECTIVES: dict[str, ObjectiveInfo] = {e.name: e for e in _ENTRIES}


def get_objective(name: str) -> ObjectiveInfo:
    try:
        return OBJECTIVES[name]
    except KeyError:
        raise ParamError(f"unknown objective {name!r}: must be one of " + ", ".join(OBJECTIVES)) from None


def validate_options(name: str, values: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Check an objective's options; returns (resolved options, [(key, message)])."""
    info = get_objective(name)
    resolved, errors = check_values(info.params, values, f"objective {name} has no option")
    cw = resolved.get("class_weights")
    if cw is not None and not errors and info.classes is not None:
        want = info.classes
        if len(cw) != want:
            errors.append(("class_weights", f"class_weights needs {want} numbers, one per class; got {len(cw)}"))
    return resolved, errors
