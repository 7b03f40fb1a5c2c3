"""Exchange formats that other tools read and write, used by both ``import`` and ``export``:
REFI-QDA projects (.qdpx) and codebooks (.qdc), codebook CSV (Taguette's), and the merge that
brings a codebook from another tool into the store's codebook without losing its coding data."""
