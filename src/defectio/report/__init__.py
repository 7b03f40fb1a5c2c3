"""Reports: the analyst brief and its charts."""
