"""Exports for R, Stata, pandas and QDA tools: tidy CSV and Parquet, JSONL that ``defectio
import`` reads back, and REFI-QDA projects (.qdpx) and codebooks (.qdc)."""
