"""Exports for R, Stata, pandas and QDA tools: tidy CSV and Parquet, JSONL that ``defectio
import`` reads back; the exchange formats (REFI-QDA, codebook CSV) live in ``interchange``."""
