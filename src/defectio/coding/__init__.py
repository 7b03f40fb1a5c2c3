"""Coders: turn passages into codes with probabilities and evidence spans."""
