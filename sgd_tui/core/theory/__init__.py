"""Pure mathematics, below everything else in core: the closed forms of the lecture's quadratic theory
(``quadratic``), the (α, β) rate map (``rate_map``), λmax by Lanczos on Hessian-vector products and the
stability limits (``sharpness``), and weights as flat vectors (``flat``)."""
