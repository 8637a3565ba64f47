"""psflow.workers: the worker, a plain class running the compute stages of compiled plans.
No ray import: cluster/ wraps it as an actor."""
