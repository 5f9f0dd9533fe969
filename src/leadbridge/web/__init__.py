"""HTTP: webhook endpoints, the operators' dashboard, health and metrics."""
