"""Output formats: one module each, sharing the template environment of ``base``."""
