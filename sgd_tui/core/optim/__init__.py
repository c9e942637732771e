"""How it is minimised: the optimizer registry (``registry``: torch.optim and the lecture's own forms),
the lecture's GD, Polyak, Nesterov and Newton (``lecture``), torch's fused SGD kernel called directly
(``fused_step``), and hyperparameter changes in the middle of a run (``changes``)."""
