"""psflow.workers: what a task process does with stage plans (`task.TaskRunner`, shared by
parameter servers and workers) and the worker task itself. No ray import: cluster/ makes
them actors."""
