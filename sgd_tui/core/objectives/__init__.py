"""What is minimised: the registry (``registry``), the problem interface (``problem``), the 2-D surfaces
and regression risks (``surfaces``, ``problems_2d``, ``losses``), the networks (``network``), FashionMNIST
(``fashion``, ``data``) and its fast hand-written step (``mlp_fast``, ``flat_params``)."""
