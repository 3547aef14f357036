"""The portable workflow DSL: conditions, validation, the local engine's semantics, and compilers."""
