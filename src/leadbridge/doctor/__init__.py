"""`leadbridge doctor`: checks, in order, that a set-up can go live, each with a one-line fix."""
