"""Routes by area: sign-in, reading pages, review pages, and the REST API."""
