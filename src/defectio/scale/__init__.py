"""Batch coding of millions of posts on Dask (``defectio batch``): inputs cut into partitions,
coded on worker processes that each load the trained coder once, written as Parquet."""
