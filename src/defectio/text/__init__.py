"""Text utilities every layer uses: sentence segmentation (``segment``), language
identification (``lang``) and checked, streamed reading of text files and JSON lines
(``files``). It imports nothing else of defectio but ``errors``."""
