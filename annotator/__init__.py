"""annotator: an offline desktop tool for correcting named-entity annotations."""

__version__ = "0.1.0"
