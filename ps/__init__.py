"""psflow.ps: the parameter server, a plain class owning a VariableStore shard and running
the PS stages of compiled plans. No ray import: cluster/ wraps it as an actor."""
