"""What both libraries need: atomic file writes, typed config sections, correlation scores.

Imports nothing from :mod:`icnn`, :mod:`decoders` or :mod:`pipeline`.
"""
