"""Readers of annotation files in other layouts, one module per layout; ``kinds`` lists them."""
