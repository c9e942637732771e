"""What the app runs off the UI thread: the training worker (``worker``), step-by-step playback
(``playback``), background computations (``background``), loss-landscape slices (``landscape``) and
sweeps (``sweep``)."""
