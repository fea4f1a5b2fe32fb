"""Native AST rules, one module per family."""
