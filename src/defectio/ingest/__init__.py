"""Reading testimony in: one module per format, plus segmentation and language detection."""
