"""humanitarian-kg: a knowledge graph of humanitarian operations read from narrative reports."""

__version__ = "0.1.0"
