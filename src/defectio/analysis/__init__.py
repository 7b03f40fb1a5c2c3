"""Case-level analysis: a case carries a code if any of its passages does."""
