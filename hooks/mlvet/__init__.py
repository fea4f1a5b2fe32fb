"""mlvet: keep machine-learning Python repositories safe and reproducible."""

__version__ = "0.1.0"
